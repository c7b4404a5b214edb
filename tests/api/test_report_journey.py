"""A resident lists services, submits a report and follows it by tracking number."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from backend.models import ReporterContact, ServiceRequest
from backend.services.tracking import ALPHABET
from tests.conftest import count_rows

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
GRAFFITI = {"service_code": "graffiti-removal", **CITY_HALL,
            "description": "Fresh tags on the wall by the bus stop.",
            "attributes": {"surface": "wall"}}
CONTACT = {"name": "Rosa Quintero", "email": "rosa.q@example.org", "phone": "+1 213 555 0199"}


def test_services_list_and_definition(client):
    services = client.get("/api/v1/services").json
    assert {"bulky-items", "graffiti-removal"} <= {s["code"] for s in services}
    graffiti = client.get("/api/v1/services/graffiti-removal").json
    surface = graffiti["attributes"][0]
    assert surface["code"] == "surface" and surface["datatype"] == "singlevaluelist"
    assert surface["required"] is True and {"key": "wall", "name": "A wall"} in surface["values"]


def test_submit_then_track(client, db_session):
    answer = client.post("/api/v1/requests", json={**GRAFFITI, "contact": CONTACT})
    assert answer.status_code == 201, answer.json
    tracking = answer.json["tracking"]
    assert len(tracking) == 9 and tracking[4] == "-"
    assert set(tracking.replace("-", "")) <= set(ALPHABET)

    public = client.get(f"/api/v1/requests/{tracking}").json
    assert public["status"] == "submitted" and public["public_status"] == "open"
    assert public["service_code"] == "graffiti-removal"
    assert public["attributes"] == {"surface": "wall"}
    assert [e["kind"] for e in public["timeline"]] == ["created", "routed"]
    body = str(public)
    assert all(value not in body for value in CONTACT.values())

    stored = db_session.query(ReporterContact).one()
    assert stored.email == CONTACT["email"]


def test_tracking_number_is_forgiving_about_how_it_is_typed(client):
    tracking = client.post("/api/v1/requests", json=GRAFFITI).json["tracking"]
    typed = tracking.replace("-", " ").lower()
    assert client.get(f"/api/v1/requests/{typed}").json["tracking"] == tracking


def test_zones_recorded_for_new_request(client, db_session):
    client.post("/api/v1/requests", json=GRAFFITI)
    request = db_session.query(ServiceRequest).one()
    from backend.models import RequestZone, Zone
    kinds = {z.kind for z in db_session.query(Zone).join(
        RequestZone, RequestZone.zone_id == Zone.id).filter(RequestZone.request_id == request.id)}
    assert kinds == {"neighbourhood", "district", "city"}


def test_staff_moves_status_and_timeline_shows_it(client, auth):
    tracking = client.post("/api/v1/requests", json=GRAFFITI).json["tracking"]
    moved = client.post(f"/api/v1/requests/{tracking}/status", headers=auth("dispatcher"),
                        json={"status": "acknowledged", "note": "Queued for Tuesday."})
    assert moved.status_code == 200, moved.json
    public = client.get(f"/api/v1/requests/{tracking}").json
    assert public["status"] == "acknowledged"
    assert public["timeline"][-1]["note"] == "Queued for Tuesday."

    refused = client.post(f"/api/v1/requests/{tracking}/status", headers=auth("dispatcher"),
                          json={"status": "closed"})
    assert refused.status_code == 409 and refused.json["code"] == "invalid_transition"


def test_internal_notes_stay_off_the_public_timeline(client, auth):
    tracking = client.post("/api/v1/requests", json=GRAFFITI).json["tracking"]
    client.post(f"/api/v1/requests/{tracking}/status", headers=auth("dispatcher"),
                json={"status": "acknowledged", "note": "gate code 4411", "public": False})
    assert "4411" not in str(client.get(f"/api/v1/requests/{tracking}").json)


def test_replay_with_same_key_returns_same_request(client, db_session):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/requests", json=GRAFFITI, headers=headers)
    again = client.post("/api/v1/requests", json=GRAFFITI, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["tracking"] == again.json["tracking"]
    assert count_rows(db_session, ServiceRequest) == 1


def test_same_key_with_different_body_is_refused(client, db_session):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    client.post("/api/v1/requests", json=GRAFFITI, headers=headers)
    other = client.post("/api/v1/requests", json={**GRAFFITI, "description": "else"},
                        headers=headers)
    assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"
    assert count_rows(db_session, ServiceRequest) == 1


def test_twenty_parallel_replays_create_one_request(app, client, db_session):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    start = threading.Barrier(20)

    def send(_):
        start.wait()
        return app.test_client().post("/api/v1/requests", json=GRAFFITI, headers=headers)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    assert len({a.json["tracking"] for a in answers}) == 1
    assert count_rows(db_session, ServiceRequest) == 1
