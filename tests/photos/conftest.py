"""Photos through the app: pictures made on the spot, an uploader, and the app on S3.

Pictures come from Pillow with real EXIF (tests/media/conftest.py builds it); the S3
backend is the suite's S3-protocol server over HTTP (tests/conftest.py).
"""

import io
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from backend.media.storage import LocalDiskStorage, storage_from_settings
from tests.media.conftest import encode, exif_bytes, marker_picture

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}


def jpeg(size=(1200, 900), *, colour=None, **exif) -> bytes:
    """A JPEG of the marker picture (or a plain colour), with EXIF when asked."""
    picture = Image.new("RGB", size, colour) if colour else marker_picture(size)
    params = {"quality": 90}
    if exif:
        params["exif"] = exif_bytes(**exif)
    return encode(picture, "JPEG", **params)


def multipart(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg",
              field: str = "photo", **fields) -> dict:
    """Keyword arguments for the test client: a multipart body, encoded in memory (the
    client would spool a large one to a temporary file that nothing closes)."""
    values = {field: FileStorage(io.BytesIO(data), filename=name, content_type=content_type),
              **fields}
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def upload(client):
    """upload(bytes, key=None, **form) → the response of POST /api/v1/photos."""
    def send(data: bytes, key: str | None = None, *, name: str = "photo.jpg",
             content_type: str = "image/jpeg", headers: dict | None = None, **form):
        sent = dict(headers or {})
        if key:
            sent["Idempotency-Key"] = key
        return client.post("/api/v1/photos", headers=sent,
                           **multipart(data, name, content_type, **form))
    return send


@pytest.fixture
def photo_dir(app) -> Path:
    return Path(app.config["PHOTO_DIR"])


@pytest.fixture
def local_storage(app) -> LocalDiskStorage:
    return LocalDiskStorage(app.config["PHOTO_DIR"])


def stored_files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


@pytest.fixture
def s3_app(app, aws_env, bucket, monkeypatch):
    """The session's app storing photos in a fresh bucket of the S3 server."""
    for name, value in {"PHOTO_STORAGE": "s3", "S3_BUCKET": bucket, "S3_PREFIX": "photos/",
                        "S3_ENDPOINT_URL": aws_env}.items():
        monkeypatch.setitem(app.config, name, value)
    return storage_from_settings(app.config)


def fetch(client, url: str):
    """GET through the test client, the body read and the file closed."""
    with client.get(url) as answer:
        answer.get_data()
        return answer
