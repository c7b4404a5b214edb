"""Lambda events as AWS sends them, and the app behind the Lambda handler.

Events start from the JSON in events/ (the shapes AWS documents for API Gateway HTTP
API payload 2.0 and S3 notifications) and change only what a test is about. The S3
server over HTTP (aws_endpoint, aws_env, bucket) is shared, in tests/conftest.py.
"""

import base64
import copy
import json
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from backend import lambda_handlers

EVENTS = Path(__file__).resolve().parent / "events"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def http_event(method: str, path: str, *, query: str | dict = "", headers: dict | None = None,
               body: bytes | str | None = None, base64_body: bool = False,
               content_type: str | None = None) -> dict:
    """An HTTP API (payload 2.0) event; a body is base64-encoded when binary or asked to."""
    event = load_event("http-api-v2.json")
    raw_query = urlencode(query, doseq=True) if isinstance(query, dict) else query
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:16] + "="
    event["rawQueryString"] = raw_query
    event["cookies"] = []
    if not raw_query:
        event.pop("queryStringParameters")
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    event["headers"].pop("content-length")
    if content_type:
        event["headers"]["content-type"] = content_type
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        event["headers"]["content-length"] = str(len(data))
        if base64_body or isinstance(body, bytes):
            event["body"], event["isBase64Encoded"] = base64.b64encode(data).decode(), True
        else:
            event["body"] = body
    return event


def response_body(answer: dict) -> bytes:
    body = answer.get("body", "")
    return base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()


def response_json(answer: dict) -> dict:
    return json.loads(response_body(answer))


@pytest.fixture
def lambda_app(app, monkeypatch):
    """The Lambda handler, serving the session's app (migrated, demo catalog loaded)."""
    monkeypatch.setattr(lambda_handlers, "_apps", {False: app, True: app})
    monkeypatch.setattr(lambda_handlers, "_http_handler", None)
    return app


@pytest.fixture
def invoke(lambda_app, client):
    """invoke(event) → API Gateway's view of the answer (tables emptied after, as `client`)."""
    return lambda event: lambda_handlers.http(event, None)


@pytest.fixture
def s3_event():
    """s3_event(bucket, key) → an ObjectCreated notification for one object."""
    def make(bucket: str, key: str, *, event_name: str = "ObjectCreated:Post") -> dict:
        event = load_event("s3-object-created.json")
        record = event["Records"][0]
        record["eventName"] = event_name
        record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
        record["s3"]["object"]["key"] = key
        return copy.deepcopy(event)
    return make
