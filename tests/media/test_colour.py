"""Colour: embedded profiles converted to sRGB then dropped; transparency on white."""

import io

import pytest
from PIL import Image, ImageCms

from backend.media import process_photo
from tests.media.conftest import encode


def centre_colour(data: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as im:
        assert "icc_profile" not in im.info
        return im.convert("RGB").getpixel((im.width // 2, im.height // 2))


def near(found, expected, tolerance=6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(found, expected, strict=True))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_pixels_are_converted_from_the_embedded_profile_to_srgb(fmt, swapped_icc):
    # Under the swapped profile, the file's (255, 0, 0) means sRGB blue.
    data = encode(Image.new("RGB", (400, 300), (255, 0, 0)), fmt, icc_profile=swapped_icc)

    result = process_photo(data)

    for variant in result.variants.values():
        assert near(centre_colour(variant.data), (0, 0, 255)), centre_colour(variant.data)


def test_a_large_jpeg_decoded_at_half_scale_is_converted_too(swapped_icc):
    data = encode(Image.new("RGB", (4000, 3000), (0, 0, 255)), "JPEG", icc_profile=swapped_icc)

    assert near(centre_colour(process_photo(data).variants["large"].data), (255, 0, 0))


def test_srgb_profile_leaves_colours_alone():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (300, 200), (200, 120, 40)), "PNG", icc_profile=srgb)

    assert near(centre_colour(process_photo(data).variants["display"].data), (200, 120, 40))


@pytest.mark.parametrize(
    "profile",
    [b"not a profile at all" * 10, None],
    ids=["unreadable", "grey-profile-on-rgb"],
)
def test_unusable_profile_is_ignored_not_fatal(profile):
    if profile is None:  # a valid profile for the wrong colour space
        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    data = encode(Image.new("RGB", (300, 200), (200, 120, 40)), "JPEG", icc_profile=profile)

    assert near(centre_colour(process_photo(data).variants["display"].data), (200, 120, 40))


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG")

    display = process_photo(data).variants["display"].data

    with Image.open(io.BytesIO(display)) as im:
        assert im.mode == "RGB"
    assert near(centre_colour(display), (255, 0, 0), tolerance=12)


def half_transparent(mode: str) -> Image.Image:
    """Left half fully transparent; right half opaque red (or black for grey modes)."""
    im = Image.new("RGBA", (400, 200), (255, 0, 0, 255))
    im.paste((0, 0, 0, 0), (0, 0, 200, 200))
    if mode == "RGBA":
        return im
    if mode == "LA":
        return im.convert("LA")
    return im.convert("P", palette=Image.Palette.ADAPTIVE)  # alpha becomes tRNS


@pytest.mark.parametrize(
    ("fmt", "mode"), [("PNG", "RGBA"), ("PNG", "LA"), ("PNG", "P"), ("WEBP", "RGBA")]
)
def test_transparency_is_flattened_on_white(fmt, mode):
    result = process_photo(encode(half_transparent(mode), fmt))

    with Image.open(io.BytesIO(result.variants["display"].data)) as im:
        rgb = im.convert("RGB")
        assert near(rgb.getpixel((50, 100)), (255, 255, 255))
        assert rgb.getpixel((350, 100)) != (255, 255, 255)


def test_half_alpha_blends_with_white():
    data = encode(Image.new("RGBA", (200, 200), (255, 0, 0, 128)), "PNG")

    assert near(centre_colour(process_photo(data).variants["thumb"].data), (255, 127, 127))
