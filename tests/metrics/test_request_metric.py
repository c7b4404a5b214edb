"""request_metric and metric_hour, the tables the metrics read, kept by database triggers:
checked against their definition over service_request, request_zone, work_order and event
after every kind of write (reports through the API, status changes, reopening, a new
priority, direct edits, work orders added, cancelled, moved and removed, reopen events added
and removed, deletion, zone rows added and removed, a zone deleted, bulk COPY/executemany
loads and batch updates), and the metrics read from them against the same numbers computed
here from the raw rows."""

import json
import statistics
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import delete, select

from backend.cli import DEMO_SERVICE_LEVELS
from backend.models import (
    EVERYWHERE,
    Event,
    MetricHour,
    RequestMetric,
    RequestZone,
    ServiceRequest,
    Status,
    WorkOrder,
    WorkStatus,
    Zone,
)
from backend.services import generator, lifecycle, metrics, service_levels

DONE = {Status.RESOLVED, Status.CLOSED}
PLACES = [(34.0537, -118.2427), (34.0407, -118.2468), (34.0928, -118.3287),
          (34.1866, -118.4487), (33.9850, -118.4695)]
REPORTS = [{"service_code": "bulky-items", "attributes": {"items": ["furniture"]}},
           {"service_code": "graffiti-removal", "attributes": {"surface": "wall"}},
           {"service_code": "bulky-items", "attributes": {"items": ["mattress"]}},
           {"service_code": "graffiti-removal", "attributes": {"surface": "sign"}},
           {"service_code": "bulky-items", "attributes": {"items": ["boxes"]}}]


def definition(session) -> dict:
    """(request, zone) → the row request_metric must hold, from the raw tables."""
    requests = {r.id: r for r in session.scalars(select(ServiceRequest))}
    work = Counter(w.request_id for w in session.scalars(select(WorkOrder))
                   if w.status != WorkStatus.CANCELLED)
    reopened = set(session.scalars(select(Event.request_id).where(
        Event.new_status == Status.REOPENED.value)))
    scopes = [(i, EVERYWHERE) for i in requests]
    scopes += [(z.request_id, z.zone_id) for z in session.scalars(select(RequestZone))]
    found = {}
    for request_id, zone_id in scopes:
        r = requests[request_id]
        done = r.status in DONE and r.closed_at is not None
        found[request_id, zone_id] = (
            r.created_at, r.service_id, r.channel.value, r.status.value,
            work[request_id], request_id in reopened, r.closed_at, r.expected_at,
            (r.closed_at - r.created_at).total_seconds() if done else None)
    return found


def stored(session) -> dict:
    return {(m.request_id, m.zone_id): (m.created_at, m.service_id, m.channel, m.status,
                                        m.work_orders, m.reopened, m.closed_at,
                                        m.expected_at, m.close_seconds)
            for m in session.scalars(select(RequestMetric))}


def hours(rows: dict) -> dict:
    """(zone, UTC hour) → [created, closed] counts of request_metric rows."""
    found: dict = {}
    for (_, zone_id), (created_at, *_, closed_at, _expected, _seconds) in rows.items():
        for column, moment in ((0, created_at), (1, closed_at)):
            if moment is not None:
                cell = found.setdefault((zone_id, moment.replace(minute=0, second=0,
                                                                 microsecond=0)), [0, 0])
                cell[column] += 1
    return found


def assert_in_step(session) -> None:
    session.commit()
    session.expire_all()
    expected, found = definition(session), stored(session)
    assert found.keys() == expected.keys()
    for key, row in expected.items():
        assert found[key][:-1] == row[:-1], key
        # SQLite's julianday keeps milliseconds: each end may lose up to one.
        assert found[key][-1] == pytest.approx(row[-1], abs=2e-3), key
    counted = {(h.zone_id, h.hour): [h.created, h.closed]
               for h in session.scalars(select(MetricHour)) if h.created or h.closed}
    assert counted == hours(expected)


@pytest.fixture
def reported(client, auth, db_session):
    """Five reports through the API (their zones attached on the way): requests by id."""
    made = []
    for (lat, lon), body in zip(PLACES, REPORTS, strict=True):
        answer = client.post("/api/v1/requests", json={**body, "lat": lat, "lon": lon},
                             headers=auth("dispatcher"))
        assert answer.status_code == 201, answer.json
        made.append(answer.json["tracking"])
    rows = {r.tracking: r for r in db_session.scalars(select(ServiceRequest))}
    return [rows[t] for t in made]


def test_every_kind_of_write_keeps_it_in_step(client, auth, db_session, reported):
    assert_in_step(db_session)
    assert len(stored(db_session)) > 2 * len(reported)  # zones were attached too

    first, second, third, fourth, fifth = reported
    for request, status in ((first, "resolved"), (second, "resolved"), (third, "rejected"),
                            (second, "reopened"), (first, "closed")):
        tracking = request.tracking
        answer = client.post(f"/api/v1/requests/{tracking}/status", json={"status": status},
                             headers=auth("dispatcher"))
        assert answer.status_code == 200, answer.json
    assert_in_step(db_session)

    db_session.expire_all()
    service_levels.seed(db_session, json.loads(DEMO_SERVICE_LEVELS.read_text()))
    service_levels.change_priority(db_session, fourth, "urgent")
    first.created_at -= timedelta(days=3)  # direct edits, as imports and fixtures make
    first.closed_at = first.created_at + timedelta(hours=7)
    assert_in_step(db_session)

    orders = [WorkOrder(request_id=r.id, service_id=r.service_id, status=status)
              for r, status in ((first, WorkStatus.COMPLETED), (first, WorkStatus.ASSIGNED),
                                (second, WorkStatus.CANCELLED), (fourth, WorkStatus.ASSIGNED),
                                (fifth, WorkStatus.COMPLETED))]
    db_session.add_all(orders)
    assert_in_step(db_session)
    orders[1].status = WorkStatus.CANCELLED  # no longer counts
    orders[2].status = WorkStatus.ASSIGNED  # counts again
    orders[3].status = WorkStatus.IN_PROGRESS  # still counts: nothing to change
    orders[0].request_id = fourth.id  # moved to another request
    assert_in_step(db_session)
    db_session.delete(orders[3])
    db_session.add(Event(request_id=fourth.id, kind="status", old_status="resolved",
                         new_status="reopened"))
    assert_in_step(db_session)
    db_session.execute(delete(Event).where(Event.request_id == second.id,
                                           Event.new_status == "reopened"))
    assert_in_step(db_session)

    db_session.execute(delete(ServiceRequest).where(ServiceRequest.id == fifth.id))
    assert_in_step(db_session)

    db_session.execute(delete(RequestZone).where(RequestZone.request_id == first.id))
    assert_in_step(db_session)
    db_session.add_all(RequestZone(request_id=r.id, zone_id=z) for r in (first, fourth)
                       for z in db_session.scalars(select(Zone.id).where(
                           Zone.kind == "district").order_by(Zone.id).limit(2)))
    assert_in_step(db_session)


def test_a_deleted_zone_takes_its_rows(db_session, reported):
    zone = Zone(kind="test-area", code="metric-check", name="Metric check", geometry="{}",
                min_lon=0, min_lat=0, max_lon=0, max_lat=0)
    db_session.add(zone)
    db_session.flush()
    db_session.add_all(RequestZone(request_id=r.id, zone_id=zone.id) for r in reported)
    try:
        assert_in_step(db_session)
        assert sum(1 for _, z in stored(db_session) if z == zone.id) == len(reported)
    finally:
        db_session.delete(zone)
        db_session.commit()
    assert_in_step(db_session)
    assert not any(z == zone.id for _, z in stored(db_session))


def test_bulk_loads_and_batch_updates_keep_it_in_step(client, db_session):
    """The generator's COPY (PostgreSQL) or executemany (SQLite), zones added many rows to a
    statement, expected dates set in batches: the set-wise paths of the triggers."""
    service_levels.seed(db_session, json.loads(DEMO_SERVICE_LEVELS.read_text()))
    city = generator.la_city_model(db_session)
    generator.insert_batch(db_session, city, 400, open_share=0.3,
                           rng=np.random.default_rng(7))
    db_session.commit()
    ids = list(db_session.scalars(select(ServiceRequest.id).order_by(ServiceRequest.id)))
    zones = list(db_session.scalars(select(Zone.id).where(Zone.kind == "neighbourhood")
                                    .order_by(Zone.id).limit(3)))
    db_session.execute(RequestZone.__table__.insert(),
                       [{"request_id": i, "zone_id": zones[i % 3]} for i in ids])
    assert service_levels.backfill_expected(db_session, batch=150) == len(ids)
    assert_in_step(db_session)


# -- the numbers, read from request_metric and computed here from the raw rows --------------

def raw_numbers(requests, reopened_ids, now, work: Counter | None = None) -> dict:
    """What the metrics module's definitions give, straight from the request rows (and,
    given each request's work orders not cancelled, first-time fix)."""
    done = sorted((r.closed_at - r.created_at).total_seconds() for r in requests
                  if r.status in DONE and r.closed_at is not None)
    targets = [r for r in requests if r.status in DONE and r.closed_at is not None
               and r.expected_at is not None]
    ever_closed = [r for r in requests if r.status in DONE or r.id in reopened_ids]
    found = {} if work is None else {"first_time_fix": first_time_fix(requests, reopened_ids,
                                                                      work)}
    return found | {
        "volume": len(requests),
        "open": sum(r.closed_at is None for r in requests),
        "overdue": sum(r.closed_at is None and r.expected_at is not None
                       and r.expected_at < now for r in requests),
        "closed": len(done),
        "median_hours": round(statistics.median(done) / 3600, 3) if done else None,
        "p90_hours": round(float(np.percentile(done, 90)) / 3600, 3) if done else None,
        "with_target": len(targets),
        "within_target": sum(r.closed_at <= r.expected_at for r in targets),
        "reopen_rate": (round(sum(r.id in reopened_ids for r in ever_closed)
                              / len(ever_closed), 4) if ever_closed else None),
    }


def first_time_fix(requests, reopened_ids, work: Counter) -> float | None:
    fixed = [r for r in requests if r.status in DONE and work[r.id]]
    first = sum(work[r.id] == 1 and r.id not in reopened_ids for r in fixed)
    return round(first / len(fixed), 4) if fixed else None


def raw_daily(requests, since, until, zone) -> list[tuple]:
    days, day = [], since.astimezone(zone).date()
    while day <= (until - timedelta(microseconds=1)).astimezone(zone).date():
        days.append(day)
        day += timedelta(days=1)

    def local(moment):
        return moment.astimezone(zone).date()

    created = Counter(local(r.created_at) for r in requests if since <= r.created_at < until)
    closed = Counter(local(r.closed_at) for r in requests
                     if r.closed_at and since <= r.closed_at < until)
    rows = []
    for day in days:
        end = datetime.combine(day + timedelta(days=1), time(0), zone)
        backlog = sum(r.created_at < min(end, until) and (r.closed_at is None
                                                          or r.closed_at >= min(end, until))
                      for r in requests)
        rows.append((day.isoformat(), created[day], closed[day], backlog))
    return rows


@pytest.fixture
def busy_city(client, db_session):  # client: its teardown empties the tables
    """Three hundred generated requests over a fortnight (some reopened), in three
    neighbourhoods and a district, then some edits, closings and a deletion."""
    service_levels.seed(db_session, json.loads(DEMO_SERVICE_LEVELS.read_text()))
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    generator.insert_batch(db_session, generator.la_city_model(db_session), 300,
                           open_share=0.4, rng=np.random.default_rng(11), now=now)
    db_session.commit()
    requests = list(db_session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))
    for k, request in enumerate(requests):  # squeeze the year into the fortnight before now
        request.created_at = now - timedelta(hours=1 + (k * 37) % (14 * 24))
        if request.closed_at:
            request.closed_at = request.created_at + timedelta(minutes=30 + (k * 97) % 5000)
    neighbourhoods = list(db_session.scalars(select(Zone.id).where(
        Zone.kind == "neighbourhood").order_by(Zone.id).limit(3)))
    district = db_session.scalar(select(Zone.id).where(Zone.kind == "district"))
    db_session.add_all(RequestZone(request_id=r.id, zone_id=neighbourhoods[k % 3])
                       for k, r in enumerate(requests))
    db_session.add_all(RequestZone(request_id=r.id, zone_id=district) for r in requests[::2])
    db_session.flush()
    service_levels.backfill_expected(db_session)
    for request in requests[:40]:
        if request.status.is_open:
            lifecycle.move(db_session, request, Status.RESOLVED)
    for request in requests[40:80]:
        if request.status is Status.RESOLVED:
            lifecycle.move(db_session, request, Status.REOPENED)
    done = [r for r in requests if r.status in DONE]
    db_session.add_all(WorkOrder(request_id=r.id, service_id=r.service_id, status=status)
                       for k, r in enumerate(done[:90])
                       for status in [WorkStatus.COMPLETED]
                       + [WorkStatus.COMPLETED] * (k % 4 == 0)
                       + [WorkStatus.CANCELLED] * (k % 5 == 0))
    db_session.flush()
    db_session.execute(delete(ServiceRequest).where(ServiceRequest.id == requests[-1].id))
    db_session.commit()
    return now, neighbourhoods, district


def test_the_numbers_match_the_raw_rows(db_session, busy_city):
    now, neighbourhoods, district = busy_city
    db_session.expire_all()
    requests = list(db_session.scalars(select(ServiceRequest)))
    zones = {}
    for row in db_session.scalars(select(RequestZone)):
        zones.setdefault(row.request_id, set()).add(row.zone_id)
    reopened = set(db_session.scalars(select(Event.request_id).where(
        Event.new_status == Status.REOPENED.value)))
    work = Counter(w.request_id for w in db_session.scalars(select(WorkOrder))
                   if w.status != WorkStatus.CANCELLED)
    assert reopened and any(r.closed_at is None for r in requests)
    assert any(n == 1 for n in work.values()) and any(n > 1 for n in work.values())
    since, until = now - timedelta(days=10), now
    period = [r for r in requests if since <= r.created_at < until]

    def check(f, chosen):
        summary = metrics.summary(db_session, f, now=now)
        expected = raw_numbers(chosen, reopened, now, work)
        assert {k: summary[k] for k in expected} == expected
        assert metrics.first_time_fix(db_session, f) == expected["first_time_fix"]
        db_session.rollback()
        return expected

    assert check(metrics.Filters(since=since, until=until), period)["first_time_fix"] is not None
    bulky = period[0].service_id
    check(metrics.Filters(service_ids=(bulky,), since=since, until=until),
          [r for r in period if r.service_id == bulky])
    check(metrics.Filters(zone_ids=(district, neighbourhoods[1]), since=since, until=until),
          [r for r in period if {district, neighbourhoods[1]} <= zones.get(r.id, set())])
    check(metrics.Filters(channels=("phone",), since=since, until=until),
          [r for r in period if r.channel.value == "phone"])

    shown = ("volume", "open", "closed", "median_hours", "p90_hours", "with_target",
             "within_target")
    codes = dict(db_session.execute(select(Zone.id, Zone.code).where(
        Zone.id.in_(neighbourhoods))).all())
    in_district = [r for r in period if district in zones.get(r.id, ())]
    for f, chosen in ((metrics.Filters(since=since, until=until), period),
                      (metrics.Filters(since=since, until=until, zone_ids=(district,)),
                       in_district)):
        groups = {g["key"]: g for g in metrics.breakdown(db_session, f, "neighbourhood")}
        expected = {code: raw_numbers([r for r in chosen if z in zones.get(r.id, ())],
                                      reopened, now) for z, code in codes.items()}
        assert groups.keys() == {c for c, e in expected.items() if e["volume"]}
        for code, got in groups.items():
            assert {k: got[k] for k in shown} == {k: expected[code][k] for k in shown}
        db_session.rollback()
    services = metrics.breakdown(db_session, metrics.Filters(
        service_ids=(bulky,), since=since, until=until), "service")
    expected = raw_numbers([r for r in period if r.service_id == bulky], reopened, now)
    assert [{k: g[k] for k in shown} for g in services] == [{k: expected[k] for k in shown}]
    db_session.rollback()

    zone = metrics.city_timezone(db_session)
    assert zone == ZoneInfo("America/Los_Angeles")
    in_both = {district, neighbourhoods[1]}
    for f, chosen in (  # from metric_hour (whole hours and part-hours), then from the rows
            (metrics.Filters(since=since, until=until), requests),
            (metrics.Filters(since=since - timedelta(minutes=17),
                             until=until - timedelta(minutes=7), zone_ids=(district,)),
             [r for r in requests if district in zones.get(r.id, ())]),
            (metrics.Filters(service_ids=(bulky,), since=since, until=until),
             [r for r in requests if r.service_id == bulky]),
            (metrics.Filters(zone_ids=tuple(in_both), since=since, until=until),
             [r for r in requests if in_both <= zones.get(r.id, set())])):
        days = metrics.daily(db_session, f)
        assert [(d["date"], d["created"], d["closed"], d["backlog"]) for d in days] == (
            raw_daily(chosen, f.since, f.until, zone))
        db_session.rollback()
