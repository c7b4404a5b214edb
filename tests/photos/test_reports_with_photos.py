"""Photos joining reports (location from EXIF GPS) and work orders (proof of the fix)."""

import pytest
from sqlalchemy import select

from backend.geo.distance import haversine_m
from backend.models import Event, LocationSource, Media, ServiceRequest
from tests.conftest import count_rows
from tests.photos.conftest import CITY_HALL, fetch, jpeg
from tests.work.conftest import act, crew_named, new_request

GRAFFITI = {"service_code": "graffiti-removal", "attributes": {"surface": "wall"}}
UNION_STATION = {"lat": 34.0562, "lon": -118.2365}


def stored(db_session, tracking: str) -> ServiceRequest:
    db_session.rollback()
    return db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))


def photo_events(db_session, request_id: int) -> list[Event]:
    return list(db_session.scalars(select(Event).where(Event.request_id == request_id,
                                                       Event.kind == "photo")))


def test_a_report_without_a_location_takes_the_photos(client, upload, db_session):
    photo = upload(jpeg(**UNION_STATION)).json
    answer = client.post("/api/v1/requests", json={**GRAFFITI, "photos": [photo["id"]]})
    assert answer.status_code == 201, answer.json
    assert (answer.json["lat"], answer.json["lon"]) == pytest.approx(
        (UNION_STATION["lat"], UNION_STATION["lon"]), abs=1e-6)
    request = stored(db_session, answer.json["tracking"])
    assert request.location_source == LocationSource.PHOTO
    [event] = photo_events(db_session, request.id)
    assert event.data == {"photo": photo["id"], "distance_m": 0.0}


def test_with_both_the_distance_between_them_is_recorded(client, upload, db_session):
    photo = upload(jpeg(**UNION_STATION)).json
    answer = client.post("/api/v1/requests", json={**GRAFFITI, **CITY_HALL,
                                                   "photos": [photo["id"]]})
    assert answer.status_code == 201, answer.json
    request = stored(db_session, answer.json["tracking"])
    assert request.location_source == LocationSource.DEVICE
    assert (request.lat, request.lon) == (CITY_HALL["lat"], CITY_HALL["lon"])
    [event] = photo_events(db_session, request.id)
    expected = haversine_m(CITY_HALL["lon"], CITY_HALL["lat"], UNION_STATION["lon"],
                           UNION_STATION["lat"])
    assert event.data["distance_m"] == pytest.approx(expected, abs=1)
    assert 550 < event.data["distance_m"] < 750


def test_a_photo_without_gps_is_no_location(client, upload, db_session):
    photo = upload(jpeg()).json
    answer = client.post("/api/v1/requests", json={**GRAFFITI, "photos": [photo["id"]]})
    assert answer.status_code == 422 and answer.json["code"] == "missing_location"
    assert count_rows(db_session, ServiceRequest) == 0


def test_a_photo_taken_outside_the_city_is_refused(client, upload, db_session):
    photo = upload(jpeg(lat=51.5007, lon=-0.1246)).json
    answer = client.post("/api/v1/requests", json={**GRAFFITI, "photos": [photo["id"]]})
    assert answer.status_code == 422 and answer.json["code"] == "outside_service_area"
    assert answer.json["message"].startswith("The photo was taken outside")
    db_session.rollback()
    assert db_session.scalar(select(Media.request_id)) is None


def test_a_photo_joins_one_report_only(client, upload, db_session):
    photo = upload(jpeg()).json
    body = {**GRAFFITI, **CITY_HALL, "photos": [photo["id"]]}
    assert client.post("/api/v1/requests", json=body).status_code == 201
    again = client.post("/api/v1/requests", json=body)
    assert again.status_code == 409 and again.json["code"] == "photo_in_use"
    assert count_rows(db_session, ServiceRequest) == 1


def test_a_replayed_report_attaches_its_photos_once(client, upload, db_session):
    photo = upload(jpeg(), key="report-1-photo-0").json
    body = {**GRAFFITI, **CITY_HALL, "photos": [photo["id"]]}
    headers = {"Idempotency-Key": "report-1-key"}
    first = client.post("/api/v1/requests", json=body, headers=headers)
    again = client.post("/api/v1/requests", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["photos"] == first.json["photos"]
    request = stored(db_session, first.json["tracking"])
    assert len(photo_events(db_session, request.id)) == 1


# -- proof of the fix ----------------------------------------------------------------------

@pytest.fixture
def graffiti_work(db_session):
    """An open work order for Graffiti Busters (whose service requires a proof photo)."""
    from backend.services import work_orders

    db_session.rollback()
    request = new_request(db_session, service="graffiti-removal")
    order = work_orders.create_work_order(db_session, request,
                                          crew=crew_named(db_session, "Graffiti Busters"))
    db_session.commit()
    return order


def test_a_job_closes_with_an_uploaded_proof_photo(client, auth, upload, graffiti_work):
    started = act(client, auth("crew2"), graffiti_work.id, "start", graffiti_work.version)
    assert started.status_code == 200, started.json
    version = started.json["version"]
    refused = act(client, auth("crew2"), graffiti_work.id, "complete", version)
    assert refused.status_code == 422 and refused.json["code"] == "proof_required"

    proof = upload(jpeg(colour=(240, 240, 240)), kind="proof").json
    done = act(client, auth("crew2"), graffiti_work.id, "complete", version,
               photos=[proof["id"]])
    assert done.status_code == 200, done.json
    public = client.get(f"/api/v1/requests/{done.json['request']['tracking']}").json
    assert public["status"] == "resolved"
    assert [(p["id"], p["kind"]) for p in public["photos"]] == [(proof["id"], "proof")]
    assert fetch(client, public["photos"][0]["urls"]["display"]).status_code == 200
    assert "photo" in [e["kind"] for e in public["timeline"]]


def test_too_many_proof_photos_are_refused(client, auth, upload, graffiti_work):
    from backend.services.work_orders import MAX_PROOF_PHOTOS

    started = act(client, auth("crew2"), graffiti_work.id, "start", graffiti_work.version)
    ids = [upload(jpeg(colour=(i, 100, 100), size=(64, 48))).json["id"]
           for i in range(MAX_PROOF_PHOTOS + 1)]
    answer = act(client, auth("crew2"), graffiti_work.id, "complete", started.json["version"],
                 photos=ids)
    assert answer.status_code == 422 and answer.json["code"] == "too_many_photos"
