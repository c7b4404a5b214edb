"""Direct uploads: the phone sends the original straight to storage, then asks to finish.

Local mode against the app's own signed URL; S3 mode against the suite's S3-protocol
server over real HTTP (the presigned POST is sent by urllib, as a browser would).
"""

import io
import time
import urllib.error
import urllib.request
import uuid

import boto3
import itsdangerous
import pytest
from PIL import Image
from sqlalchemy import select

from backend.models import Media
from tests.conftest import count_rows
from tests.photos.conftest import fetch, jpeg, multipart, stored_files

GEOTAGGED = {"lat": 34.0522, "lon": -118.2437, "orientation": 6}


def start(client, **body):
    answer = client.post("/api/v1/photos/uploads", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def finish(client, key: str, **body):
    return client.post("/api/v1/photos/uploads/finish", json={"key": key, **body})


# -- local storage (the embedded default) ---------------------------------------------------

def send_local(client, upload: dict, data: bytes):
    return client.post(upload["url"], **multipart(data, field="file", **upload["fields"]))


def test_local_direct_upload_end_to_end(client, photo_dir, db_session):
    upload = start(client)
    assert upload["url"].startswith("/api/v1/photos/uploads/local/")
    assert upload["key"].startswith("uploads/") and upload["method"] == "POST"
    assert upload["file_field"] == "file" and upload["max_bytes"] == 20 * 1024 * 1024

    sent = send_local(client, upload, jpeg((1600, 1200), **GEOTAGGED))
    assert sent.status_code == 204, sent.json
    original = photo_dir / upload["key"]
    assert original.is_file()  # kept as sent until processed

    done = finish(client, upload["key"])
    assert done.status_code == 201, done.json
    assert done.json["geotag"]["lat"] == pytest.approx(34.0522, abs=1e-5)
    assert (done.json["width"], done.json["height"]) == (1200, 1600)
    assert not original.exists()  # the original, with its metadata, is gone
    with Image.open(io.BytesIO(fetch(client, done.json["urls"]["large"]).get_data())) as im:
        assert not im.getexif()

    again = finish(client, upload["key"], kind="proof")
    assert again.status_code == 200 and again.json["id"] == done.json["id"]
    assert again.json["kind"] == "proof"  # not on a report yet: the kind may still change
    assert count_rows(db_session, Media) == 1
    late = send_local(client, upload, jpeg())
    assert late.status_code == 409 and late.json["code"] == "upload_already_processed"
    assert not original.exists()


def test_a_tampered_or_expired_upload_url_is_refused(client, photo_dir, monkeypatch):
    upload = start(client)
    base, _, signature = upload["url"].rpartition(".")
    # A character inside the signature (the last one may only carry padding bits).
    tampered = f"{base}.{signature[:5]}{'A' if signature[5] != 'A' else 'B'}{signature[6:]}"
    answer = client.post(tampered, **multipart(jpeg(), field="file"))
    assert answer.status_code == 403 and answer.json["code"] == "invalid_upload_url"

    real_time = time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 3600)
    old = start(client)
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    expired = send_local(client, old, jpeg())
    assert expired.status_code == 403 and expired.json["code"] == "upload_url_expired"
    assert not (photo_dir / upload["key"]).exists() and not (photo_dir / old["key"]).exists()


def test_a_refused_upload_is_removed_and_nothing_made(client, photo_dir, db_session):
    upload = start(client)
    assert send_local(client, upload, b"%PDF-1.7 not a photo").status_code == 204
    answer = finish(client, upload["key"])
    assert answer.status_code == 415 and answer.json["code"] == "unsupported_photo_type"
    assert not (photo_dir / upload["key"]).exists()
    assert count_rows(db_session, Media) == 0


def test_a_local_upload_over_the_limit_is_refused(app, client, photo_dir, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 100_000)
    upload = start(client)
    assert upload["max_bytes"] == 100_000
    answer = send_local(client, upload, jpeg((2000, 1500)) + b"\0" * 200_000)
    assert answer.status_code == 413 and answer.json["code"] == "photo_too_large"
    assert not (photo_dir / upload["key"]).exists()


@pytest.mark.parametrize(("key", "status", "code"), [
    ("uploads/" + "0" * 32, 404, "upload_not_found"),
    ("photos/ab/secret.jpg", 422, "unknown_upload"),
    ("uploads/../health/readyz-probe.txt", 422, "unknown_upload"),
])
def test_finishing_what_was_never_uploaded(client, key, status, code):
    answer = finish(client, key)
    assert answer.status_code == status and answer.json["code"] == code


def test_only_photo_types_may_be_announced(client):
    answer = client.post("/api/v1/photos/uploads", json={"content_type": "image/svg+xml"})
    assert answer.status_code == 415 and answer.json["code"] == "unsupported_photo_type"


# -- S3 over HTTP ---------------------------------------------------------------------------

def post_form(url: str, fields: dict, body: bytes) -> int:
    """A browser's multipart/form-data POST of a presigned upload, by plain HTTP."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
                 + body + f"\r\n--{boundary}--\r\n".encode())
    request = urllib.request.Request(url, data=b"".join(parts), method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint)
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_s3_direct_upload_end_to_end(client, s3_app, aws_env, bucket, photo_dir, db_session):
    before = stored_files(photo_dir)
    upload = start(client)
    assert upload["url"].startswith(aws_env)
    assert upload["fields"]["key"] == upload["key"] and "policy" in upload["fields"]
    assert post_form(upload["url"], upload["fields"], jpeg((1600, 1200), **GEOTAGGED)) == 204
    assert bucket_keys(aws_env, bucket) == [upload["key"]]

    done = finish(client, upload["key"])
    assert done.status_code == 201, done.json
    assert done.json["geotag"]["lon"] == pytest.approx(-118.2437, abs=1e-5)
    stored = bucket_keys(aws_env, bucket)
    assert upload["key"] not in stored  # the original is removed once processed
    assert len(stored) == 3 and all(k.startswith("photos/") for k in stored)
    assert stored_files(photo_dir) == before  # nothing went to the local folder

    answer = client.get(done.json["urls"]["display"])
    assert answer.status_code == 302
    with urllib.request.urlopen(answer.headers["Location"], timeout=10) as image:
        data = image.read()
        assert image.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (750, 1000) and not im.getexif()
    assert finish(client, upload["key"]).json["id"] == done.json["id"]
    assert count_rows(db_session, Media) == 1


def test_s3_upload_through_the_api(client, s3_app, aws_env, bucket, upload, auth):
    photo = upload(jpeg()).json
    assert len(bucket_keys(aws_env, bucket)) == 3
    hidden = client.post(f"/api/v1/photos/{photo['id']}/hide", json={},
                         headers=auth("dispatcher"))
    assert hidden.status_code == 200
    assert client.get(photo["urls"]["thumb"]).status_code == 404
    staff = client.get(photo["urls"]["thumb"], headers=auth("dispatcher"))
    assert staff.status_code == 302 and staff.headers["Cache-Control"] == "private, no-store"
    redacted = client.post(f"/api/v1/photos/{photo['id']}/redact",
                           json={"x": 0, "y": 0, "width": 0.5, "height": 0.5},
                           headers=auth("dispatcher"))
    assert redacted.status_code == 200, redacted.json
    assert len(bucket_keys(aws_env, bucket)) == 6  # unredacted kept beside the redacted


def test_the_local_upload_url_is_off_in_s3_mode(client, s3_app):
    with client.application.test_request_context():
        from backend.services import photos

        token = photos.sign_upload_key(client.application.config["SECRET_KEY"],
                                       "uploads/" + "1" * 32)
    answer = client.post(f"/api/v1/photos/uploads/local/{token}",
                         **multipart(jpeg(), field="file"))
    assert answer.status_code == 404 and answer.json["code"] == "local_uploads_off"


def test_an_upload_the_bucket_never_got_is_not_found(client, s3_app):
    upload = start(client)
    answer = finish(client, upload["key"])
    assert answer.status_code == 404 and answer.json["code"] == "upload_not_found"


def test_the_same_photo_twice_in_the_bucket_is_stored_once(client, s3_app, aws_env, bucket,
                                                           upload, db_session):
    data = jpeg()
    first, second = upload(data).json, upload(data).json
    assert first["id"] != second["id"]
    assert len(bucket_keys(aws_env, bucket)) == 3
    rows = db_session.scalars(select(Media)).all()
    assert rows[0].variants == rows[1].variants
