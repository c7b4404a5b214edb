"""Colour: any decoded mode and ICC profile in, plain sRGB (or 8-bit grey) on white out.

Stored variants carry no profile, so browsers show them as sRGB; pixels from
a Display P3, Adobe RGB or CMYK source must therefore be converted first.
"""

import io
import logging
from functools import lru_cache

from PIL import Image, ImageCms

log = logging.getLogger(__name__)

# Modes every later step (resize, ICC transform, flatten) knows how to handle.
WORKING_MODES = ("RGB", "L", "RGBA", "CMYK")

_SPACE_OF_MODE = {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}


def to_working_mode(im: Image.Image) -> Image.Image:
    """The same picture in one of WORKING_MODES, keeping transparency as RGBA."""
    if im.mode in ("RGB", "L", "CMYK") and "transparency" not in im.info:
        return im
    if im.mode == "RGBA":
        return im
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        # 16-bit greys: scale to 8 bits; a plain convert("L") would clip at 255.
        return im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if im.mode in ("1", "L") and "transparency" not in im.info:
        return im.convert("L")
    if im.mode in ("LA", "La", "PA", "RGBa") or "transparency" in im.info:
        return im.convert("RGBA")
    return im.convert("RGB")


def flatten_on_white(im: Image.Image) -> Image.Image:
    """Transparent pixels composited on white; JPEG has no alpha channel."""
    if im.mode != "RGBA":
        return im
    background = Image.new("RGB", im.size, (255, 255, 255))
    background.paste(im, mask=im.getchannel("A"))
    return background


def to_srgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Pixels converted from their embedded profile to sRGB; RGB or L, no profile kept.

    A profile that cannot be read or does not match the pixels is ignored (the
    pixels are taken as sRGB), because losing a report over a bad profile is worse
    than slightly off colours.
    """
    transform = _transform_to_srgb(icc_profile, im.mode) if icc_profile else None
    if transform is not None:
        im = ImageCms.applyTransform(im, transform)
    if im.mode == "CMYK":
        im = im.convert("RGB")
    return im


@lru_cache(maxsize=16)
def _transform_to_srgb(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    # Building a transform costs milliseconds; phones use a handful of profiles.
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space.strip() != _SPACE_OF_MODE.get(mode):
            log.info("ICC profile colour space does not match %s pixels; ignored", mode)
            return None
        return ImageCms.buildTransform(source, _srgb(), mode, "RGB")
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError) as exc:
        log.info("unusable ICC profile ignored: %s", type(exc).__name__)
        return None


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
