"""Hostile and broken uploads: each gets its clear error, or a clean re-encode.

Decisions asserted here:
- empty, cut short, or an accepted signature over undecodable bytes → CorruptPhoto;
- bytes with no accepted signature (SVG, HTML, GIF, PDF, ZIP, random) → UnsupportedPhotoType;
- a real photo with something appended (ZIP, HTML) → accepted, because every
  stored variant is re-encoded from pixels and carries none of the appendix;
- too many bytes or pixels → PhotoTooLarge, pixels judged from the header alone.
"""

import io
import random
import struct
import time
import zipfile
import zlib

import pytest
from PIL import Image

from backend.errors import CorruptPhoto, DomainError, PhotoTooLarge, UnsupportedPhotoType
from backend.media import PhotoLimits, process_photo
from backend.media.hashing import content_hash
from tests.media.conftest import encode, marker_picture


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


SCRIPT = b"<html><script>alert(document.cookie)</script></html>"


# ---------------------------------------------------------------- not photos


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "svg"),
        (SCRIPT, "html"),
        (encode(Image.new("P", (10, 10)), "GIF"), "gif"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "pdf"),
        (zip_archive(), "zip"),
        (encode(Image.new("RGB", (10, 10)), "BMP"), "bmp"),
        (encode(Image.new("RGB", (10, 10)), "TIFF"), "tiff"),
        (random.Random(1).randbytes(5000), "unknown"),
    ],
    ids=["svg-with-script", "html", "gif", "pdf", "zip", "bmp", "tiff", "random-bytes"],
)
def test_not_a_photo_we_accept(data, detected):
    with pytest.raises(UnsupportedPhotoType) as refused:
        process_photo(data)

    assert refused.value.status == 415
    assert refused.value.details["detected"] == detected
    assert refused.value.message == "Only JPEG, PNG, WebP and HEIC photos are accepted."


def test_gif_with_a_zip_appended_is_still_a_gif():
    with pytest.raises(UnsupportedPhotoType):
        process_photo(encode(Image.new("P", (10, 10)), "GIF") + zip_archive())


# ---------------------------------------------------------------- polyglots


@pytest.mark.parametrize("appendix", [zip_archive(), SCRIPT], ids=["jpeg+zip", "jpeg+html"])
def test_photo_with_something_appended_is_stored_clean(photo, appendix):
    data = photo("JPEG", size=(800, 600)) + appendix

    result = process_photo(data)

    assert result.content_hash == content_hash(data)  # the upload as received
    for variant in result.variants.values():
        assert b"PK\x03\x04" not in variant.data
        assert b"<script" not in variant.data
        assert variant.data.endswith(b"\xff\xd9")  # nothing after the end of image


def test_png_with_script_in_a_text_chunk_is_stored_clean(photo):
    data = encode(marker_picture(), "PNG", pnginfo=_text_chunk("Comment", SCRIPT.decode()))

    for variant in process_photo(data).variants.values():
        assert b"<script" not in variant.data


def _text_chunk(key: str, value: str):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt(key, value)
    return info


def test_html_behind_a_jpeg_signature_is_corrupt():
    with pytest.raises(CorruptPhoto):
        process_photo(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + SCRIPT)


# ---------------------------------------------------------------- broken photos


def test_zero_bytes():
    with pytest.raises(CorruptPhoto) as refused:
        process_photo(b"")

    assert refused.value.code == "corrupt_photo" and refused.value.status == 422


@pytest.mark.parametrize(
    ("fmt", "size"),
    [
        ("JPEG", (800, 600)),
        ("JPEG", (4000, 3000)),
        ("PNG", (800, 600)),
        ("WEBP", (800, 600)),
        ("HEIF", (800, 600)),
    ],
    ids=["jpeg", "jpeg-half-scale", "png", "webp", "heic"],
)
def test_cut_short(photo, fmt, size):
    data = photo(fmt, size=size)

    with pytest.raises(CorruptPhoto):
        process_photo(data[: len(data) // 2])


def test_jpeg_signature_then_garbage():
    with pytest.raises(CorruptPhoto):
        process_photo(b"\xff\xd8\xff" + random.Random(2).randbytes(4000))


def test_png_with_a_bad_checksum(photo):
    data = bytearray(photo("PNG"))
    data[29] ^= 0xFF  # inside the IHDR checksum

    with pytest.raises(CorruptPhoto):
        process_photo(bytes(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_no_decoder_exception_escapes_damaged_bytes(photo, fmt):
    # Deterministic fuzzing: flipped bytes and random cuts. Whatever happens,
    # the caller sees a result or one of the domain's errors, never Pillow's.
    original = photo(fmt, size=(240, 160))
    rng = random.Random(fmt)
    outcomes = set()
    for _ in range(60):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        try:
            process_photo(bytes(data))
            outcomes.add("ok")
        except DomainError as refused:
            assert type(refused) in (CorruptPhoto, UnsupportedPhotoType, PhotoTooLarge)
            outcomes.add(refused.code)
    assert {"ok", "corrupt_photo"} <= outcomes  # both paths were exercised


# ---------------------------------------------------------------- size limits


def test_too_many_bytes_says_the_limit():
    with pytest.raises(PhotoTooLarge) as refused:
        process_photo(b"\xff\xd8\xff" + bytes(20 * 1024 * 1024))

    assert refused.value.message == "Photos can be at most 20 MB."
    assert refused.value.status == 413 and refused.value.code == "photo_too_large"


def test_limits_are_per_call(photo):
    data = photo("JPEG", size=(1000, 1000))

    with pytest.raises(PhotoTooLarge, match=r"at most 0\.5 MB"):
        process_photo(data + bytes(600_000), PhotoLimits(max_bytes=512 * 1024))
    with pytest.raises(PhotoTooLarge, match="at most 0.9 megapixels"):
        process_photo(data, PhotoLimits(max_pixels=900_000))
    assert process_photo(data).width == 1000  # the defaults were not touched


def huge_black_png(width: int, height: int) -> bytes:
    """A real, decodable 1-bit PNG: 100 megapixels in ~12 KB, built in milliseconds."""
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_the_png_bomb_builder_makes_real_pngs():
    with Image.open(io.BytesIO(huge_black_png(300, 200))) as im:
        im.load()
        assert im.size == (300, 200) and im.getextrema() == (0, 0)


def forged_jpeg(photo) -> bytes:
    data = bytearray(photo("JPEG", size=(64, 48)))
    struct.pack_into(">HH", data, data.index(b"\xff\xc0") + 5, 10000, 10000)
    return bytes(data)


def forged_webp(photo) -> bytes:
    data = bytearray(photo("WEBP", size=(64, 48), exif=b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0"))
    assert data[12:16] == b"VP8X"
    data[24:30] = (9999).to_bytes(3, "little") * 2
    return bytes(data)


def forged_heic(photo) -> bytes:
    data = bytearray(photo("HEIF", size=(64, 48)))
    start = 0
    while (start := data.find(b"ispe", start) + 1) > 0:
        struct.pack_into(">II", data, start + 7, 10000, 10000)
    return bytes(data)


@pytest.mark.parametrize(
    "make",
    [lambda photo: huge_black_png(10000, 10000), forged_jpeg, forged_webp, forged_heic],
    ids=["real-100MP-png", "jpeg-forged-frame-size", "webp-forged-canvas", "heic-forged-ispe"],
)
def test_pixel_bombs_are_refused_from_the_header_in_milliseconds(photo, monkeypatch, make):
    bomb = make(photo)
    assert len(bomb) < 100_000

    def must_not_decode(*args, **kwargs):
        raise AssertionError("the decoder was reached")

    monkeypatch.setattr(Image, "open", must_not_decode)
    started = time.perf_counter()
    with pytest.raises(PhotoTooLarge) as refused:
        process_photo(bomb)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.1, f"{elapsed * 1000:.1f} ms"
    assert refused.value.message == "Photos can be at most 50 megapixels."
    assert refused.value.details["width"] * refused.value.details["height"] >= 99_980_001


def test_pillow_global_limit_is_left_alone(photo):
    before = Image.MAX_IMAGE_PIXELS
    process_photo(photo("PNG"))
    with pytest.raises(PhotoTooLarge):
        process_photo(huge_black_png(10000, 10000))

    assert before == Image.MAX_IMAGE_PIXELS


def test_pillows_own_bomb_error_is_mapped_too(photo, monkeypatch):
    # Only reachable when a caller sets limits above Pillow's process-wide ceiling.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    with pytest.raises(PhotoTooLarge, match="too many pixels"):
        process_photo(photo("PNG", size=(300, 200)))


@pytest.mark.parametrize("limits", [{"max_bytes": 0}, {"max_pixels": -1}])
def test_limits_must_be_positive(limits):
    with pytest.raises(ValueError):
        PhotoLimits(**limits)
