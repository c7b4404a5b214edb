"""Where work is: assignment by neighbourhood polygon (checked against shapely), boxes,
bad geometry, and index-backed plans on both databases."""

import csv
import json
import random
from pathlib import Path

import shapely
from shapely.geometry import shape
from sqlalchemy import select, text

from backend.models import WorkOrder, WorkStatus, Zone
from backend.services import work_orders
from tests.work.conftest import crew_named

LA_REQUESTS = Path("/work/shared/data/la311/requests_2020_10k.csv")


def la_points(count: int, seed: int = 5) -> list[tuple[float, float]]:
    with LA_REQUESTS.open(newline="", encoding="utf-8") as file:
        points = [(float(r["longitude"]), float(r["latitude"])) for r in csv.DictReader(file)
                  if r["longitude"] and r["latitude"]]
    return random.Random(seed).sample(points, count)


def test_assign_by_neighbourhood_polygon_matches_shapely(client, auth, make_work, db_session):
    zones = db_session.scalars(select(Zone).where(Zone.kind == "neighbourhood")
                               .order_by(Zone.id)).all()
    busiest = {}
    points = la_points(400)
    for lon, lat in points:
        for zone in zones:
            if zone.min_lon <= lon <= zone.max_lon and zone.min_lat <= lat <= zone.max_lat:
                busiest[zone.id] = busiest.get(zone.id, 0) + 1
    zone = db_session.get(Zone, max(busiest, key=busiest.get))
    polygon = json.loads(zone.geometry)
    area = shape(polygon)
    orders = [make_work(crew=None, lon=lon, lat=lat) for lon, lat in points]
    inside = {o.id for o in orders if shapely.intersects_xy(area, o.lon, o.lat)}
    assert 10 < len(inside) < len(orders)
    # Some are no longer assignable: in progress (skipped), completed (not open: not found).
    in_progress, completed = set(sorted(inside)[:3]), set(sorted(inside)[3:6])
    for ids, status in ((in_progress, WorkStatus.IN_PROGRESS),
                        (completed, WorkStatus.COMPLETED)):
        for i in ids:
            db_session.get(WorkOrder, i).status = status
    db_session.commit()

    answer = client.post("/api/v1/dispatch/assign-area", headers=auth("dispatcher"), json={
        "polygon": polygon, "crew_id": crew_named(db_session, "Sanitation South").id})
    assert answer.status_code == 200, answer.json
    assert set(answer.json["assigned"]) == inside - in_progress - completed
    assert answer.json["assigned_count"] == len(inside - in_progress - completed)
    assert {(s["id"], s["reason"]) for s in answer.json["skipped"]} == \
        {(i, "in_progress") for i in in_progress}

    again = client.post("/api/v1/dispatch/assign-area", headers=auth("dispatcher"), json={
        "polygon": polygon, "crew_id": crew_named(db_session, "Sanitation South").id})
    assert again.json["assigned"] == []
    assert {s["reason"] for s in again.json["skipped"]} == {"in_progress", "already_assigned"}


def test_assign_by_box_with_filters(client, auth, make_work, db_session):
    urgent = make_work(crew=None, lon=-118.2430, lat=34.0540, priority="urgent")
    make_work(crew=None, lon=-118.2431, lat=34.0541)  # normal priority: filtered out
    make_work(crew=None, service="graffiti-removal", lon=-118.2432, lat=34.0542,
              priority="urgent")  # another service: filtered out
    make_work(crew=None, lon=-118.3000, lat=34.1000, priority="urgent")  # outside the box
    answer = client.post("/api/v1/dispatch/assign-area", headers=auth("dispatcher"), json={
        "bbox": [-118.25, 34.05, -118.24, 34.06], "crew_id": 1, "services": ["bulky-items"],
        "priorities": ["urgent"], "older_than_hours": 0})
    assert answer.status_code == 200, answer.json
    assert answer.json["assigned"] == [urgent.id]
    newer = client.post("/api/v1/dispatch/assign-area", headers=auth("dispatcher"), json={
        "bbox": [-118.25, 34.05, -118.24, 34.06], "crew_id": 1, "older_than_hours": 5})
    assert newer.json["assigned_count"] == 0  # all made just now


def test_bad_areas_are_refused(client, auth):
    for body, code in [
        ({"polygon": {"type": "Point", "coordinates": [-118.2, 34.0]}}, "not_a_polygon"),
        ({"polygon": {"type": "Polygon", "coordinates": [[[500, 1], [2, 3]]]}},
         "invalid_geometry"),
        ({"bbox": [-118.2, 34.1, -118.1, 34.0]}, "invalid_bbox"),
        ({}, "area_required"),
    ]:
        answer = client.post("/api/v1/dispatch/assign-area", headers=auth("dispatcher"),
                             json={**body, "crew_id": 1})
        assert answer.status_code == 422, (body, answer.json)
        assert answer.json["code"] == code


def test_box_query_uses_the_spatial_index(app, db_session, dialect):
    statement = work_orders.open_in_box_statement(db_session, (-118.3, 34.0, -118.2, 34.1),
                                                  unassigned_only=True)
    sql = str(statement.compile(dialect=db_session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True}))
    if dialect == "sqlite":
        plan = " ".join(str(r[-1]) for r in db_session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        # Index 2 is the R*Tree's box search (index 1 would be a lookup by id).
        assert "SCAN work_order_rtree VIRTUAL TABLE INDEX 2:" in plan, plan
        assert "SCAN work_order " not in plan + " ", plan
    else:
        with db_session.begin():
            db_session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in db_session.execute(text("EXPLAIN " + sql)))
        assert "ix_work_order_open_point" in plan, plan


def test_index_holds_exactly_the_open_work_orders(make_work, db_session, dialect):
    open_one = make_work(crew=None, lon=-118.2430, lat=34.0540)
    closing = make_work(crew=None, lon=-118.2431, lat=34.0541)
    db_session.get(WorkOrder, closing.id).status = WorkStatus.CANCELLED
    db_session.commit()
    found = {i for i, _lon, _lat in work_orders.open_in_box(db_session,
                                                           (-118.25, 34.05, -118.24, 34.06))}
    assert found == {open_one.id}
