"""Fingerprints of a photo: exact (sha256 of the bytes) and perceptual (64-bit DCT pHash).

The content hash names stored objects and spots byte-identical re-uploads; the
perceptual hash spots the same scene re-encoded, resized or lightly edited, so
duplicate reports can be suggested. Pillow only: 1,024 pixels need no numpy.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duplicate search compares hashes without Pillow
    from PIL import Image

_SIDE = 32  # the picture is reduced to 32x32 grey before the DCT
_LOW = 8  # the 8x8 lowest frequencies give the 64 bits
_HEX = set("0123456789abcdefABCDEF")

# DCT-II basis, _COS[u][x] = cos((2x + 1) u pi / 2N), for the frequencies kept.
_COS = [
    [math.cos((2 * x + 1) * u * math.pi / (2 * _SIDE)) for x in range(_SIDE)] for u in range(_LOW)
]


def content_hash(data: bytes) -> str:
    """sha256 of the bytes, as 64 lowercase hex characters."""
    return hashlib.sha256(data).hexdigest()


def perceptual_hash(im: Image.Image) -> str:
    """64-bit DCT perceptual hash of an upright picture, as 16 hex characters.

    Same recipe as the widely used pHash: 32x32 grey, 2-D DCT, keep the 8x8 lowest
    frequencies, one bit per coefficient above their median.
    """
    from PIL import Image

    grey = im.convert("L").resize((_SIDE, _SIDE), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()
    rows = [pixels[y * _SIDE : (y + 1) * _SIDE] for y in range(_SIDE)]
    # Separable DCT: along each row first (32 x 8), then down each kept column (8 x 8).
    along_rows = [[_dot(basis, row) for basis in _COS] for row in rows]
    columns = [[along_rows[y][u] for y in range(_SIDE)] for u in range(_LOW)]
    coefficients = [_dot(basis, column) for basis in _COS for column in columns]
    median = sorted(coefficients)[len(coefficients) // 2 - 1 : len(coefficients) // 2 + 1]
    threshold = sum(median) / 2
    bits = 0
    for value in coefficients:
        bits = (bits << 1) | (value > threshold)
    return f"{bits:016x}"


def _dot(a, b) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def phash_distance(a: str, b: str) -> int:
    """Hamming distance between two perceptual hashes: 0 same picture, 64 opposite.

    Same scene re-encoded or resized is typically under 10; unrelated pictures ~32.
    """
    return (_parse(a) ^ _parse(b)).bit_count()


def _parse(phash: str) -> int:
    if len(phash) != 16 or not set(phash) <= _HEX:
        raise ValueError(f"A perceptual hash is 16 hex characters, not {phash!r}.")
    return int(phash, 16)
