"""The metrics against the 10,000 real Los Angeles requests, checked by computations written
here from the CSV itself (its LA-local created/closed times, its ``_daystoclose``), with
their own point-in-polygon and a brute-force repeat-problem search over every pair."""

import csv
import gzip
import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from shapely.geometry import Point, shape
from sqlalchemy import delete, select

from backend import db, demo
from backend.db import Base
from backend.models import ServiceRequest
from backend.services import service_levels
from tests.conftest import SESSION_TABLES

LA = ZoneInfo("America/Los_Angeles")
PERIOD = {"since": "2020-01-01", "until": "2020-02-01"}
CLOSED_IN_LA = {"Closed", "Referred Out"}  # work done; "Cancelled" is not
OPEN_IN_LA = {"Open", "Pending"}
HOURS = 1 / 3600
EARTH_RADIUS_M = 6_371_008.8
# Repeat problems: at least N requests within R metres over the whole file (T = 31 days).
N, R = 4, 150.0


def la_time(text: str) -> datetime | None:
    """An LA wall-clock time as a UTC instant (aware datetimes sharing one tzinfo subtract
    as wall-clock times, which would hide the clock changes)."""
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=LA).astimezone(UTC)


def usable(row: dict) -> bool:
    """The rows a faithful import keeps: a real point, a creation time, closing after it."""
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        return False
    created, closed = la_time(row["createddate"]), la_time(row["closeddate"])
    return (lat, lon) != (0, 0) and created is not None and (closed is None or closed >= created)


@pytest.fixture(scope="module")
def csv_rows():
    with gzip.open(demo.REQUESTS_CSV, "rt", encoding="utf-8", newline="") as file:
        return [r for r in csv.DictReader(file) if usable(r)]


@pytest.fixture(scope="module")
def polygons():
    """Neighbourhood code → its polygon, read from the source file."""
    with gzip.open(demo.NEIGHBOURHOODS, "rt", encoding="utf-8") as file:
        return {str(f["properties"]["nc_id"]): shape(f["geometry"])
                for f in json.load(file)["features"]}


@pytest.fixture(scope="module")
def neighbourhood_of(csv_rows, polygons):
    """srnumber → the codes of every neighbourhood polygon covering its point."""
    found = {}
    for row in csv_rows:
        point = Point(float(row["longitude"]), float(row["latitude"]))
        found[row["srnumber"]] = [code for code, polygon in polygons.items()
                                  if polygon.covers(point)]
    return found


@pytest.fixture(scope="module")
def la_city(app):
    """The LA requests imported once for this module (LA-time days), removed afterwards."""
    with app.app_context():
        session = db.session()
        service_levels.put_calendar(
            session, "la", timezone="America/Los_Angeles", is_default=True,
            hours={d: [["00:00", "24:00"]] for d in service_levels.WEEKDAYS})
        report = demo.load_requests(session, say=lambda _: None)
        session.commit()
        db.close_session()
    yield report
    with app.app_context():
        session = db.session()
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in SESSION_TABLES:
                session.execute(delete(table))
        session.commit()
        db.close_session()


@pytest.fixture
def staff_get(app, la_city, tokens):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['dispatcher']}"}

    def get(path, **params):
        answer = client.get(path, query_string={**PERIOD, **params}, headers=headers)
        assert answer.status_code == 200, answer.json
        return answer.json

    return get


def seconds_to_close(row: dict) -> float | None:
    if row["status"] not in CLOSED_IN_LA or not row["closeddate"]:
        return None
    return (la_time(row["closeddate"]) - la_time(row["createddate"])).total_seconds()


def expected_groups(rows, key_of) -> dict:
    groups = defaultdict(lambda: {"volume": 0, "durations": []})
    for row in rows:
        for key in key_of(row):
            groups[key]["volume"] += 1
            seconds = seconds_to_close(row)
            if seconds is not None:
                groups[key]["durations"].append(seconds)
    return groups


def assert_same(found: list[dict], expected: dict) -> None:
    assert {g["key"] for g in found} == set(expected)
    for group in found:
        mine = expected[group["key"]]
        assert group["volume"] == mine["volume"], group["key"]
        assert group["closed"] == len(mine["durations"]), group["key"]
        if not mine["durations"]:
            assert group["median_hours"] is None
            continue
        median = statistics.median(mine["durations"]) * HOURS
        p90 = float(np.percentile(mine["durations"], 90)) * HOURS
        assert group["median_hours"] == pytest.approx(median, abs=0.0005), group["key"]
        assert group["p90_hours"] == pytest.approx(p90, abs=0.0005), group["key"]


def test_the_import_kept_every_usable_row(la_city, csv_rows):
    assert la_city.imported == len(csv_rows) > 9900


def test_the_csv_days_to_close_agree_with_its_timestamps(csv_rows):
    """The independent durations are the LA file's own, except across a clock change, where
    the file counts wall-clock days and the real time differs by exactly an hour."""
    checked = 0
    for row in csv_rows:
        seconds = seconds_to_close(row)
        if seconds is None or not row["_daystoclose"]:
            continue
        wall_clock = float(row["_daystoclose"]) * 86400
        shift = (la_time(row["closeddate"]).astimezone(LA).utcoffset()
                 - la_time(row["createddate"]).astimezone(LA).utcoffset()).total_seconds()
        # _daystoclose has six decimals, and the file's times drop their seconds' fractions.
        assert seconds == pytest.approx(wall_clock - shift, abs=2.0)
        checked += 1
    assert checked > 9000


def test_time_to_close_and_counts_per_request_type(staff_get, csv_rows):
    found = staff_get("/api/v1/metrics/breakdown", by="service")["groups"]
    by_name = [{**g, "key": g["name"]} for g in found]
    assert_same(by_name, expected_groups(csv_rows, lambda row: [row["requesttype"]]))


def test_time_to_close_and_counts_per_neighbourhood(staff_get, csv_rows, neighbourhood_of):
    found = staff_get("/api/v1/metrics/breakdown", by="neighbourhood")["groups"]
    expected = expected_groups(csv_rows, lambda row: neighbourhood_of[row["srnumber"]])
    assert len(expected) > 90
    assert_same(found, expected)


def test_summary_matches_the_whole_file(staff_get, csv_rows):
    summary = staff_get("/api/v1/metrics/summary")["summary"]
    durations = [s for s in map(seconds_to_close, csv_rows) if s is not None]
    assert summary["volume"] == len(csv_rows)
    assert summary["closed"] == len(durations)
    assert summary["median_hours"] == pytest.approx(statistics.median(durations) * HOURS,
                                                    abs=0.0005)
    assert summary["open"] == sum(1 for r in csv_rows if r["status"] in OPEN_IN_LA
                                  or not r["closeddate"])


def test_daily_volume_and_backlog_in_la_days(staff_get, csv_rows):
    days = staff_get("/api/v1/metrics/daily")["days"]
    assert days[0]["date"] == "2020-01-01" and days[-1]["date"] == "2020-01-31"
    created = Counter(la_time(r["createddate"]).astimezone(LA).date().isoformat()
                      for r in csv_rows)
    assert {d["date"]: d["created"] for d in days if d["created"]} == dict(created)

    def closed_at(row):
        done = row["status"] not in OPEN_IN_LA and row["closeddate"]
        return la_time(row["closeddate"]) if done else None

    for day in days:
        end = datetime.combine(date.fromisoformat(day["date"]) + timedelta(days=1),
                               datetime.min.time(), LA)
        open_then = sum(1 for r in csv_rows if la_time(r["createddate"]) < end
                        and (closed_at(r) is None or closed_at(r) >= end))
        assert day["backlog"] == open_then, day["date"]


def brute_force_hotspots(rows: list[dict]) -> set[frozenset]:
    """DBSCAN by the book: every pair's great-circle distance, then a breadth-first search."""
    lat = np.radians([float(r["latitude"]) for r in rows])
    lon = np.radians([float(r["longitude"]) for r in rows])
    h = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2 + np.cos(lat[:, None])
         * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
    distance = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1)))
    near = distance <= R
    core = near.sum(axis=1) >= N
    cluster = [-1] * len(rows)
    count = 0
    for start in range(len(rows)):
        if not core[start] or cluster[start] >= 0:
            continue
        cluster[start], queue = count, [start]
        while queue:
            here = queue.pop()
            for other in np.flatnonzero(near[here] & core):
                if cluster[other] < 0:
                    cluster[other] = count
                    queue.append(other)
        count += 1
    for point in np.flatnonzero(~core):  # a border point joins its nearest core point
        cores = np.flatnonzero(near[point] & core)
        if len(cores):
            nearest = cores[np.lexsort((cores, distance[point, cores]))[0]]
            cluster[point] = cluster[nearest]
    members = defaultdict(set)
    for row, label in zip(rows, cluster, strict=True):
        if label >= 0:
            members[label].add(row["srnumber"])
    return {frozenset(m) for m in members.values()}


@pytest.mark.parametrize(("service_code", "request_type"),
                         [("bulky-items", "Bulky Items"),
                          ("illegal-dumping-pickup", "Illegal Dumping Pickup")])
def test_repeat_problems_are_the_clusters_a_brute_force_pass_finds(
        app, staff_get, csv_rows, service_code, request_type):
    found = staff_get("/api/v1/metrics/hotspots", service=service_code, min_count=N,
                      radius_m=R, limit=5000)
    assert found["hotspot_count"] == found["shown"]
    with app.app_context():
        srnumber = dict(db.session().execute(select(ServiceRequest.tracking,
                                                    ServiceRequest.external_id)).all())
        db.close_session()
    mine = set()
    for place in found["neighbourhoods"]:
        for hotspot in place["hotspots"]:
            assert hotspot["count"] >= N and hotspot["service_code"] == service_code
            mine.add(frozenset(srnumber[r["tracking"]] for r in hotspot["requests"]))
    expected = brute_force_hotspots([r for r in csv_rows if r["requesttype"] == request_type])
    assert len(expected) >= 3
    assert mine == expected


def test_hotspots_are_grouped_by_the_neighbourhood_of_their_centre(staff_get, polygons):
    found = staff_get("/api/v1/metrics/hotspots", service="bulky-items", min_count=N,
                      radius_m=R, limit=5000)
    groups = found["neighbourhoods"]
    assert all(p["requests"] == sum(h["count"] for h in p["hotspots"]) for p in groups)
    assert [p["requests"] for p in groups] == sorted((p["requests"] for p in groups),
                                                     reverse=True)
    for place in groups:
        for hotspot in place["hotspots"]:
            centre = Point(hotspot["lon"], hotspot["lat"])
            inside = [code for code, polygon in polygons.items() if polygon.covers(centre)]
            code = place["neighbourhood"]["code"] if place["neighbourhood"] else None
            assert (code in inside) if code else not inside


def test_exports_hold_every_request_and_no_contact(staff_get, app, tokens, csv_rows):
    client = app.test_client()
    answer = client.get("/api/v1/exports/requests.csv", query_string=PERIOD,
                        headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert answer.status_code == 200
    lines = answer.get_data(as_text=True).splitlines()
    answer.close()  # ends the streamed response's request (and its database session)
    assert int(answer.headers["X-Total-Count"]) == len(lines) - 1 == len(csv_rows)
    assert all("+00:00" in line for line in lines[1:50])  # times carry their offset
