"""Nearby and box search on both databases: right answers (against a full scan in Python),
filters, and the spatial index really used."""

import math
import random

import pytest
from sqlalchemy import text

from backend.errors import InvalidInput, InvalidLocation
from backend.geo.distance import bbox_contains, haversine_m
from backend.services import nearby
from backend.services.nearby import Nearby, nearby_request_ids, nearby_requests, requests_in_box

OPEN = ["submitted", "acknowledged", "in_progress", "reopened"]
CLOSED = ["resolved", "closed", "duplicate", "rejected"]


def scatter(rng, n, centre=(-118.2427, 34.0537), spread=0.03):
    return [{"lon": centre[0] + rng.uniform(-spread, spread) * 1.2,
             "lat": centre[1] + rng.uniform(-spread, spread),
             "status": rng.choice(OPEN + CLOSED)} for _ in range(n)]


def full_scan(rows, ids, lon, lat, radius, limit, keep=lambda row: True):
    found = sorted((haversine_m(lon, lat, r["lon"], r["lat"]), i)
                   for r, i in zip(rows, ids, strict=True)
                   if keep(r) and haversine_m(lon, lat, r["lon"], r["lat"]) <= radius)
    return [(i, d) for d, i in found[:limit]]


def assert_same_hits(got, expected):
    assert [i for i, _ in got] == [i for i, _ in expected]
    for (_, d1), (_, d2) in zip(got, expected, strict=True):
        assert d1 == pytest.approx(d2, rel=1e-6, abs=1e-3)


def test_nearest_open_requests_match_a_full_scan(db, place):
    rng = random.Random(7)
    rows = scatter(rng, 1500)
    ids = place(rows)
    for _ in range(25):
        lon, lat = -118.2427 + rng.uniform(-0.04, 0.04), 34.0537 + rng.uniform(-0.03, 0.03)
        radius, limit = rng.choice([50, 300, 1000, 2500, 6000]), rng.choice([1, 5, 50, 200])
        got = nearby_request_ids(db, lon, lat, radius, limit=limit)
        assert_same_hits(got, full_scan(rows, ids, lon, lat, radius, limit,
                                        lambda r: r["status"] in OPEN))
        every = nearby_request_ids(db, lon, lat, radius, limit=limit, open_only=False)
        assert_same_hits(every, full_scan(rows, ids, lon, lat, radius, limit))


def test_nearby_returns_requests_with_distances(db, place):
    ids = place([{"lon": -118.2427, "lat": 34.0537 + k * 0.001} for k in range(3)])
    hits = nearby_requests(db, -118.2427, 34.0537, 150)
    assert [type(h) for h in hits] == [Nearby, Nearby]
    assert [h.request.id for h in hits] == ids[:2]
    assert hits[0].distance_m == pytest.approx(0, abs=1e-6)
    assert hits[1].distance_m == pytest.approx(111.2, abs=0.2)
    assert hits[1].request.service.code  # a real, usable model
    assert nearby_requests(db, 0.0, 0.0, 1000) == []


def test_service_and_since_filters(db, place, services, days_ago):
    graffiti, dumping = services["graffiti-removal"], services["illegal-dumping-pickup"]
    rng = random.Random(3)
    rows = [{**row, "service_id": rng.choice([graffiti, dumping]),
             "created_at": days_ago(rng.uniform(0, 60))} for row in scatter(rng, 600)]
    ids = place(rows)
    since = days_ago(30)
    for _ in range(10):
        lon, lat = -118.2427 + rng.uniform(-0.03, 0.03), 34.0537 + rng.uniform(-0.02, 0.02)
        got = nearby_request_ids(db, lon, lat, 1500, limit=20, service_ids=[graffiti],
                                 since=since)
        expected = full_scan(rows, ids, lon, lat, 1500, 20, lambda r: r["status"] in OPEN
                             and r["service_id"] == graffiti and r["created_at"] >= since)
        assert_same_hits(got, expected)
    assert nearby_request_ids(db, -118.2427, 34.0537, 5000, service_ids=[]) == []


def test_status_changes_and_moves_reach_the_index(db, place):
    [request_id] = place([{"lon": -118.2427, "lat": 34.0537}])
    assert [i for i, _ in nearby_request_ids(db, -118.2427, 34.0537, 10)] == [request_id]
    db.execute(text("UPDATE service_request SET status = 'closed' WHERE id = :i"),
               {"i": request_id})
    assert nearby_request_ids(db, -118.2427, 34.0537, 10) == []
    assert nearby_request_ids(db, -118.2427, 34.0537, 10, open_only=False)[0][0] == request_id
    db.execute(text("UPDATE service_request SET status = 'reopened', lat = 34.1 "
                    "WHERE id = :i"), {"i": request_id})
    assert nearby_request_ids(db, -118.2427, 34.0537, 10) == []
    assert nearby_request_ids(db, -118.2427, 34.1, 10)[0][0] == request_id
    db.execute(text("DELETE FROM service_request WHERE id = :i"), {"i": request_id})
    assert nearby_request_ids(db, -118.2427, 34.1, 10, open_only=False) == []
    db.rollback()  # all of it was in one transaction: the index rolls back with the row
    assert nearby_request_ids(db, -118.2427, 34.0537, 10)[0][0] == request_id


def test_across_the_antimeridian(db, place):
    rows = [{"lon": 179.9995, "lat": -16.5}, {"lon": -179.9995, "lat": -16.5},
            {"lon": 179.9, "lat": -16.5}]
    ids = place(rows)
    got = nearby_request_ids(db, 180.0, -16.5, 1000)
    assert sorted(i for i, _ in got) == ids[:2]
    assert got[0][1] == pytest.approx(haversine_m(180.0, -16.5, 179.9995, -16.5), rel=1e-6)
    assert [r.id for r in requests_in_box(db, (179.99, -17, -179.99, -16))] == ids[:2]
    assert [r.id for r in requests_in_box(db, (179.0, -17, 179.95, -16))] == [ids[2]]


def test_requests_in_box_match_a_full_scan(db, place, services):
    rng = random.Random(11)
    rows = scatter(rng, 800)
    ids = place(rows)
    for _ in range(10):
        lon, lat = -118.2427 + rng.uniform(-0.03, 0.03), 34.0537 + rng.uniform(-0.02, 0.02)
        box = (lon - 0.01, lat - 0.008, lon + 0.012, lat + 0.006)
        got = [r.id for r in requests_in_box(db, box, open_only=False, limit=5000)]
        assert got == [i for r, i in zip(rows, ids, strict=True)
                       if bbox_contains(box, r["lon"], r["lat"])]
        open_got = [r.id for r in requests_in_box(db, box)]
        assert open_got == [i for r, i in zip(rows, ids, strict=True) if r["status"] in OPEN
                            and bbox_contains(box, r["lon"], r["lat"])]
    assert len(requests_in_box(db, (-119, 33, -117, 35), open_only=False, limit=10)) == 10


def test_bad_arguments_are_refused(db):
    with pytest.raises(InvalidLocation):
        nearby_requests(db, 200.0, 34.0, 100)
    with pytest.raises(InvalidLocation):
        nearby_requests(db, -118.0, 34.0, -1)
    with pytest.raises(InvalidLocation):
        nearby_requests(db, -118.0, 34.0, math.inf)
    with pytest.raises(InvalidInput):
        nearby_requests(db, -118.0, 34.0, 100, limit=0)
    with pytest.raises(InvalidLocation):
        requests_in_box(db, (-118, 35, -117, 34))


def test_sqlite_search_runs_on_the_rtree(db, dialect):
    if dialect != "sqlite":
        pytest.skip("SQLite's plan")
    for tree, open_only in ((nearby.SQLITE_OPEN_TREE, True), (nearby.SQLITE_TREE, False)):
        filters = nearby.Filters(open_only=open_only, service_ids=(1, 2))
        box = dict(min_lon=-118.3, min_lat=34.0, max_lon=-118.2, max_lat=34.1)
        for sql, params in (nearby.box_sql_sqlite(tuple(box.values()), filters),
                            nearby.nearby_sql_sqlite(-118.25, 34.05, filters, 50)):
            plan = " / ".join(row[-1] for row in db.execute(
                nearby.statement("EXPLAIN QUERY PLAN " + sql, filters), {**params, **box}))
            assert "SCAN k VIRTUAL TABLE INDEX" in plan, plan
            assert "SEARCH r USING INTEGER PRIMARY KEY" in plan, plan
            assert tree in sql


def _plans_run_inside(db, action) -> list[str]:
    """The plans PostgreSQL really ran during ``action()``, nested statements included
    (auto_explain, reported to this connection only, for this transaction only)."""
    raw = db.connection().connection.driver_connection
    plans: list[str] = []

    def keep(notice):
        plans.append(notice.message_primary)

    raw.add_notice_handler(keep)
    try:
        db.execute(text("LOAD 'auto_explain'"))
        for setting, value in (("auto_explain.log_min_duration", "0"),
                               ("auto_explain.log_nested_statements", "on"),
                               ("auto_explain.log_analyze", "on"),
                               ("client_min_messages", "log")):
            db.execute(text("SELECT set_config(:s, :v, true)"), {"s": setting, "v": value})
        action()
    finally:
        db.rollback()
        raw.remove_notice_handler(keep)
    return plans


def test_postgresql_nearby_runs_on_the_gist_indexes(db, dialect, place, services):
    if dialect != "postgresql":
        pytest.skip("PostgreSQL's plan")
    rng = random.Random(5)
    place(scatter(rng, 3000))
    db.execute(text("ANALYZE service_request"))
    db.commit()
    for open_only, index in ((True, nearby.PG_OPEN_INDEX), (False, nearby.PG_INDEX)):
        # Ten calls: past the first five custom plans, PL/pgSQL may settle on a generic one.
        plans = _plans_run_inside(db, lambda open_only=open_only: [nearby_request_ids(
            db, -118.2427 + k * 1e-3, 34.0537, 2000, limit=50, open_only=open_only,
            service_ids=[services["graffiti-removal"], services["bulky-items"]])
            for k in range(10)])
        inner = [p for p in plans if "service_request" in p and "Function Scan" not in p]
        assert len(inner) == 10, plans
        for plan in inner:
            assert f"Index Scan using {index} on service_request" in plan, plan
            # The index orders by distance (KNN), whether the point is a parameter
            # (generic plan) or inlined (custom plan).
            assert "Order By: (geog <-> " in plan, plan
            assert "Index Cond: (geog && _st_expand(" in plan, plan
            assert "Bitmap" not in plan and "Sort" not in plan, plan


def test_postgresql_box_search_runs_on_the_geometry_index(db, dialect, place):
    if dialect != "postgresql":
        pytest.skip("PostgreSQL's plan")
    place(scatter(random.Random(6), 2000))
    db.execute(text("ANALYZE service_request"))
    sql, params = nearby.box_sql_postgresql((-118.25, 34.05, -118.24, 34.06),
                                            nearby.Filters(open_only=False), 100)
    plan = "\n".join(row[0] for row in db.execute(text("EXPLAIN " + sql), params))
    assert nearby.PG_BOX_INDEX in plan, plan
