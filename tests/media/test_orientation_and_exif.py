"""EXIF: every orientation comes out upright; GPS and capture time are read, or ignored."""

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import ExifTags, Image

from backend.media import GeoTag, process_photo
from backend.media import exif as exif_module
from tests.media.conftest import BLUE, RED, STORED_AS, WHITE, encode, exif_bytes, marker_picture


def as_camera_stores_it(size: tuple[int, int], orientation: int, fmt: str = "JPEG") -> bytes:
    """The upright marker picture stored sideways/mirrored, tagged to be shown upright."""
    stored = marker_picture(size)
    if STORED_AS[orientation] is not None:
        stored = stored.transpose(STORED_AS[orientation])
    return encode(stored, fmt, exif=exif_bytes(orientation=orientation), quality=90)


def assert_upright(data: bytes, size: tuple[int, int]) -> None:
    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB")
        width, height = im.size
        assert width / height == pytest.approx(size[0] / size[1], abs=0.01)
        probes = {
            "top-left": ((0.1, 0.1), RED),
            "top-right": ((0.9, 0.1), BLUE),
            "bottom-left": ((0.1, 0.9), WHITE),
            "bottom-right": ((0.9, 0.9), WHITE),
        }
        for where, ((fx, fy), expected) in probes.items():
            found = im.getpixel((int(fx * width), int(fy * height)))
            assert all(abs(a - b) <= 30 for a, b in zip(found, expected, strict=True)), (
                where,
                found,
            )


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    "size",
    [(600, 400), (4000, 2400)],
    ids=["decoded-full", "decoded-at-half-scale"],
)
def test_every_orientation_comes_out_upright(orientation, size):
    result = process_photo(as_camera_stores_it(size, orientation))

    assert (result.width, result.height) == size
    for variant in result.variants.values():
        assert_upright(variant.data, size)


@pytest.mark.parametrize(("fmt", "orientation"), [("PNG", 6), ("WEBP", 3), ("WEBP", 7)])
def test_orientation_in_png_and_webp_exif_is_applied_too(fmt, orientation):
    result = process_photo(as_camera_stores_it((500, 300), orientation, fmt))

    assert_upright(result.variants["display"].data, (500, 300))


def test_heic_comes_out_upright():
    # pillow-heif writes the EXIF orientation as the HEIF 'irot' transform, which
    # libheif applies on decode (and then reports orientation 1): the phone case.
    result = process_photo(as_camera_stores_it((640, 480), 6, "HEIF"))

    assert result.source_format == "heic"
    assert_upright(result.variants["display"].data, (640, 480))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_gps_position_and_direction_are_read(fmt):
    exif = exif_bytes(lat=40.689247, lon=-74.044502, direction=231.5)

    result = process_photo(encode(marker_picture(), fmt, exif=exif))

    assert result.gps == GeoTag(
        lat=pytest.approx(40.689247, abs=1e-6),
        lon=pytest.approx(-74.044502, abs=1e-6),
        direction=231.5,
    )


def test_southern_and_eastern_hemispheres():
    result = process_photo(
        encode(marker_picture(), "JPEG", exif=exif_bytes(lat=-33.8568, lon=151.2153))
    )

    assert result.gps.lat == pytest.approx(-33.8568, abs=1e-6)
    assert result.gps.lon == pytest.approx(151.2153, abs=1e-6)
    assert result.gps.direction is None


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(0.0, 0.0), (91.0, 10.0), (10.0, 181.0)],
    ids=["null-island", "latitude-out-of-range", "longitude-out-of-range"],
)
def test_unusable_gps_is_ignored(lat, lon):
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (lat, 0.0, 0.0), 3: "E", 4: (lon, 0.0, 0.0)})

    assert exif_module.geotag(exif) is None


def test_malformed_gps_is_ignored_not_fatal():
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: "forty degrees", 3: "E", 4: (1.0, 2.0, 3.0, 4.0)})

    assert exif_module.geotag(exif) is None


def test_direction_out_of_range_is_dropped_but_position_kept():
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "S", 2: (12.0, 30.0, 0.0), 3: "W", 4: (77.0, 0.0, 36.0), 17: 400.0}
    )

    assert exif_module.geotag(exif) == GeoTag(lat=-12.5, lon=-77.01, direction=None)


def test_capture_time_with_its_utc_offset():
    exif = exif_bytes(taken=datetime(2024, 5, 17, 14, 30, 5), offset="-07:00")

    taken = process_photo(encode(marker_picture(), "JPEG", exif=exif)).taken_at

    assert taken == datetime(2024, 5, 17, 14, 30, 5, tzinfo=timezone(timedelta(hours=-7)))
    assert taken.astimezone(UTC).hour == 21


def test_capture_time_without_offset_is_naive_local_time():
    exif = exif_bytes(taken=datetime(2023, 12, 31, 23, 59, 59))

    taken = process_photo(encode(marker_picture(), "HEIF", exif=exif)).taken_at

    assert taken == datetime(2023, 12, 31, 23, 59, 59)
    assert taken.tzinfo is None


@pytest.mark.parametrize("written", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday"])
def test_unset_or_garbled_capture_time_is_none(written):
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = written

    assert exif_module.taken_at(exif) is None


@pytest.mark.parametrize("value", [0, 9, "6", None])
def test_invalid_orientation_means_as_stored(value):
    exif = Image.Exif()
    if value is not None:
        exif[ExifTags.Base.Orientation] = value

    assert exif_module.orientation(exif) == 1


def test_garbage_exif_costs_the_metadata_not_the_photo():
    data = encode(marker_picture(), "JPEG", exif=b"Exif\0\0MM\0*\0\0\0\x08\xff\xff\x01\x12")

    result = process_photo(data)

    assert result.gps is None and result.taken_at is None
    assert_upright(result.variants["display"].data, (600, 400))
