"""Format and header size come from the bytes alone; everything else is refused."""

import struct

import pytest

from backend.errors import CorruptPhoto, UnsupportedPhotoType
from backend.media import formats

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>fetch('/api/v1/auth/me').then(r => r.text()).then(alert)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("fmt", "params", "expected"),
    [
        ("JPEG", {}, formats.JPEG),
        ("JPEG", {"progressive": True}, formats.JPEG),
        ("PNG", {}, formats.PNG),
        ("WEBP", {}, formats.WEBP),
        ("WEBP", {"lossless": True}, formats.WEBP),
        ("HEIF", {}, formats.HEIC),
    ],
)
def test_accepted_formats_and_their_header_size(photo, fmt, params, expected):
    sniffed = formats.sniff(photo(fmt, size=(322, 124), **params))

    assert (sniffed.format, sniffed.width, sniffed.height) == (expected, 322, 124)


def test_extended_webp_header(photo):
    # An ICC profile or EXIF forces the VP8X layout, with a 24-bit canvas size.
    data = photo("WEBP", size=(5000, 7), exif=b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0")

    assert data[12:16] == b"VP8X"
    assert formats.sniff(data) == formats.Sniffed(formats.WEBP, 5000, 7)


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (SVG_WITH_SCRIPT, "svg"),
        (b"\xef\xbb\xbf  \n" + SVG_WITH_SCRIPT, "svg"),
        (HTML, "html"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04", "gif"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj", "pdf"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "zip"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "avif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video"),
        (bytes(range(7, 250)) * 4, "unknown"),
    ],
)
def test_everything_else_is_refused_and_named(data, detected):
    with pytest.raises(UnsupportedPhotoType) as refused:
        formats.sniff(data)

    assert refused.value.code == "unsupported_photo_type"
    assert refused.value.details["detected"] == detected


def test_a_png_named_jpg_is_a_png(photo):
    # Names and content types never reach this module: only bytes do.
    assert formats.detect_format(photo("PNG")) == formats.PNG


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8\xff",  # JPEG magic, nothing after
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",  # cut inside APP0
        b"\xff\xd8\xff\xda\x00\x08" + b"\x00" * 8,  # scan data before any frame header
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",  # cut before the size
        b"RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00\x00\x00\x00",  # no start code
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # no meta box
    ],
)
def test_accepted_magic_with_a_broken_header_is_corrupt(data):
    with pytest.raises(CorruptPhoto):
        formats.sniff(data)


def test_heic_header_size_is_the_coded_size_an_upper_bound(photo):
    # HEVC codes 4:2:0 pictures in even sizes and crops with a 'clap' box; the
    # guard uses the coded size, which is never smaller than the picture.
    sniffed = formats.sniff(photo("HEIF", size=(641, 481)))

    assert (sniffed.width, sniffed.height) == (642, 482)


def test_jpeg_frame_header_found_after_large_app_segments(photo):
    # EXIF, ICC and XMP segments come before the frame header in camera files.
    padded = photo("JPEG", size=(90, 60), exif=b"Exif\0\0" + b"\0" * 60000)

    assert formats.sniff(padded) == formats.Sniffed(formats.JPEG, 90, 60)


def test_jpeg_size_reads_the_frame_header_fields(photo):
    data = bytearray(photo("JPEG", size=(90, 60)))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 7000, 9000)  # height, width

    assert formats.sniff(bytes(data)) == formats.Sniffed(formats.JPEG, 9000, 7000)
