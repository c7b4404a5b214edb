"""The Lambda HTTP handler with API Gateway HTTP API (payload 2.0) events, end to end."""

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import request
from PIL import Image

from backend import create_app, lambda_handlers
from backend.config import Config
from tests.deploy.conftest import http_event, response_body, response_json

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"
GRAFFITI = {"service_code": "graffiti-removal", "lat": 34.0537, "lon": -118.2427,
            "description": "Tag on the wall by the bus stop", "attributes": {"surface": "wall"}}


def test_liveness_answers_with_the_gateway_request_id(invoke):
    event = http_event("GET", "/healthz")
    answer = invoke(event)
    assert answer["statusCode"] == 200
    assert response_json(answer) == {"status": "ok"}
    assert answer["headers"]["x-request-id"] == event["requestContext"]["requestId"]


def test_a_client_request_id_is_honoured(invoke):
    answer = invoke(http_event("GET", "/healthz", headers={"X-Request-Id": "pwa-7f3a.2"}))
    assert answer["headers"]["x-request-id"] == "pwa-7f3a.2"


def test_a_report_posted_as_base64_json_is_stored_and_readable(invoke):
    answer = invoke(http_event("POST", "/api/v1/requests", body=json.dumps(GRAFFITI),
                               base64_body=True, content_type="application/json"))
    assert answer["statusCode"] == 201, response_body(answer)
    tracking = response_json(answer)["tracking"]
    shown = invoke(http_event("GET", f"/api/v1/requests/{tracking}"))
    assert shown["statusCode"] == 200
    assert response_json(shown)["description"] == GRAFFITI["description"]


def test_query_strings_reach_the_app_decoded(invoke):
    for description in ("Tag by the bus stop", "Tag & paint, 50% of the wall"):
        posted = invoke(http_event("POST", "/api/v1/requests", content_type="application/json",
                                   body=json.dumps({**GRAFFITI, "description": description})))
        assert posted["statusCode"] == 201, response_body(posted)
    other = invoke(http_event("GET", "/open311/v2/requests.json",
                              query="service_code=dead-animal-removal&status=open"))
    assert other["statusCode"] == 200, response_body(other)
    assert response_json(other) == []
    found = invoke(http_event("GET", "/open311/v2/requests.json",
                              query="service_code=graffiti-removal&status=open%2Cclosed"))
    assert found["statusCode"] == 200, response_body(found)
    assert {r["description"] for r in response_json(found)} == {
        "Tag by the bus stop", "Tag & paint, 50% of the wall"}


def test_a_form_encoded_open311_post_through_the_gateway(invoke, db_session):
    from backend.services import open311

    key, _ = open311.create_api_key(db_session, "gateway-test", rate_limit=100)
    db_session.commit()
    form = (f"api_key={key}&service_code=graffiti-removal&lat=34.0537&long=-118.2427"
            "&attribute%5Bsurface%5D=wall&description=Tag+on+a+wall")
    answer = invoke(http_event("POST", "/open311/v2/requests.json", body=form, base64_body=True,
                               content_type="application/x-www-form-urlencoded"))
    assert answer["statusCode"] == 201, response_body(answer)
    assert response_json(answer)[0]["service_request_id"]


def test_bad_json_is_a_clear_400_not_a_500(invoke):
    answer = invoke(http_event("POST", "/api/v1/requests", body=b'{"service_code": ',
                               content_type="application/json"))
    assert answer["statusCode"] == 400
    assert response_json(answer)["code"] == "invalid_json"


def test_binary_files_go_back_base64_encoded_byte_for_byte(invoke):
    answer = invoke(http_event("GET", "/icons/icon-192.png"))
    assert answer["statusCode"] == 200
    assert answer["isBase64Encoded"] is True
    assert response_body(answer) == (PWA / "icons" / "icon-192.png").read_bytes()
    text = invoke(http_event("GET", "/manifest.webmanifest"))
    assert text["isBase64Encoded"] is False and json.loads(text["body"])["name"]


COLD_START = """
import gc, json, sys
from backend import lambda_handlers
from tests.deploy.conftest import http_event
answers = [lambda_handlers.http(http_event("GET", path), None)["statusCode"]
           for path in ("/healthz", "/readyz")]
heavy = ("boto3", "botocore", "PIL", "pillow_heif", "shapely", "numpy", "alembic", "argon2",
         "rapidfuzz")
print(json.dumps({"answers": answers, "collecting": gc.isenabled(),
                  "frozen": gc.get_freeze_count(),
                  "heavy": [name for name in heavy if name in sys.modules]}))
"""


def test_a_cold_start_answers_lightly_and_leaves_the_garbage_collector_on(app, database_url,
                                                                        tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_SSM_PARAMETER")}
    env.update(DATABASE_URL=database_url, FRONTDOOR_DATA_DIR=str(tmp_path),
               PHOTO_STORAGE="local", AWS_LAMBDA_FUNCTION_NAME="frontdoor-test-api")
    done = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    started = json.loads(done.stdout.splitlines()[-1])
    assert started["answers"] == [200, 200]
    # Photos, geometry, password hashing and fuzzy matching load when a request needs them.
    assert started["heavy"] == []
    # The app was made with the collector off; its objects are frozen, the collector is on.
    assert started["collecting"] is True
    assert started["frozen"] > 10_000


@pytest.fixture
def upload_echo_app(database_url, tmp_path, monkeypatch):
    """A fresh app with one extra view that reports what a multipart upload carried."""
    app = create_app(Config(DATABASE_URL=database_url, PHOTO_DIR=str(tmp_path), TESTING=True),
                     commands=False)

    def echo_upload():
        photo = request.files["photo"]
        data = photo.read()
        return {"filename": photo.filename, "mimetype": photo.mimetype, "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), "fields": request.form.to_dict()}

    app.add_url_rule("/upload-echo", view_func=echo_upload, methods=["POST"])
    monkeypatch.setattr(lambda_handlers, "_apps", {False: app})
    monkeypatch.setattr(lambda_handlers, "_http_handler", None)
    yield app
    app.extensions["frontdoor.db"]["engine"].dispose()


def test_multipart_photo_uploads_arrive_intact(upload_echo_app):
    picture = io.BytesIO()
    Image.effect_noise((640, 480), 64).convert("RGB").save(picture, "JPEG", quality=90)
    photo = picture.getvalue()
    boundary = "----FrontdoorBoundary7MA4YWxkTrZu0gW"
    body = b"".join([
        f"--{boundary}\r\n".encode(),
        b'Content-Disposition: form-data; name="description"\r\n\r\n',
        "Graffiti – façade\r\n".encode(),
        f"--{boundary}\r\n".encode(),
        b'Content-Disposition: form-data; name="photo"; filename="tag.jpg"\r\n',
        b"Content-Type: image/jpeg\r\n\r\n", photo, b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ])
    answer = lambda_handlers.http(http_event(
        "POST", "/upload-echo", body=body,
        content_type=f"multipart/form-data; boundary={boundary}"), None)
    assert answer["statusCode"] == 200, response_body(answer)
    assert response_json(answer) == {
        "filename": "tag.jpg", "mimetype": "image/jpeg", "bytes": len(photo),
        "sha256": hashlib.sha256(photo).hexdigest(), "fields": {"description": "Graffiti – façade"}}
