"""Blacking out part of a stored photo (a face, a licence plate) and re-rendering its variants.

Works on the stored large variant, which the pipeline made (a clean, upright sRGB JPEG),
so no untrusted bytes are decoded here. The box is given in fractions of the picture,
so it means the same on every variant a moderator may be looking at; it is widened
to whole pixels outwards, never inwards, so nothing at its edge survives.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from backend.errors import InvalidInput

if TYPE_CHECKING:  # Pillow loads when a photo is redacted, not when a box is checked
    from PIL import Image

    from backend.media.pipeline import Variant

# Blur keeps at most this many colour blocks along the box's longer side: far too few
# to read a plate or recognise a face, so the result cannot be "unblurred".
_BLUR_BLOCKS = 6


class RedactionStyle(StrEnum):
    FILL = "fill"  # solid black
    BLUR = "blur"  # coarse blocks, smoothed


@dataclass(frozen=True)
class Box:
    """A rectangle in fractions of the picture: left, top, width, height, each 0–1."""

    x: float
    y: float
    width: float
    height: float

    def __post_init__(self):
        values = (self.x, self.y, self.width, self.height)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise InvalidInput("invalid_box", "The box needs four numbers.")
        if not (0 <= self.x < 1 and 0 <= self.y < 1) or self.width <= 0 or self.height <= 0:
            raise InvalidInput("invalid_box", "The box must start inside the photo and have "
                                              "a width and a height.")
        if self.x + self.width > 1.0001 or self.y + self.height > 1.0001:
            raise InvalidInput("invalid_box", "The box must lie inside the photo "
                                              "(x + width and y + height at most 1).")

    def pixels(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels of an image of ``size``, rounded outwards."""
        width, height = size
        return (max(0, math.floor(self.x * width)), max(0, math.floor(self.y * height)),
                min(width, math.ceil((self.x + self.width) * width)),
                min(height, math.ceil((self.y + self.height) * height)))


def redact(large_jpeg: bytes, box: Box, style: RedactionStyle = RedactionStyle.FILL
           ) -> dict[str, Variant]:
    """Every variant of the picture with ``box`` covered, from its stored large JPEG."""
    from PIL import Image, ImageDraw

    from backend.media.pipeline import render_variants

    with Image.open(io.BytesIO(large_jpeg), formats=["JPEG"]) as stored:
        picture = stored.convert("RGB")
    area = box.pixels(picture.size)
    if style == RedactionStyle.BLUR:
        picture.paste(_blurred(picture.crop(area)), area[:2])
    else:
        ImageDraw.Draw(picture).rectangle(area, fill=(0, 0, 0))
    return render_variants(picture)


def _blurred(part: Image.Image) -> Image.Image:
    from PIL import Image

    scale = _BLUR_BLOCKS / max(part.size)
    blocks = part.resize((max(1, round(part.width * scale)), max(1, round(part.height * scale))),
                         Image.Resampling.BOX)
    return blocks.resize(part.size, Image.Resampling.BICUBIC)
