"""POST /api/v1/photos: what comes back, what is stored, replays, and every refusal."""

import io
import os
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.test import encode_multipart

from backend.models import Media
from tests.conftest import count_rows
from tests.media.conftest import encode, jpeg_markers, marker_picture
from tests.photos.conftest import fetch, jpeg, stored_files

# JPEG segments that carry metadata: APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC), COM.
METADATA_MARKERS = {0xE1, 0xE2, 0xED, 0xFE}


def test_upload_answers_id_urls_and_geotag(upload, db_session):
    data = jpeg((1600, 1200), orientation=6, lat=34.0522, lon=-118.2437, direction=271.5,
                taken=datetime(2026, 3, 1, 9, 30), offset="-08:00")
    answer = upload(data)
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert set(body["urls"]) == {"large", "display", "thumb"}
    assert body["urls"]["display"].startswith(f"/api/v1/photos/{body['id']}/display?v=")
    assert (body["width"], body["height"]) == (1200, 1600)  # upright: orientation 6 turns it
    assert body["geotag"]["lat"] == pytest.approx(34.0522, abs=1e-5)
    assert body["geotag"]["lon"] == pytest.approx(-118.2437, abs=1e-5)
    assert body["geotag"]["direction"] == pytest.approx(271.5)
    assert body["taken_at"].startswith("2026-03-01T17:30:00")
    assert body["kind"] == "report"
    stored = db_session.scalar(select(Media).where(Media.public_id == body["id"]))
    assert stored.request_id is None and stored.size_bytes == len(data)
    assert stored.variants["display"]["width"] == 750


def test_stored_variants_carry_no_metadata(client, upload, local_storage, db_session):
    data = jpeg((1600, 1200), orientation=3, lat=51.5, lon=-0.12, taken=datetime(2026, 1, 2))
    data = data + b"<script>alert(1)</script>"  # a tail after the image, as polyglots do
    body = upload(data).json
    media = db_session.scalar(select(Media).where(Media.public_id == body["id"]))
    for name, url in body["urls"].items():
        on_disk = local_storage.get(media.variants[name]["key"])
        assert fetch(client, url).get_data() == on_disk
        assert not METADATA_MARKERS & set(jpeg_markers(on_disk)), name
        for needle in (b"Exif", b"FrontdoorCam", b"<script", b"http://ns.adobe.com"):
            assert needle not in on_disk, (name, needle)
        with Image.open(io.BytesIO(on_disk)) as im:
            assert not im.getexif() and not {"exif", "icc_profile", "xmp", "comment"} & set(im.info)


def test_a_replay_returns_the_same_photo(upload, db_session):
    data = jpeg()
    first = upload(data, key="photo-key-0001")
    again = upload(data, key="photo-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    other = upload(jpeg(colour=(10, 200, 10)), key="photo-key-0001")
    assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"
    assert count_rows(db_session, Media) == 1


def test_a_bad_idempotency_key_is_refused(upload, db_session):
    answer = upload(jpeg(), key="short")
    assert answer.status_code == 422 and answer.json["code"] == "invalid_idempotency_key"
    assert count_rows(db_session, Media) == 0


def test_the_same_bytes_are_recognised_and_not_processed_again(upload, db_session, photo_dir):
    data = jpeg()
    first = upload(data).json
    files = stored_files(photo_dir)
    written = {p: p.stat().st_mtime_ns for p in files}
    second = upload(data).json
    assert second["id"] != first["id"]  # each upload may join a different report
    assert {k: u.split("?v=")[1] for k, u in second["urls"].items()} == \
        {k: u.split("?v=")[1] for k, u in first["urls"].items()}
    assert {p: p.stat().st_mtime_ns for p in stored_files(photo_dir)} == written
    rows = db_session.scalars(select(Media).order_by(Media.id)).all()
    assert [r.variants for r in rows] == [rows[0].variants] * 2


def test_proof_photos_are_marked_as_such(upload):
    answer = upload(jpeg(), kind="proof")
    assert answer.status_code == 201 and answer.json["kind"] == "proof"
    refused = upload(jpeg(), kind="selfie")
    assert refused.status_code == 422 and refused.json["code"] == "invalid_input"


def test_the_format_comes_from_the_bytes_not_the_name(upload):
    png = encode(marker_picture((640, 480)), "PNG")
    answer = upload(png, name="renamed.jpg", content_type="image/jpeg")
    assert answer.status_code == 201, answer.json


def _truncated_jpeg() -> bytes:
    data = jpeg((1200, 900))
    return data[: len(data) // 3]


REFUSALS = [
    ("gif", lambda: encode(marker_picture((64, 64)), "GIF"), 415, "unsupported_photo_type"),
    ("svg with script", lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)"
                                b"</script></svg>", 415, "unsupported_photo_type"),
    ("pdf", lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF", 415, "unsupported_photo_type"),
    ("html", lambda: b"<!doctype html><title>x</title>", 415, "unsupported_photo_type"),
    ("zero bytes", lambda: b"", 422, "corrupt_photo"),
    ("truncated jpeg", _truncated_jpeg, 422, "corrupt_photo"),
]


@pytest.mark.parametrize(("what", "make", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_what_is_not_a_photo_is_refused_and_nothing_stored(upload, db_session, photo_dir, what,
                                                           make, status, code):
    before = stored_files(photo_dir)
    answer = upload(make(), key=f"refused-{code}")
    assert answer.status_code == status, answer.json
    assert answer.json["code"] == code and answer.json["message"]
    assert count_rows(db_session, Media) == 0
    assert stored_files(photo_dir) == before


def test_a_request_without_the_photo_field_is_told_so(client):
    boundary, body = encode_multipart({"kind": "report"})
    answer = client.post("/api/v1/photos", data=body,
                         content_type=f"multipart/form-data; boundary={boundary}")
    assert answer.status_code == 422 and answer.json["code"] == "missing_photo"
    as_json = client.post("/api/v1/photos", json={"photo": "aGVsbG8="})
    assert as_json.status_code == 422 and as_json.json["code"] == "missing_photo"
    assert "multipart/form-data" in as_json.json["message"]


def _noise_png(side: int) -> bytes:
    return encode(Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)), "PNG")


def test_too_large_says_the_limit_before_reading_it(app, upload, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 1024 * 1024)
    data = _noise_png(700)  # ~1.4 MB: over by far more than a multipart envelope
    answer = upload(data)
    assert answer.status_code == 413
    assert answer.json["code"] == "photo_too_large"
    assert answer.json["message"] == "Photos can be at most 1 MB."
    assert answer.json["details"]["max_bytes"] == 1024 * 1024
    assert count_rows(db_session, Media) == 0


def test_too_large_by_a_little_is_refused_by_the_pipeline(app, upload, db_session, monkeypatch):
    data = _noise_png(300)
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", len(data) - 10)
    answer = upload(data)
    assert answer.status_code == 413 and answer.json["code"] == "photo_too_large"
    assert answer.json["details"] == {"max_bytes": len(data) - 10, "byte_size": len(data)}
    assert count_rows(db_session, Media) == 0


def test_too_many_pixels(app, upload, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_PIXELS", 500_000)
    answer = upload(jpeg((1200, 900)))
    assert answer.status_code == 413 and answer.json["code"] == "photo_too_large"
    assert "0.5 megapixels" in answer.json["message"]
    assert count_rows(db_session, Media) == 0


def test_the_upload_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    body = spec["paths"]["/api/v1/photos"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body
