"""The photo pipeline: untrusted bytes in, clean upright sRGB JPEG variants and facts out.

One call, ``process_photo``, does it all: guard rails on bytes and pixels,
decode (at reduced scale when the format allows), colour to sRGB, alpha onto
white, EXIF orientation, variants derived each from the previous one, and the
exact and perceptual hashes. Every variant is re-encoded from pixels and
carries no metadata at all, so nothing of the upload (EXIF, GPS, XMP, IPTC,
ICC, comments, or a script or archive appended to it) reaches storage.
"""

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from PIL import Image

from backend.errors import CorruptPhoto, DomainError, PhotoTooLarge
from backend.media import colour, exif, formats, hashing
from backend.media.exif import GeoTag

log = logging.getLogger(__name__)

_PIL_FORMAT = {formats.JPEG: "JPEG", formats.PNG: "PNG", formats.WEBP: "WEBP", formats.HEIC: "HEIF"}

# A picture at most this much over a variant's long edge is kept as it is:
# resampling a whole 3 MP image to take off a few pixels (a 4032 px phone photo
# decodes to 2016 px at half scale) costs tens of milliseconds and softens it.
_SLACK = 1.03


@dataclass(frozen=True)
class PhotoLimits:
    """How big an upload may be, in bytes and in decoded pixels."""

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000

    def __post_init__(self):
        if self.max_bytes <= 0 or self.max_pixels <= 0:
            raise ValueError("Photo limits must be positive.")


@dataclass(frozen=True)
class VariantSpec:
    """One stored size: its name, the longest edge in pixels (within 3%), JPEG quality."""

    name: str
    long_edge: int
    quality: int = 82


# Largest first: each variant is derived from the one before it. Baseline, not
# progressive, JPEG: progressive encoding takes ~5x as long for ~8% fewer bytes.
VARIANTS = (
    VariantSpec("large", 2000),
    VariantSpec("display", 1000),
    VariantSpec("thumb", 320, quality=80),
)


@dataclass(frozen=True)
class Variant:
    """One stored rendition: JPEG bytes and their pixel size."""

    name: str
    data: bytes = field(repr=False)
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


@dataclass(frozen=True)
class ProcessedPhoto:
    """Everything the pipeline learnt and made from one upload."""

    source_format: str  # "jpeg", "png", "webp" or "heic", from the bytes
    width: int  # upright size of the upload, before any shrinking
    height: int
    byte_size: int
    content_hash: str  # sha256 hex of the uploaded bytes
    phash: str  # 64-bit perceptual hash, 16 hex characters
    gps: GeoTag | None
    taken_at: datetime | None  # aware when the camera recorded its UTC offset
    variants: dict[str, Variant] = field(default_factory=dict)


DEFAULT_LIMITS = PhotoLimits()


def process_photo(data: bytes, limits: PhotoLimits = DEFAULT_LIMITS) -> ProcessedPhoto:
    """Validate, decode and re-encode one uploaded photo.

    Raises PhotoTooLarge (too many bytes or pixels), UnsupportedPhotoType (not
    JPEG, PNG, WebP or HEIC by its bytes) or CorruptPhoto (cannot be decoded).
    No other exception comes from the upload's content.
    """
    _check_bytes(data, limits)
    sniffed = formats.sniff(data)
    _check_pixels(sniffed.width, sniffed.height, limits)
    with _metadata_warnings_ignored():
        decoded = _decode(data, sniffed.format, limits)
    variants, thumb = _variants(decoded.large)
    return ProcessedPhoto(
        source_format=sniffed.format,
        width=decoded.width,
        height=decoded.height,
        byte_size=len(data),
        content_hash=hashing.content_hash(data),
        phash=hashing.perceptual_hash(thumb),
        gps=exif.geotag(decoded.tags),
        taken_at=exif.taken_at(decoded.tags),
        variants=variants,
    )


def fit_within(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """``size`` scaled so its longer side is at most ``long_edge``; never enlarged."""
    width, height = size
    longest = max(width, height)
    if longest <= long_edge:
        return size
    scale = long_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def render_variants(large: Image.Image) -> dict[str, Variant]:
    """Every variant from upright sRGB pixels of the largest (e.g. after a redaction)."""
    large = large.convert("RGB") if large.mode not in ("RGB", "L") else large
    large.info = {}
    return _variants(large)[0]


def check_byte_size(byte_size: int, limits: PhotoLimits = DEFAULT_LIMITS) -> None:
    """PhotoTooLarge when an upload of ``byte_size`` bytes is over the limit (checkable
    before the bytes are read, from a Content-Length)."""
    if byte_size > limits.max_bytes:
        raise PhotoTooLarge(
            f"Photos can be at most {limits.max_bytes / 2**20:g} MB.",
            max_bytes=limits.max_bytes,
            byte_size=byte_size,
        )


def _check_bytes(data: bytes, limits: PhotoLimits) -> None:
    check_byte_size(len(data), limits)


def _check_pixels(width: int, height: int, limits: PhotoLimits) -> None:
    if width * height > limits.max_pixels:
        raise PhotoTooLarge(
            f"Photos can be at most {limits.max_pixels / 1e6:g} megapixels.",
            max_pixels=limits.max_pixels,
            width=width,
            height=height,
        )


@dataclass(frozen=True)
class _Decoded:
    large: Image.Image  # upright sRGB pixels of the largest variant
    tags: Image.Exif
    width: int  # upright size of the upload
    height: int


def _decode(data: bytes, fmt: str, limits: PhotoLimits) -> _Decoded:
    # Kept apart so the full decoded image is freed on return, before encoding.
    im = _open(data, fmt, limits)
    stored_size = im.size
    _draft(im, fmt)
    _load(im)
    tags = _exif_of(im)
    turn = exif.orientation(tags)
    width, height = reversed(stored_size) if exif.swaps_axes(turn) else stored_size
    return _Decoded(_upright_large(im, turn), tags, width, height)


@contextmanager
def _metadata_warnings_ignored() -> Iterator[None]:
    # Pillow warns, rather than raises, about corrupt EXIF/XMP it then skips. The
    # pipeline copes with missing metadata itself, so these are noise; and where
    # warnings are errors (the test suite) they would refuse a photo that
    # production accepts. Only Pillow's UserWarnings are silenced, only here.
    # (catch_warnings swaps a process-wide list; a race between threads can at
    # worst leave this one filter in place, which is harmless.)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        yield


def _open(data: bytes, fmt: str, limits: PhotoLimits) -> Image.Image:
    """The image with its header parsed and no pixels decoded yet."""
    if fmt == formats.HEIC:
        _register_heif_opener()
    try:
        # Only the plugin for the sniffed format may read the bytes.
        im = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[fmt]])
    except MemoryError:
        raise
    except Exception as exc:
        raise _decode_error(exc, fmt) from exc
    # The library's own header reading is the one that counts from here on.
    _check_pixels(*im.size, limits)
    return im


def _draft(im: Image.Image, fmt: str) -> None:
    # JPEG can decode straight to 1/2, 1/4 or 1/8 scale in the DCT, far cheaper
    # than decoding everything and shrinking. draft() only scales down while the
    # result stays at least the requested size, so ask for the largest variant.
    if fmt != formats.JPEG:
        return
    target = fit_within(im.size, VARIANTS[0].long_edge)
    if target != im.size:
        im.draft(None, target)


def _load(im: Image.Image) -> None:
    try:
        im.load()
    except MemoryError:
        raise
    except Exception as exc:
        raise _decode_error(exc, im.format) from exc


def _decode_error(exc: Exception, fmt: str | None) -> DomainError:
    """The domain error for whatever the decoder raised on untrusted bytes."""
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        # Pillow's own process-wide ceiling, only reachable with limits set above it.
        return PhotoTooLarge("The photo has too many pixels to process.")
    # Decoders report bad input as OSError, SyntaxError, ValueError, EOFError,
    # struct.error, IndexError... the list is long and not documented.
    log.info("photo failed to decode: %s: %s", type(exc).__name__, exc)
    return CorruptPhoto(format=(fmt or "").lower())


def _exif_of(im: Image.Image) -> Image.Exif:
    try:
        return im.getexif()
    except Exception as exc:  # malformed EXIF costs the metadata, not the photo
        log.info("unreadable EXIF ignored: %s", type(exc).__name__)
        return Image.Exif()


def _upright_large(im: Image.Image, turn: int) -> Image.Image:
    """The largest variant's pixels: sRGB or grey, on white, turned upright."""
    icc_profile = im.info.get("icc_profile")
    work = colour.to_working_mode(im)
    # Nothing from the upload's info (EXIF, XMP, comment, ICC...) may follow the
    # pixels into an encoder; derived images copy info, so clear it at the root.
    work.info = {}
    # Shrink first: every later step then touches a quarter of the pixels or less.
    work = _shrink(work, VARIANTS[0].long_edge)
    work = colour.to_srgb(colour.flatten_on_white(work), icc_profile)
    work.info = {}
    if turn in exif.UPRIGHT:
        work = work.transpose(exif.UPRIGHT[turn])
    return work


def _variants(large: Image.Image) -> tuple[dict[str, Variant], Image.Image]:
    """Each variant encoded, and the pixels of the smallest (for the perceptual hash)."""
    variants = {}
    current = large
    for spec in VARIANTS:
        current = _shrink(current, spec.long_edge)
        variants[spec.name] = Variant(spec.name, _encode_jpeg(current, spec), *current.size)
    return variants, current


def _shrink(im: Image.Image, long_edge: int) -> Image.Image:
    """``im`` with its long edge brought to ``long_edge`` (within _SLACK); never enlarged."""
    if max(im.size) <= long_edge * _SLACK:
        return im
    # Whole factors by averaging pixel blocks: ~14x cheaper than LANCZOS, and the
    # display variant still lands ~39 dB from a full-decode LANCZOS reference
    # before JPEG, within 0.5 dB of it after (tests/bench/bench_photos.py).
    factor = max(im.size) // long_edge
    if factor >= 2:
        im = im.reduce(factor)
    if max(im.size) <= long_edge * _SLACK:
        return im
    return im.resize(fit_within(im.size, long_edge), Image.Resampling.LANCZOS)


def _encode_jpeg(im: Image.Image, spec: VariantSpec) -> bytes:
    out = io.BytesIO()
    # Explicit empty metadata: no exif, icc_profile, xmp or comment is written.
    im.save(
        out,
        format="JPEG",
        quality=spec.quality,
        subsampling="4:2:0",
        exif=b"",
        comment=b"",
    )
    return out.getvalue()


@cache
def _register_heif_opener() -> None:
    # pillow-heif loads libheif; only pay for it once a HEIC photo arrives.
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
