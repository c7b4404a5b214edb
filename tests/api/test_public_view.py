"""The public view built without marshmallow answers exactly what PublicRequestSchema
documents, for every shape a request can take: new, moved along, merged, with photos
(hidden ones left out), with a private note (left out)."""

import secrets

from sqlalchemy import select

from backend.api.requests.schemas import PublicRequestSchema
from backend.models import Media, ServiceRequest
from backend.services import public_view
from backend.services.tracking import normalize_tracking_number

REPORT = {"service_code": "graffiti-removal", "lat": 34.0537, "lon": -118.2427,
          "address": "200 N Spring St", "description": "  Tags by the bus stop.  ",
          "attributes": {"surface": "wall"},
          "contact": {"name": "Rosa Quintero", "email": "rosa.q@example.org"}}


def submit(client, **changes) -> dict:
    answer = client.post("/api/v1/requests", json={**REPORT, **changes})
    assert answer.status_code == 201, answer.json
    return answer.json


def stored(db_session, tracking: str) -> ServiceRequest:
    db_session.rollback()
    return db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))


def schema_dump(db_session, tracking: str) -> dict:
    return PublicRequestSchema().dump(stored(db_session, tracking))


def read(db_session, tracking: str) -> dict:
    db_session.rollback()
    return public_view.by_tracking_number(db_session, tracking)


def add_photo(db_session, tracking: str, *, hidden: bool) -> str:
    public_id = secrets.token_hex(8)
    db_session.add(Media(public_id=public_id, request_id=stored(db_session, tracking).id,
                         content_hash="0" * 64, width=800, height=600, size_bytes=1000,
                         hidden=hidden, variants={"thumb": {"key": "t.jpg"},
                                                  "display": {"key": "d.jpg"}}))
    db_session.commit()
    return public_id


def test_new_request_reads_as_the_schema_dumps_it(client, db_session):
    created = submit(client)
    tracking = created["tracking"]
    expected = schema_dump(db_session, tracking)
    assert created == expected
    assert read(db_session, tracking) == expected
    assert client.get(f"/api/v1/requests/{tracking}").json == expected
    assert "Rosa" not in str(expected) and "contact" not in expected
    assert expected["agency_responsible"] and expected["expected_at"]


def test_moved_merged_and_photographed_requests(client, auth, db_session):
    primary = submit(client)["tracking"]
    duplicate = submit(client, lat=34.0538, contact=None)["tracking"]
    private = client.post(f"/api/v1/requests/{primary}/status", headers=auth("dispatcher"),
                          json={"status": "acknowledged", "note": "Call first.",
                                "public": False})
    assert private.status_code == 200, private.json
    moved = client.post(f"/api/v1/requests/{primary}/status", headers=auth("dispatcher"),
                        json={"status": "in_progress", "note": "Crew on the way."})
    assert moved.status_code == 200, moved.json
    assert moved.json == schema_dump(db_session, primary)
    merged = client.post(f"/api/v1/requests/{duplicate}/merge", json={"into": primary},
                         headers=auth("dispatcher"))
    assert merged.status_code == 200, merged.json
    shown = add_photo(db_session, primary, hidden=False)
    add_photo(db_session, primary, hidden=True)

    for tracking in (primary, duplicate):
        expected = schema_dump(db_session, tracking)
        assert read(db_session, tracking) == expected
        assert client.get(f"/api/v1/requests/{tracking}").json == expected
    view = read(db_session, primary)
    assert view["status"] == "in_progress" and view["supporters"] == 1
    assert [p["id"] for p in view["photos"]] == [shown]
    assert set(view["photos"][0]["urls"]) == {"thumb", "display"}
    assert read(db_session, duplicate)["duplicate_of"] == primary
    assert all(e["note"] != "Call first." for e in view["timeline"])


def test_of_request_matches_the_read(client, db_session):
    tracking = submit(client)["tracking"]
    add_photo(db_session, tracking, hidden=False)
    assert public_view.of_request(stored(db_session, tracking)) == read(db_session, tracking)


def test_unknown_or_malformed_tracking_numbers(client):
    for tracking in ("ZZZZ-ZZZZ", "nope", "0000-0000"):
        answer = client.get(f"/api/v1/requests/{tracking}")
        assert answer.status_code == 404 and answer.json["code"] == "unknown_request"
    assert normalize_tracking_number("nope") is None


def test_nearby_items_agree_with_the_public_view(client, auth):
    open_one = submit(client)["tracking"]
    closed_one = submit(client, lat=34.0538)["tracking"]
    for status in ("acknowledged", "in_progress", "resolved"):
        moved = client.post(f"/api/v1/requests/{closed_one}/status", json={"status": status},
                            headers=auth("dispatcher"))
        assert moved.status_code == 200, moved.json
    answer = client.get("/api/v1/requests/nearby?lat=34.0537&lon=-118.2427&radius=200"
                        "&status=all")
    items = {item["tracking"]: item for item in answer.json["items"]}
    for tracking in (open_one, closed_one):
        view = client.get(f"/api/v1/requests/{tracking}").json
        shown = {key: view[key] for key in ("tracking", "service_code", "status", "priority",
                                            "public_status", "lat", "lon", "address",
                                            "created_at")}
        assert {key: items[tracking][key] for key in shown} == shown
    assert items[closed_one]["public_status"] == "closed"
    assert items[open_one]["public_status"] == "open"
