"""Exact and perceptual fingerprints."""

import hashlib

import pytest
from PIL import Image, ImageDraw, ImageFilter

from backend.media import content_hash, perceptual_hash, phash_distance, process_photo
from tests.media.conftest import encode, exif_bytes, marker_picture


def scene(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A busy picture of shapes; different seeds give unrelated pictures."""
    import random

    rng = random.Random(seed)
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(20, 160)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return im


def test_content_hash_is_sha256_hex():
    assert content_hash(b"frontdoor") == hashlib.sha256(b"frontdoor").hexdigest()


def test_perceptual_hash_is_16_hex_characters():
    value = perceptual_hash(scene(1))

    assert len(value) == 16 and int(value, 16) >= 0


def test_same_scene_reencoded_resized_or_converted_stays_close():
    reference = process_photo(encode(scene(1), "PNG")).phash
    variants = [
        encode(scene(1), "JPEG", quality=40),
        encode(scene(1).resize((1600, 1200)), "WEBP", quality=60),
        encode(scene(1).filter(ImageFilter.GaussianBlur(2)), "JPEG"),
        encode(scene(1), "HEIF", quality=50),
    ]

    for data in variants:
        assert phash_distance(reference, process_photo(data).phash) <= 6


def test_exif_rotated_photo_matches_its_upright_twin():
    upright = process_photo(encode(scene(3), "JPEG")).phash
    stored_sideways = scene(3).transpose(Image.Transpose.ROTATE_90)
    tagged = encode(stored_sideways, "JPEG", exif=exif_bytes(orientation=6))

    assert phash_distance(upright, process_photo(tagged).phash) <= 4


def test_unrelated_pictures_are_far_apart():
    hashes = [process_photo(encode(scene(seed), "JPEG")).phash for seed in range(6)]
    hashes.append(process_photo(encode(marker_picture(), "JPEG")).phash)

    distances = [phash_distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert min(distances) >= 14
    assert 24 <= sum(distances) / len(distances) <= 40


def test_distance_is_hamming():
    assert phash_distance("0000000000000000", "0000000000000000") == 0
    assert phash_distance("0000000000000000", "ffffffffffffffff") == 64
    assert phash_distance("8000000000000001", "0000000000000000") == 2
    assert phash_distance("ABCDEF0123456789", "abcdef0123456789") == 0


@pytest.mark.parametrize("bad", ["", "abc", "0x00000000000000", "g000000000000000", "0" * 17])
def test_distance_refuses_what_is_not_a_phash(bad):
    with pytest.raises(ValueError):
        phash_distance(bad, "0" * 16)
