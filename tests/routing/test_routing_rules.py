"""Routing rules: the order of precedence, the fallbacks, the timeline, and the REST API."""

import pytest
from sqlalchemy import select

from backend.models import Department, Event, ServiceRequest, Zone
from backend.services import routing

DOWNTOWN = {"lat": 34.0537, "lon": -118.2427}
APPLIANCE = {"service_code": "metal-household-appliances", **DOWNTOWN}


def zone_here(db_session, kind: str) -> Zone:
    from backend.services import zones
    ids = zones.zones_at(db_session, DOWNTOWN["lon"], DOWNTOWN["lat"])
    return db_session.scalar(select(Zone).where(Zone.id.in_(ids), Zone.kind == kind))


def add_rule(client, auth, **body):
    answer = client.post("/api/v1/routing-rules", json=body, headers=auth("admin"))
    assert answer.status_code == 201, answer.json
    return answer.json


def report(client, **extra):
    body = {k: v for k, v in (APPLIANCE | extra).items() if v is not None}
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def routed_event(db_session, tracking):
    db_session.rollback()  # a fresh snapshot: see what the API committed since
    request = db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
    return request, db_session.scalar(select(Event).where(Event.request_id == request.id,
                                                          Event.kind == "routed"))


def test_without_rules_the_service_default_department(client, db_session):
    created = report(client)
    assert created["agency_responsible"] == "Bureau of Sanitation"
    assert "routed" in [e["kind"] for e in created["timeline"]]
    request, event = routed_event(db_session, created["tracking"])
    assert request.department.code == "BOS" and request.crew_id is None
    assert event.public and event.data["reason"] == "service_default"
    assert event.note == "Sent to Bureau of Sanitation."


def test_most_specific_rule_wins(client, auth, db_session):
    neighbourhood = zone_here(db_session, "neighbourhood")
    district = zone_here(db_session, "district")
    add_rule(client, auth, service_code="metal-household-appliances", department_code="ITA")
    add_rule(client, auth, zone={"kind": "district", "code": district.code},
             department_code="LADWP")
    assert report(client)["agency_responsible"] == "Department of Water and Power"  # zone > service
    add_rule(client, auth, zone={"kind": "neighbourhood", "code": neighbourhood.code},
             department_code="BSL", priority=5)
    assert report(client)["agency_responsible"] == "Bureau of Street Lighting"  # lower priority
    best = add_rule(client, auth, service_code="metal-household-appliances",
                    zone={"kind": "district", "code": district.code}, crew_name="Sanitation North")
    created = report(client)
    assert created["agency_responsible"] == "Bureau of Sanitation"  # the crew's department
    request, event = routed_event(db_session, created["tracking"])
    assert request.crew.name == "Sanitation North" and event.data["rule_id"] == best["id"]
    # The crew stays internal: not in the public view nor in the public note.
    assert "Sanitation North" not in str(created)


def test_rule_elsewhere_does_not_apply(client, auth, db_session):
    other = db_session.scalar(select(Zone).where(Zone.kind == "district",
                                                 Zone.code != zone_here(db_session,
                                                                        "district").code))
    add_rule(client, auth, zone={"kind": "district", "code": other.code}, department_code="ITA")
    assert report(client)["agency_responsible"] == "Bureau of Sanitation"


def test_no_rule_no_department_goes_to_triage(app, db_session):
    from backend.models import Service
    service = Service(code="zz-orphan", name="Orphan")  # never committed
    decision = routing.decide(db_session, service, [])
    assert decision.reason == "triage" and decision.department.code == "triage"
    assert db_session.scalar(select(Department).where(Department.code == "triage"))
    db_session.rollback()


def test_address_only_report_is_routed_to_the_service_default(client):
    created = report(client, lat=None, lon=None, address="somewhere unknown")
    assert created["agency_responsible"] == "Bureau of Sanitation" and created["lat"] is None


def test_staff_read_admins_write(client, auth):
    body = {"service_code": "other", "department_code": "BOS"}
    assert client.get("/api/v1/routing-rules").status_code == 401
    assert client.get("/api/v1/routing-rules", headers=auth("crew")).status_code == 403
    assert client.post("/api/v1/routing-rules", json=body,
                       headers=auth("dispatcher")).status_code == 403
    rule = add_rule(client, auth, **body, note="all other reports")
    listed = client.get("/api/v1/routing-rules", headers=auth("dispatcher")).json
    assert [r["id"] for r in listed] == [rule["id"]]
    assert listed[0]["department"] == {"code": "BOS", "name": "Bureau of Sanitation"}
    assert listed[0]["zone"] is None and listed[0]["service_code"] == "other"

    changed = client.patch(f"/api/v1/routing-rules/{rule['id']}", headers=auth("admin"),
                           json={"crew_name": "Sanitation South", "priority": 7})
    assert changed.status_code == 200, changed.json
    assert changed.json["crew"]["name"] == "Sanitation South" and changed.json["priority"] == 7
    cleared = client.patch(f"/api/v1/routing-rules/{rule['id']}", headers=auth("admin"),
                           json={"department_code": None})
    assert cleared.json["department"] is None and cleared.json["crew"]["name"]
    assert client.delete(f"/api/v1/routing-rules/{rule['id']}",
                         headers=auth("dispatcher")).status_code == 403
    assert client.delete(f"/api/v1/routing-rules/{rule['id']}",
                         headers=auth("admin")).status_code == 204
    assert client.get(f"/api/v1/routing-rules/{rule['id']}",
                      headers=auth("admin")).json["code"] == "unknown_rule"


@pytest.mark.parametrize(("body", "code"), [
    ({"department_code": "BOS"}, "rule_too_broad"),
    ({"service_code": "other"}, "rule_without_target"),
    ({"service_code": "nope", "department_code": "BOS"}, "unknown_service"),
    ({"zone": {"kind": "district", "code": "99"}, "department_code": "BOS"}, "unknown_zone"),
    ({"service_code": "other", "department_code": "NOPE"}, "unknown_department"),
    ({"service_code": "other", "crew_name": "Nobody"}, "unknown_crew"),
    ({"service_code": "other", "department_code": "BSL", "crew_name": "Sanitation North"},
     "crew_not_in_department"),
    ({"service_code": "other", "department_code": "BOS", "priority": -1}, "invalid_input"),
    ({"service_code": "other", "department_code": "BOS", "colour": "red"}, "invalid_input"),
])
def test_bad_rules_are_refused(client, auth, body, code):
    answer = client.post("/api/v1/routing-rules", json=body, headers=auth("admin"))
    assert answer.status_code == 422 and answer.json["code"] == code, answer.json


def test_patch_to_nothing_is_refused_and_changes_nothing(client, auth):
    rule = add_rule(client, auth, service_code="other", department_code="BOS")
    answer = client.patch(f"/api/v1/routing-rules/{rule['id']}", headers=auth("admin"),
                          json={"service_code": None})
    assert answer.status_code == 422 and answer.json["code"] == "rule_too_broad"
    again = client.get(f"/api/v1/routing-rules/{rule['id']}", headers=auth("admin")).json
    assert again["service_code"] == "other"
    assert client.patch("/api/v1/routing-rules/999999", headers=auth("admin"),
                        json={"priority": 1}).status_code == 404


def test_decision_preview(client, auth, db_session):
    district = zone_here(db_session, "district")
    rule = add_rule(client, auth, zone={"kind": "district", "code": district.code},
                    department_code="ITA")
    answer = client.get("/api/v1/routing-rules/decision", headers=auth("dispatcher"),
                        query_string={"service": "other", **DOWNTOWN})
    assert answer.status_code == 200, answer.json
    assert answer.json["reason"] == "rule" and answer.json["rule"]["id"] == rule["id"]
    outside = client.get("/api/v1/routing-rules/decision", headers=auth("dispatcher"),
                         query_string={"service": "other", "lat": 40.7, "lon": -74.0})
    assert outside.json["reason"] == "service_default"
    bad = client.get("/api/v1/routing-rules/decision", headers=auth("dispatcher"),
                     query_string={"service": "other", "lat": 95, "lon": 0})
    assert bad.status_code == 422


def test_outside_the_city_is_refused_before_routing(client, db_session):
    db_session.rollback()
    answer = client.post("/api/v1/requests", json={**APPLIANCE, "lat": 40.7128, "lon": -74.006})
    assert answer.status_code == 422 and answer.json["code"] == "outside_service_area"
    assert db_session.scalar(select(ServiceRequest.id)) is None
