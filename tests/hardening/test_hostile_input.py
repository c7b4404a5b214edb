"""Hostile input to the API: huge bodies, deep JSON, bad UTF-8, wrong content types, NUL
and lone surrogates, NaN and out-of-range coordinates, huge numbers. Each is refused with a
4xx carrying a machine code and a message, never a 500, and nothing is stored.
(Hostile photo uploads: tests/media/test_hostile_input.py.)"""

import json

import pytest
from sqlalchemy import func, select

from backend.models import ReporterContact, ServiceRequest
from tests.hardening.conftest import GRAFFITI, OPEN311_GRAFFITI

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MB = 1024 * 1024


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# (name, content type, raw body) for POST /api/v1/requests
BODIES = [
    ("31 MB body", JSON, b'{"description": "' + b"x" * (31 * MB) + b'"}'),
    ("description over the limit", JSON,
     json.dumps({**GRAFFITI, "description": "x" * 5000}).encode()),
    ("10,000 nested arrays", JSON, b"[" * 10_000 + b"]" * 10_000),
    ("100,000 nested arrays", JSON, b"[" * 100_000 + b"]" * 100_000),
    ("40 nested objects", JSON, nested(40).encode()),
    ("deep attributes", JSON, json.dumps({**GRAFFITI, "attributes": json.loads(nested(60))})
     .encode()),
    ("bad UTF-8", JSON, b'{"service_code": "graffiti-removal", "description": "\xff\xfe\xc3"}'),
    ("UTF-16 body", JSON, json.dumps(GRAFFITI).encode("utf-16")),
    ("truncated JSON", JSON, b'{"service_code": "graffiti-removal", "lat": '),
    ("empty JSON body", JSON, b""),
    ("JSON null", JSON, b"null"),
    ("JSON array", JSON, b"[1, 2, 3]"),
    ("JSON string", JSON, b'"report"'),
    ("NUL in description", JSON, json.dumps({**GRAFFITI, "description": "a\u0000b"}).encode()),
    ("NUL in a key", JSON, json.dumps({**GRAFFITI, "attributes": {"sur\u0000face": "wall"}})
     .encode()),
    ("lone surrogate", JSON, b'{"service_code": "graffiti-removal", "lat": 34.0537, '
                             b'"lon": -118.2427, "description": "\\ud800"}'),
    ("NaN latitude", JSON, b'{"service_code": "graffiti-removal", "lat": NaN, "lon": -118.24}'),
    ("Infinity longitude", JSON,
     b'{"service_code": "graffiti-removal", "lat": 34.05, "lon": -Infinity}'),
    ("1e400 latitude", JSON, b'{"service_code": "graffiti-removal", "lat": 1e400, "lon": 1}'),
    ("latitude -91", JSON, json.dumps({**GRAFFITI, "lat": -91}).encode()),
    ("longitude 540", JSON, json.dumps({**GRAFFITI, "lon": 540}).encode()),
    ("negative point outside the city", JSON,
     json.dumps({**GRAFFITI, "lat": -33.8688, "lon": 151.2093}).encode()),
    ("latitude as text", JSON, json.dumps({**GRAFFITI, "lat": "north"}).encode()),
    ("latitude as true", JSON, json.dumps({**GRAFFITI, "lat": True}).encode()),
    ("latitude as a list", JSON, json.dumps({**GRAFFITI, "lat": [34, 35]}).encode()),
    ("huge integer", JSON, json.dumps({**GRAFFITI, "photos": [10**40]}).encode()),
    ("100,000 photos", JSON, json.dumps({**GRAFFITI, "photos": ["p"] * 100_000}).encode()),
    ("contact as a string", JSON, json.dumps({**GRAFFITI, "contact": "me"}).encode()),
    ("email of 10,000 characters", JSON,
     json.dumps({**GRAFFITI, "contact": {"email": "a" * 10_000 + "@example.org"}}).encode()),
    ("plain text", "text/plain", json.dumps(GRAFFITI).encode()),
    ("XML", "application/xml", b"<request><service_code>graffiti-removal</service_code>"
                               b"</request>"),
    ("form", "application/x-www-form-urlencoded", b"service_code=graffiti-removal&lat=34"),
    ("multipart", "multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="service_code"\r\n\r\ngraffiti\r\n--x--\r\n'),
    ("no content type", None, json.dumps(GRAFFITI).encode()),
    ("JSON labelled latin-1", "application/json; charset=latin-1",
     '{"service_code": "graffiti-removal", "description": "caf\u00e9"}'.encode("latin-1")),
]


def stored(db_session) -> tuple[int, int]:
    db_session.rollback()
    return (db_session.scalar(select(func.count()).select_from(ServiceRequest)),
            db_session.scalar(select(func.count()).select_from(ReporterContact)))


def assert_refused(answer, *, open311: bool = False) -> None:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.get_data()[:300])
    if open311:
        error = answer.json[0]
        assert error["code"] == answer.status_code and error["description"]
    else:
        assert answer.is_json, answer.get_data()[:300]
        assert answer.json["code"] and answer.json["message"], answer.json


@pytest.mark.parametrize("name, content_type, body", BODIES, ids=[b[0] for b in BODIES])
def test_hostile_report_bodies_are_refused(client, db_session, name, content_type, body):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = client.post("/api/v1/requests", data=body, headers=headers)
    assert_refused(answer)
    assert stored(db_session) == (0, 0)


def test_refusals_name_the_reason(client):
    def code(body, content_type=JSON):
        return client.post("/api/v1/requests", data=body,
                           headers={"Content-Type": content_type}).json["code"]

    assert code(b"x" * (31 * MB)) == "payload_too_large"
    assert code(b"[" * 100_000 + b"]" * 100_000) == "json_too_deep"
    assert code(b'{"a": "\xff"}') == "invalid_encoding"
    assert code(json.dumps({**GRAFFITI, "description": "\u0000"}).encode()) == "invalid_character"
    assert code(b"{") == "invalid_json"
    assert code(b"{}", "text/plain") == "unsupported_media_type"


@pytest.mark.parametrize("path", [
    "/api/v1/requests/nearby?lat=NaN&lon=-118.24",
    "/api/v1/requests/nearby?lat=34.05&lon=inf",
    "/api/v1/requests/nearby?lat=-91&lon=0",
    "/api/v1/requests/nearby?lat=34.05&lon=-118.24&radius=-5",
    "/api/v1/requests/nearby?lat=34.05&lon=-118.24&radius=1e309",
    "/api/v1/requests/in-box?bbox=NaN,NaN,NaN,NaN",
    "/api/v1/requests/in-box?bbox=-200,-100,200,100",
    "/api/v1/requests/in-box?bbox=1,2,3",
    "/api/v1/requests/duplicates?lat=nan&lon=nan",
    "/api/v1/requests/duplicates?lat=34.05&lon=-118.24&limit=99999999999999999999999",
    "/api/v1/addresses/nearest?lat=1e400&lon=0",
    "/api/v1/addresses?q=%00",
    "/api/v1/addresses?q=" + "a" * 20_000,
    "/api/v1/requests/%00",
    "/api/v1/requests/" + "A" * 5000,
    "/api/v1/services/%ED%A0%80",
    "/api/v1/requests/nearby?lat=34.05&lon=-118.24&service=%00",
])
def test_hostile_queries_are_refused(client, path):
    answer = client.get(path)
    assert_refused(answer)


@pytest.mark.parametrize("path, method, body", [
    ("/api/v1/workorders/99999999999999999999999999", "GET", None),
    ("/api/v1/apikeys/9223372036854775808", "DELETE", None),
    ("/api/v1/dispatch/assign", "POST", {"work_orders": [2**70], "crew_id": 2**70}),
    ("/api/v1/sync/actions", "POST", {"actions": [{"action": "start", "work_order_id": 2**64,
                                                   "version": 1, "action_id": "hostile-1"}]}),
    ("/api/v1/dispatch/assign-area", "POST", {"bbox": [float("nan")] * 4}),
    ("/api/v1/dispatch/assign-area", "POST", {"polygon": json.loads(nested(50))}),
])
def test_hostile_staff_requests_are_refused(client, staff, path, method, body):
    answer = client.open(path, method=method, headers=staff.headers("admin"),
                         data=None if body is None else json.dumps(body, allow_nan=True),
                         content_type=JSON if body is not None else None)
    assert_refused(answer)


OPEN311_FORMS = [
    ("NUL in description", {**OPEN311_GRAFFITI, "description": "a\x00b"}),
    ("NaN latitude", {**OPEN311_GRAFFITI, "lat": "NaN"}),
    ("infinite longitude", {**OPEN311_GRAFFITI, "long": "-inf"}),
    ("latitude -91", {**OPEN311_GRAFFITI, "lat": "-91"}),
    ("latitude as text", {**OPEN311_GRAFFITI, "lat": "north"}),
    ("outside the city", {**OPEN311_GRAFFITI, "lat": "-33.8688", "long": "151.2093"}),
    ("email of 10,000 characters", {**OPEN311_GRAFFITI, "email": "a" * 10_000 + "@x.org"}),
    ("description of 100,000 characters", {**OPEN311_GRAFFITI, "description": "x" * 100_000}),
    ("attribute name with brackets", {**OPEN311_GRAFFITI, "attribute[a][b]": "x"}),
]


@pytest.mark.parametrize("name, form", OPEN311_FORMS, ids=[f[0] for f in OPEN311_FORMS])
def test_hostile_open311_posts_are_refused(client, db_session, api_key, name, form):
    answer = client.post("/open311/v2/requests.json", data={**form, "api_key": api_key()})
    assert_refused(answer, open311=True)
    assert stored(db_session) == (0, 0)


def test_hostile_open311_bodies_are_refused(client, db_session, api_key):
    key = api_key()
    for body, content_type in [
            (b"api_key=" + key.encode() + b"&service_code=%ff%fe", FORM),
            (json.dumps({**OPEN311_GRAFFITI, "api_key": key}).encode(), JSON),
            (b"x" * (31 * MB), FORM)]:
        answer = client.post("/open311/v2/requests.json", data=body,
                             headers={"Content-Type": content_type})
        assert_refused(answer, open311=True)
    assert stored(db_session) == (0, 0)
