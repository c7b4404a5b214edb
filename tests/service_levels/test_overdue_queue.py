"""The dispatcher's overdue queue: late requests and late field work, the longest late first,
with where each is and the work order to act on."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.models import Crew, RequestZone, ServiceRequest, Status, WorkStatus, Zone
from backend.services import lifecycle, work_orders

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
VENICE = {"lat": 33.9850, "lon": -118.4695}
GRAFFITI = {"service_code": "graffiti-removal", "attributes": {"surface": "wall"}}


def report(client, where=CITY_HALL, address="") -> str:
    answer = client.post("/api/v1/requests", json={**GRAFFITI, **where, "address": address})
    assert answer.status_code == 201, answer.json
    return answer.json["tracking"]


def stored(db, tracking) -> ServiceRequest:
    return db.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def test_overdue_queue_orders_late_requests_and_late_work(client, auth, db_session):
    late = report(client, address="200 N Spring St")
    work_late = report(client)
    both = report(client)
    closed = report(client)
    done = report(client)
    on_time = report(client)
    north = db_session.scalar(select(Crew).where(Crew.name == "Sanitation North"))

    stored(db_session, late).expected_at = hours_ago(5)
    work = work_orders.create_work_order(db_session, stored(db_session, work_late), crew=north,
                                         due_at=hours_ago(10))
    stored(db_session, both).expected_at = hours_ago(2)
    both_work = work_orders.create_work_order(db_session, stored(db_session, both),
                                              due_at=hours_ago(1))
    work_orders.create_work_order(db_session, stored(db_session, both),
                                  due_at=hours_ago(-5))  # not late: not the one to act on
    stored(db_session, closed).expected_at = hours_ago(30)
    lifecycle.move(db_session, stored(db_session, closed), Status.RESOLVED)
    stored(db_session, done).expected_at = hours_ago(3)
    finished = work_orders.create_work_order(db_session, stored(db_session, done),
                                             due_at=hours_ago(20))
    finished.status = WorkStatus.COMPLETED
    db_session.commit()

    answer = client.get("/api/v1/service-levels/overdue", headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    items = answer.json["items"]
    assert [i["tracking"] for i in items] == [work_late, late, done, both]
    assert on_time not in [i["tracking"] for i in items]

    first = items[0]
    assert first["reason"] == "work_order_due" and 10 * 3600 - 60 < first["late_seconds"] < \
        10 * 3600 + 60
    assert first["work_order"]["id"] == work.id
    assert first["work_order"]["crew"] == {"id": north.id, "name": "Sanitation North"}
    assert first["expected_at"] is not None and first["escalated_at"] is None
    second = items[1]
    assert second["reason"] == "expected_date" and second["work_order"] is None
    assert (second["lat"], second["lon"], second["address"]) == (
        CITY_HALL["lat"], CITY_HALL["lon"], "200 N Spring St")
    assert second["service_code"] == "graffiti-removal"
    assert second["service_name"] == "Graffiti Removal"
    assert items[2]["work_order"] is None  # its only work order is done
    assert items[3]["reason"] == "expected_date"
    assert items[3]["work_order"]["id"] == both_work.id and \
        items[3]["work_order"]["crew"] is None

    two = client.get("/api/v1/service-levels/overdue?limit=2", headers=auth("admin")).json
    assert [i["tracking"] for i in two["items"]] == [work_late, late]


def test_overdue_queue_of_one_zone(client, auth, db_session):
    here, there = report(client), report(client, VENICE)
    for tracking in (here, there):
        stored(db_session, tracking).expected_at = hours_ago(4)
    db_session.commit()
    zone_id = db_session.scalar(
        select(Zone.id).join(RequestZone, RequestZone.zone_id == Zone.id)
        .where(RequestZone.request_id == stored(db_session, here).id,
               Zone.kind == "neighbourhood"))
    answer = client.get(f"/api/v1/service-levels/overdue?zone={zone_id}",
                        headers=auth("dispatcher"))
    assert [i["tracking"] for i in answer.json["items"]] == [here]
    everywhere = client.get("/api/v1/service-levels/overdue", headers=auth("dispatcher"))
    assert {i["tracking"] for i in everywhere.json["items"]} == {here, there}


def test_overdue_queue_is_for_dispatchers(client, auth):
    assert client.get("/api/v1/service-levels/overdue").status_code == 401
    assert client.get("/api/v1/service-levels/overdue",
                      headers=auth("crew")).status_code == 403
    for bad in ("zone=x", "zone=0", "limit=0", "limit=5000"):
        answer = client.get(f"/api/v1/service-levels/overdue?{bad}", headers=auth("admin"))
        assert answer.status_code == 422 and answer.json["code"], bad
