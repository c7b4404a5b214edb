"""Expected dates on new requests, priority changes, and escalation of overdue work."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.models import (
    Event,
    Notification,
    ServiceRequest,
    SlaEscalation,
    Status,
    Subscription,
)
from backend.services import lifecycle, service_levels

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
GRAFFITI = {"service_code": "graffiti-removal", **CITY_HALL, "attributes": {"surface": "wall"}}
LA = ZoneInfo("America/Los_Angeles")


def submit(client, body=GRAFFITI) -> dict:
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_without_levels_the_catalog_hours_run_round_the_clock(client):
    made = submit(client)
    assert when(made["expected_at"]) - when(made["created_at"]) == timedelta(hours=48)


def test_demo_levels_give_business_days_and_open311_shows_the_same_date(client, demo_levels):
    made = submit(client)
    created, expected = when(made["created_at"]), when(made["expected_at"])
    local = expected.astimezone(LA)  # the demo: graffiti-removal takes 2 business days
    assert (local.hour, local.minute) == (17, 0) and local.weekday() < 5
    assert 2 <= (local.date() - created.astimezone(LA).date()).days <= 6
    open311 = client.get(f"/open311/v2/requests/{made['tracking']}.json").json
    assert when(open311[0]["expected_datetime"]) == expected


def test_priority_change_moves_the_expected_date_with_an_internal_event(client, auth,
                                                                        demo_levels, db_session):
    made = submit(client)
    url = f"/api/v1/requests/{made['tracking']}/priority"
    answer = client.post(url, json={"priority": "urgent", "note": "blocking a fire exit"},
                         headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    assert answer.json["priority"] == "urgent"
    assert when(answer.json["expected_at"]) - when(made["created_at"]) == timedelta(hours=4)
    assert "priority" not in [e["kind"] for e in answer.json["timeline"]]  # internal event
    event = db_session.scalar(select(Event).where(Event.kind == "priority"))
    assert event.public is False and event.data["from"] == "normal"
    assert event.data["to"] == "urgent" and event.note == "blocking a fire exit"

    again = client.post(url, json={"priority": "urgent"}, headers=auth("dispatcher"))
    assert again.status_code == 200
    assert db_session.query(Event).filter(Event.kind == "priority").count() == 1


def test_followers_hear_the_new_expected_date_once(client, auth, demo_levels, db_session):
    made = submit(client, {**GRAFFITI, "contact": {"email": "neighbour@example.org"}})
    db_session.execute(Subscription.__table__.update().values(confirmed=True))
    db_session.commit()
    url = f"/api/v1/requests/{made['tracking']}/priority"
    for priority in ("urgent", "urgent"):  # the same priority again moves nothing
        assert client.post(url, json={"priority": priority, "note": "crew name: Ray"},
                           headers=auth("dispatcher")).status_code == 200
    db_session.rollback()
    scheduled = db_session.scalars(select(Notification)
                                   .where(Notification.template == "scheduled")).all()
    assert len(scheduled) == 1
    event = db_session.get(Event, scheduled[0].event_id)
    assert event.kind == "priority" and event.data["expected_to"] is not None


def test_priority_change_is_for_dispatchers_and_checks_its_input(client, auth):
    url = f"/api/v1/requests/{submit(client)['tracking']}/priority"
    assert client.post(url, json={"priority": "urgent"}).status_code == 401
    assert client.post(url, json={"priority": "urgent"}, headers=auth("crew")).status_code == 403
    bad = client.post(url, json={"priority": "asap"}, headers=auth("admin"))
    assert bad.status_code == 422 and bad.json["code"]
    missing = client.post("/api/v1/requests/AAAA-AAAA/priority", json={"priority": "low"},
                          headers=auth("admin"))
    assert missing.status_code == 404 and missing.json["code"] == "unknown_request"


def make_overdue(db_session, tracking: str, hours: float = 5) -> ServiceRequest:
    request = db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
    request.expected_at = datetime.now(UTC) - timedelta(hours=hours)
    db_session.commit()
    return request


def test_escalation_flags_each_overdue_episode_once(app, client, db_session):
    late = submit(client)["tracking"]
    on_time = submit(client)["tracking"]
    done_late = submit(client)["tracking"]
    make_overdue(db_session, late)
    closed = make_overdue(db_session, done_late)
    lifecycle.move(db_session, closed, Status.RESOLVED)
    db_session.commit()

    escalated = service_levels.escalate_overdue(db_session,
                                                dispatch_email="dispatch+{department}@la.gov")
    db_session.commit()
    assert len(escalated) == 1
    flag = db_session.scalar(select(SlaEscalation))
    request = db_session.get(ServiceRequest, flag.request_id)
    assert request.tracking == late and on_time != late
    assert flag.recipient == f"dispatch+{request.department.code.lower()}@la.gov"
    event = db_session.get(Event, flag.event_id)
    assert event.kind == "escalated" and event.public is False
    note = db_session.scalar(select(Notification))
    assert (note.template, note.subscription_id, note.event_id) == ("escalated", None, event.id)
    assert "escalated" not in [e["kind"] for e in
                               client.get(f"/api/v1/requests/{late}").json["timeline"]]

    # Again, from the scheduled command: nothing new.
    result = app.test_cli_runner().invoke(args=["sla", "escalate"])
    assert result.exit_code == 0 and "0 overdue requests escalated" in result.output
    db_session.expire_all()
    assert db_session.query(SlaEscalation).count() == 1

    # A new expected date that is missed again is a new episode.
    make_overdue(db_session, late, hours=1)
    result = app.test_cli_runner().invoke(args=["sla", "escalate"])
    assert "1 overdue requests escalated" in result.output
    assert db_session.query(Notification).count() == 2


def test_overdue_queue_lists_late_work_with_its_escalation(client, auth, db_session):
    late = submit(client)["tracking"]
    make_overdue(db_session, late)
    queue = client.get("/api/v1/service-levels/overdue", headers=auth("dispatcher")).json
    assert [(i["tracking"], i["escalated_at"]) for i in queue["items"]] == [(late, None)]
    service_levels.escalate_overdue(db_session)
    db_session.commit()
    queue = client.get("/api/v1/service-levels/overdue", headers=auth("dispatcher")).json
    assert queue["items"][0]["escalated_at"] is not None


def test_backfill_sets_missing_dates(app, client, db_session):
    tracking = submit(client)["tracking"]
    request = db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
    expected = request.expected_at
    request.expected_at = None
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["sla", "backfill"])
    assert result.exit_code == 0 and "1 expected dates set" in result.output
    db_session.expire_all()
    assert db_session.get(ServiceRequest, request.id).expected_at == expected


def test_admin_sets_levels_and_calendars(client, auth):
    office = {"timezone": "America/Los_Angeles", "default": True,
              "hours": {"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]]},
              "holidays": ["2026-12-25"]}
    put = client.put("/api/v1/service-levels/calendars/office", json=office,
                     headers=auth("admin"))
    assert put.status_code == 200, put.json
    level = {"value": 3, "unit": "business_days", "calendar": "office",
             "priority_overrides": {"urgent": {"value": 2, "unit": "hours"}}}
    put = client.put("/api/v1/service-levels/bulky-items", json=level, headers=auth("admin"))
    assert put.status_code == 200, put.json
    assert put.json["target"]["unit"] == "business_days"
    listing = client.get("/api/v1/service-levels", headers=auth("dispatcher")).json
    bulky = next(s for s in listing["services"] if s["service_code"] == "bulky-items")
    assert bulky["target"]["calendar"] == "office" and not bulky["from_catalog"]
    graffiti = next(s for s in listing["services"] if s["service_code"] == "graffiti-removal")
    assert graffiti["from_catalog"] and graffiti["target"]["calendar"] == "office"

    made = submit(client, {"service_code": "bulky-items", **CITY_HALL,
                           "attributes": {"items": ["furniture"]}})
    local = when(made["expected_at"]).astimezone(LA)
    assert local.hour == 16 and local.weekday() in (0, 1)  # closing time, Monday or Tuesday


def test_bad_levels_and_calendars_are_refused(client, auth):
    answers = [
        client.put("/api/v1/service-levels/calendars/x", headers=auth("admin"),
                   json={"timezone": "Nowhere/Land", "hours": {"mon": [["08:00", "16:00"]]}}),
        client.put("/api/v1/service-levels/calendars/x", headers=auth("admin"),
                   json={"timezone": "UTC", "hours": {"mon": [["18:00", "16:00"]]}}),
        client.put("/api/v1/service-levels/bulky-items", headers=auth("admin"),
                   json={"value": 3, "calendar": "no-such-calendar"}),
        client.put("/api/v1/service-levels/bulky-items", headers=auth("admin"),
                   json={"value": 3, "unit": "weeks"}),
        client.put("/api/v1/service-levels/nothing", headers=auth("admin"), json={"value": 3}),
    ]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 404]
    assert all(a.json.get("code") for a in answers)
    assert client.put("/api/v1/service-levels/bulky-items", headers=auth("dispatcher"),
                      json={"value": 3}).status_code == 403
