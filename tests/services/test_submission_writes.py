"""A new request is written with plain INSERTs: every column as the model defines it, its
timeline and zones, a staff member as the events' actor, and a tracking number taken
meanwhile replaced instead of failing."""

from sqlalchemy import func, select

from backend.models import Event, RequestZone, ServiceRequest, User
from backend.services import reports, zones

REPORT = {"service_code": "graffiti-removal", "lat": 34.0537, "lon": -118.2427,
          "attributes": {"surface": "wall"}, "description": "Tags on the wall."}


def stored(db_session, tracking: str) -> ServiceRequest:
    db_session.rollback()
    return db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))


def test_the_row_timeline_and_zones_as_the_model_defines_them(client, auth, db_session):
    answer = client.post("/api/v1/requests", json=REPORT, headers=auth("dispatcher"))
    assert answer.status_code == 201, answer.json
    request = stored(db_session, answer.json["tracking"])
    assert (request.version, request.supporters, request.location_source) == (1, 0, "device")
    assert request.updated_at and request.expected_at and request.closed_at is None
    assert request.department is not None and request.service.code == "graffiti-removal"
    dispatcher = db_session.scalar(select(User).where(User.username == "dispatcher"))
    events = db_session.scalars(select(Event).where(Event.request_id == request.id)
                                .order_by(Event.id)).all()
    assert [(e.kind, e.actor_id, e.public) for e in events] == [
        ("created", dispatcher.id, True), ("routed", dispatcher.id, True)]
    assert events[0].new_status == "submitted" and events[1].note.startswith("Sent to ")
    in_zones = set(db_session.scalars(select(RequestZone.zone_id)
                                      .where(RequestZone.request_id == request.id)))
    assert in_zones == set(zones.zones_at(db_session, REPORT["lon"], REPORT["lat"])) != set()

    moved = client.post(f"/api/v1/requests/{request.tracking}/status",
                        headers=auth("dispatcher"), json={"status": "acknowledged"})
    assert moved.status_code == 200  # the written row takes ORM updates as usual
    assert stored(db_session, request.tracking).version == 2


def test_a_tracking_number_taken_meanwhile_is_replaced(client, db_session, monkeypatch):
    taken = client.post("/api/v1/requests", json=REPORT).json["tracking"]
    numbers = iter([taken, "WXYZ-2345"])
    monkeypatch.setattr(reports, "new_tracking_number", lambda: next(numbers))
    answer = client.post("/api/v1/requests", json=REPORT)
    assert answer.status_code == 201 and answer.json["tracking"] == "WXYZ-2345"
    assert stored(db_session, taken).description == REPORT["description"]


def test_a_number_always_taken_is_refused_with_nothing_written(client, db_session,
                                                                monkeypatch):
    taken = client.post("/api/v1/requests", json=REPORT).json["tracking"]
    db_session.rollback()
    before = db_session.scalar(select(func.count()).select_from(ServiceRequest))
    monkeypatch.setattr(reports, "new_tracking_number", lambda: taken)
    answer = client.post("/api/v1/requests", json=REPORT,
                         headers={"Idempotency-Key": "clash-every-time-1"})
    assert answer.status_code == 409 and answer.json["code"] == "tracking_number_clash"
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ServiceRequest)) == before
