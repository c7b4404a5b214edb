"""Photos: the pure pipeline (bytes in, clean variants and facts out) and where they are stored.

Nothing in this package knows about Flask or the database.
"""

from importlib import import_module

# Each name loads with its module on first use (PEP 562): Pillow stays out of the cold
# start of requests that never touch a photo.
_HOME = {
    # backend.media.exif
    "GeoTag": "backend.media.exif",
    # backend.media.hashing
    "content_hash": "backend.media.hashing", "perceptual_hash": "backend.media.hashing",
    "phash_distance": "backend.media.hashing",
    # backend.media.pipeline
    "DEFAULT_LIMITS": "backend.media.pipeline", "PhotoLimits": "backend.media.pipeline",
    "ProcessedPhoto": "backend.media.pipeline", "VARIANTS": "backend.media.pipeline",
    "Variant": "backend.media.pipeline", "VariantSpec": "backend.media.pipeline",
    "process_photo": "backend.media.pipeline",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value  # loaded once, then a plain attribute
    return value
