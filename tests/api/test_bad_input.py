"""Every bad submission gets a 4xx with a machine code and a message, and stores nothing."""

import pytest

from backend.models import Event, ServiceRequest
from tests.conftest import count_rows

GOOD = {"service_code": "graffiti-removal", "lat": 34.0537, "lon": -118.2427,
        "attributes": {"surface": "wall"}}

BAD_REPORTS = [
    ("missing service", {k: v for k, v in GOOD.items() if k != "service_code"}, 422,
     "invalid_input"),
    ("unknown service", {**GOOD, "service_code": "unicorns"}, 404, "unknown_service"),
    ("latitude 91", {**GOOD, "lat": 91}, 422, "invalid_input"),
    ("longitude text", {**GOOD, "lon": "abc"}, 422, "invalid_input"),
    ("latitude NaN", {**GOOD, "lat": float("nan")}, 422, "invalid_input"),
    ("only latitude", {k: v for k, v in GOOD.items() if k != "lon"}, 422, "invalid_location"),
    ("no location at all", {k: v for k, v in GOOD.items() if k not in ("lat", "lon")}, 422,
     "missing_location"),
    ("outside the city", {**GOOD, "lat": 40.7128, "lon": -74.006}, 422, "outside_service_area"),
    ("huge description", {**GOOD, "description": "x" * 100_000}, 422, "description_too_long"),
    ("attribute of wrong type", {**GOOD, "attributes": {"surface": ["wall"]}}, 422,
     "invalid_attribute"),
    ("value outside its list", {**GOOD, "attributes": {"surface": "moon"}}, 422,
     "invalid_attribute"),
    ("missing required attribute", {**GOOD, "attributes": {}}, 422, "missing_attribute"),
    ("unknown attribute", {**GOOD, "attributes": {"surface": "wall", "colour": "red"}}, 422,
     "unknown_attribute"),
    ("number attribute not a number",
     {**GOOD, "service_code": "bulky-items",
      "attributes": {"items": ["mattress"], "count": "lots"}}, 422, "invalid_attribute"),
    ("unknown photo", {**GOOD, "photos": ["nope-nope-nope"]}, 422, "unknown_photo"),
    ("bad email", {**GOOD, "contact": {"email": "not-an-email"}}, 422, "invalid_input"),
    ("body is a list", [GOOD], 422, "invalid_input"),
    ("body is a string", "hello", 422, "invalid_input"),
]


@pytest.mark.parametrize(("case", "body", "status", "code"), BAD_REPORTS,
                         ids=[c[0] for c in BAD_REPORTS])
def test_bad_report_is_refused_and_nothing_stored(client, db_session, case, body, status, code):
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == status, answer.json
    assert answer.json["code"] == code and answer.json["message"]
    assert count_rows(db_session, ServiceRequest) == 0
    assert count_rows(db_session, Event) == 0


def test_wrong_content_type(client):
    answer = client.post("/api/v1/requests", data="service_code=x",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415 and answer.json["code"] == "unsupported_media_type"


def test_malformed_json(client):
    answer = client.post("/api/v1/requests", data="{nope", content_type="application/json")
    assert answer.status_code == 400 and answer.json["code"]


def test_unknown_tracking_number(client):
    for number in ("ZZZZ-ZZZZ", "0000-0000", "x" * 300):
        answer = client.get(f"/api/v1/requests/{number}")
        assert answer.status_code == 404 and answer.json["code"] == "unknown_request"


def test_bad_idempotency_key(client):
    answer = client.post("/api/v1/requests", json=GOOD, headers={"Idempotency-Key": "a b"})
    assert answer.status_code == 422 and answer.json["code"] == "invalid_idempotency_key"


def test_unknown_route_and_method_are_json(client):
    assert client.get("/api/v1/nowhere").json["code"] == "not_found"
    answer = client.delete("/api/v1/services")
    assert answer.status_code == 405 and answer.json["code"] == "method_not_allowed"
