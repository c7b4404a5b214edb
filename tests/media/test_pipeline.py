"""process_photo: the variants it makes, the facts it returns, and what it leaves behind."""

import hashlib
import io

import pytest
from PIL import Image

from backend.media import VARIANTS, ProcessedPhoto, process_photo
from tests.media.conftest import encode, exif_bytes, jpeg_markers, marker_picture

# What a stored variant may contain: JFIF header, quantisation and Huffman
# tables, frame header, scan. Nothing else (no APPn but APP0, no COM).
CLEAN_JPEG_MARKERS = {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
METADATA_INFO_KEYS = {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop"}
METADATA_BYTES = [b"Exif\0\0", b"http://ns.adobe.com/xap", b"8BIM", b"Photoshop", b"ICC_PROFILE"]

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude='
    b'"40,42.768N"/></rdf:RDF></x:xmpmeta>'
)
# An IPTC block as Photoshop writes it, in an APP13 segment.
IPTC_APP13 = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x78\x00\x07Secret!"
APP13 = b"\xff\xed" + (len(IPTC_APP13) + 2).to_bytes(2, "big") + IPTC_APP13


def everything_a_camera_adds(fmt: str) -> bytes:
    """The marker picture with EXIF (GPS, time), ICC, XMP, comment and IPTC where the format can."""
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = exif_bytes(orientation=1, lat=40.7128, lon=-74.006, direction=90.0)
    params = {"exif": exif, "icc_profile": icc}
    if fmt == "JPEG":
        params |= {"xmp": XMP, "comment": b"shot at 12 Main St", "extra": APP13}
    if fmt in ("PNG", "WEBP"):
        params |= {"xmp": XMP}
    return encode(marker_picture((1200, 800)), fmt, **params)


def test_variants_are_jpegs_of_the_promised_sizes(photo):
    result = process_photo(photo("JPEG", size=(4000, 3000), quality=90))

    sizes = {name: (v.width, v.height) for name, v in result.variants.items()}
    assert sizes == {"large": (2000, 1500), "display": (1000, 750), "thumb": (320, 240)}
    for variant in result.variants.values():
        with Image.open(io.BytesIO(variant.data)) as im:
            assert (im.format, im.size, im.mode) == ("JPEG", (variant.width, variant.height), "RGB")
        assert (variant.content_type, variant.extension) == ("image/jpeg", "jpg")


def test_phone_sizes_stay_within_three_percent_of_the_long_edge(photo):
    # 4032 x 3024 decodes to 2016 x 1512 at half scale; a 0.8% resample is not worth it.
    result = process_photo(photo("JPEG", size=(4032, 3024)))

    for spec in VARIANTS:
        variant = result.variants[spec.name]
        assert spec.long_edge <= max(variant.width, variant.height) <= spec.long_edge * 1.03
        assert variant.width / variant.height == pytest.approx(4 / 3, abs=0.01)


def test_never_upscales(photo):
    result = process_photo(photo("PNG", size=(300, 200)))

    assert {(v.width, v.height) for v in result.variants.values()} == {(300, 200)}


def test_the_facts_about_the_upload(photo):
    data = photo("PNG", size=(640, 480))

    result = process_photo(data)

    assert isinstance(result, ProcessedPhoto)
    assert (result.source_format, result.width, result.height) == ("png", 640, 480)
    assert result.byte_size == len(data)
    assert result.content_hash == hashlib.sha256(data).hexdigest()
    assert len(result.phash) == 16 and int(result.phash, 16) >= 0
    assert result.gps is None and result.taken_at is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_no_variant_keeps_any_metadata(fmt):
    data = everything_a_camera_adds(fmt)
    assert process_photo(data).gps is not None  # the upload did carry GPS

    for variant in process_photo(data).variants.values():
        for marker in METADATA_BYTES:
            assert marker not in variant.data, marker
        assert set(jpeg_markers(variant.data)) <= CLEAN_JPEG_MARKERS
        with Image.open(io.BytesIO(variant.data)) as im:
            assert not METADATA_INFO_KEYS & set(im.info)
            assert dict(im.getexif()) == {}


def test_the_input_really_had_all_that_metadata():
    # Guards the test above against a fixture that silently dropped something.
    data = everything_a_camera_adds("JPEG")
    with Image.open(io.BytesIO(data)) as im:
        assert {"exif", "icc_profile", "xmp", "comment", "photoshop"} <= set(im.info)
    for marker in METADATA_BYTES:
        assert marker in data, marker


def test_same_bytes_same_everything(photo):
    data = photo("WEBP", size=(900, 600), exif=exif_bytes(lat=51.5, lon=-0.12))

    first, second = process_photo(data), process_photo(data)

    assert first == second


def test_grey_jpeg_stays_grey():
    data = encode(marker_picture((800, 600)).convert("L"), "JPEG")

    with Image.open(io.BytesIO(process_photo(data).variants["display"].data)) as im:
        assert im.mode == "L"


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    data = encode(Image.new("I;16", (200, 100), 32768), "PNG")

    with Image.open(io.BytesIO(process_photo(data).variants["thumb"].data)) as im:
        assert abs(im.getpixel((100, 50)) - 128) <= 2


def test_palette_png(photo):
    data = encode(marker_picture((300, 200)).convert("P", palette=Image.Palette.ADAPTIVE), "PNG")

    with Image.open(io.BytesIO(process_photo(data).variants["display"].data)) as im:
        assert _near(im.convert("RGB").getpixel((20, 20)), (255, 0, 0))


def _near(a, b, tolerance=24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))
