"""What a photo's bytes really are: format and pixel size, from magic numbers and headers.

Nothing here decodes pixels or trusts a file name or a Content-Type. The
header is read in pure Python so the pixel guard runs before any image
library touches the data, whatever that library's own global limits are.
"""

import struct
from dataclasses import dataclass

from backend.errors import CorruptPhoto, UnsupportedPhotoType

JPEG, PNG, WEBP, HEIC = "jpeg", "png", "webp", "heic"
ACCEPTED = (JPEG, PNG, WEBP, HEIC)

# Brands of HEVC-coded HEIF (ISO/IEC 23008-12): what phones write as .heic/.heif.
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}

# Formats we refuse, recognised only to say what was sent (error details, logs).
_KNOWN_OTHERS = (
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"8BPS", "psd"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"\xff\x0a", "jxl"),
    (b"\x00\x00\x00\x0cJXL ", "jxl"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "rar"),
    (b"BM", "bmp"),
)

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


@dataclass(frozen=True)
class Sniffed:
    """The real format of some bytes and the pixel size their header claims."""

    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def sniff(data: bytes) -> Sniffed:
    """Format and header size of ``data``; refuses anything but JPEG, PNG, WebP, HEIC.

    Raises UnsupportedPhotoType for other formats (``details["detected"]`` names
    what was recognised, or "unknown") and CorruptPhoto when an accepted
    format's header is missing or cut short.
    """
    if not data:
        raise CorruptPhoto("The photo is empty.")
    fmt = detect_format(data)
    if fmt not in ACCEPTED:
        raise UnsupportedPhotoType(detected=fmt)
    try:
        width, height = _HEADER_READERS[fmt](data)
    except (struct.error, IndexError, ValueError):
        width = height = 0
    if width <= 0 or height <= 0:
        raise CorruptPhoto(format=fmt)
    return Sniffed(fmt, width, height)


def detect_format(data: bytes) -> str:
    """A short name for what ``data`` is, judged by its first bytes only."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp":
        return _isobmff_kind(data)
    for magic, name in _KNOWN_OTHERS:
        if data.startswith(magic):
            return name
    return _text_kind(data) or "unknown"


def _isobmff_kind(data: bytes) -> str:
    size = int.from_bytes(data[:4], "big")
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(size, 256, len(data)), 4)}
    if brands & _HEVC_BRANDS:
        return HEIC
    if brands & {b"avif", b"avis"}:
        return "avif"
    return "video"


def _text_kind(data: bytes) -> str | None:
    # SVG and HTML are text, possibly after a BOM and whitespace; both can carry script.
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if not head.startswith(b"<"):
        return None
    if b"<svg" in head:
        return "svg"
    if b"<html" in head or b"<!doctype html" in head or b"<script" in head:
        return "html"
    return "xml"


def _jpeg_size(data: bytes) -> tuple[int, int]:
    # Walk the marker segments up to the first frame header; entropy-coded
    # data only starts after SOS, which must not come before a SOF.
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # EOI or SOS before any frame header
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker in _JPEG_SOF:
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        pos += 2 + length
    return 0, 0


def _png_size(data: bytes) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        return 0, 0
    return struct.unpack_from(">II", data, 16)


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk, body = data[12:16], data[20:]
    if chunk == b"VP8X":  # extended: 24-bit canvas size minus one
        return (
            int.from_bytes(body[4:7], "little") + 1,
            int.from_bytes(body[7:10], "little") + 1,
        )
    if chunk == b"VP8L":  # lossless: signature byte, then 14-bit sizes minus one
        if body[0] != 0x2F:
            return 0, 0
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # lossy: frame tag, start code, 14-bit sizes
        if body[3:6] != b"\x9d\x01\x2a":
            return 0, 0
        width, height = struct.unpack_from("<HH", body, 6)
        return width & 0x3FFF, height & 0x3FFF
    return 0, 0


def _heic_size(data: bytes) -> tuple[int, int]:
    # The pixel size lives in 'ispe' properties: meta > iprp > ipco > ispe.
    # Thumbnails and grid tiles have their own, smaller ones; the largest is the image.
    meta = _find_box(data, 0, len(data), b"meta")
    if meta is None:
        return 0, 0
    iprp = _find_box(data, meta[0] + 4, meta[1], b"iprp")  # meta is a FullBox
    ipco = iprp and _find_box(data, iprp[0], iprp[1], b"ipco")
    if not ipco:
        return 0, 0
    sizes = [
        struct.unpack_from(">II", data, start + 4)
        for start, _ in _boxes(data, ipco[0], ipco[1], b"ispe")
    ]
    return max(sizes, key=lambda s: s[0] * s[1], default=(0, 0))


def _boxes(data: bytes, start: int, end: int, kind: bytes):
    """Yield (body start, body end) of each ``kind`` box between start and end."""
    pos = start
    while pos + 8 <= end:
        size, box = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError("box overruns its parent")
        if box == kind:
            yield pos + header, pos + size
        pos += size


def _find_box(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(_boxes(data, start, end, kind), None)


_HEADER_READERS = {JPEG: _jpeg_size, PNG: _png_size, WEBP: _webp_size, HEIC: _heic_size}
