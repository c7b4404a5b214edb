"""Photo fixtures made on the spot with Pillow, and a real S3-protocol server over HTTP.

Images are built in the tests (no binary fixtures in the repo): an asymmetric
marker picture for orientation, real EXIF with GPS and capture time, a
hand-built ICC profile with red and blue primaries swapped, HEIC through
pillow-heif. The S3 server is the suite's (moto's, over HTTP on loopback).
"""

import io
import struct
import uuid
from collections.abc import Callable
from datetime import datetime

import pytest
from PIL import ExifTags, Image, ImageDraw

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)

# Upright, the marker picture has a red block top-left and a blue block top-right:
# any rotation or mirror moves at least one of them.
MARKER_SIZE = (600, 400)

# EXIF orientation → the transpose that turns an upright picture into what a
# camera would store with that tag (the inverse of what a viewer applies).
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def marker_picture(size: tuple[int, int] = MARKER_SIZE) -> Image.Image:
    width, height = size
    im = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, width // 4, height // 4), fill=RED)
    draw.rectangle((width - width // 4, 0, width - 1, height // 4), fill=BLUE)
    return im


def exif_bytes(
    *,
    orientation: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    direction: float | None = None,
    taken: datetime | None = None,
    offset: str | None = None,
) -> bytes:
    """Real EXIF (TIFF IFDs, GPS IFD, Exif IFD) as a camera writes it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FrontdoorCam"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
        if direction is not None:
            gps[ExifTags.GPS.GPSImgDirectionRef] = "T"
            gps[ExifTags.GPS.GPSImgDirection] = direction
    if taken is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            sub[ExifTags.Base.OffsetTimeOriginal] = offset
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return float(degrees), float(minutes), seconds


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    """``im`` saved as JPEG, PNG, WEBP or HEIF (pillow-heif) bytes."""
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    out = io.BytesIO()
    im.save(out, format=fmt, **params)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The marker codes of a JPEG's segments up to and including SOS."""
    markers, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    return markers


def matrix_icc_profile(red_xyz, green_xyz, blue_xyz, gamma: float = 2.2) -> bytes:
    """A minimal ICC v2 RGB display profile (matrix and gamma curves), built by hand.

    Pillow cannot make an RGB profile with chosen primaries, and no profile file
    ships with the system, so the test writes the ~500 bytes itself.
    """

    def xyz(values) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    text = b"swapped primaries\0"
    description = (
        b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    )
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    tags = [
        (b"desc", description),
        (b"cprt", b"text\0\0\0\0public domain\0"),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(red_xyz)),
        (b"gXYZ", xyz(green_xyz)),
        (b"bXYZ", xyz(blue_xyz)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset, table, body = 128 + table_size, [], b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table.append(struct.pack(">4sII", signature, offset + len(body), len(data)))
        body += data
    size = 128 + table_size + len(body)
    header = (
        struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + b"".join(struct.pack(">i", round(v * 65536)) for v in (0.9642, 1.0, 0.8249))
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(table) + body


# sRGB primaries adapted to D50, as in the sRGB ICC profile.
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)


@pytest.fixture(scope="session")
def swapped_icc() -> bytes:
    """An RGB profile whose 'red' channel is sRGB blue and whose 'blue' is sRGB red."""
    return matrix_icc_profile(SRGB_BLUE, SRGB_GREEN, SRGB_RED)


@pytest.fixture
def photo() -> Callable[..., bytes]:
    """photo(fmt="JPEG", size=..., **save_params) → bytes of the marker picture."""

    def make(fmt: str = "JPEG", size: tuple[int, int] = MARKER_SIZE, **params) -> bytes:
        return encode(marker_picture(size), fmt, **params)

    return make


# ---------------------------------------------------------------- S3 over HTTP


@pytest.fixture(scope="session")
def s3_endpoint(aws_endpoint) -> str:
    """URL of the suite's moto server (tests/conftest.py), for the whole session."""
    return aws_endpoint


@pytest.fixture(scope="session")
def s3_client(s3_endpoint):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(s3_client) -> str:
    """A fresh, empty bucket per test."""
    name = f"frontdoor-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    for item in s3_client.list_objects_v2(Bucket=name).get("Contents", []):
        s3_client.delete_object(Bucket=name, Key=item["Key"])
    s3_client.delete_bucket(Bucket=name)
