"""Management information at city scale: each metric query, the repeat-problem finder and the
CSV export, on SQLite and PostgreSQL, over synthetic requests that follow Los Angeles' real
places and categories (1,000,000 by default, spread over the last year, a fifth open), with
their neighbourhood and district zones and expected dates attached.

Each metric is timed over the filters a manager uses (city-wide for the last 30 days and for
the whole year, one service for the year, one neighbourhood for the year; median of three
runs). Beside them, as the physical floor, a bare ``count(*)`` over the same rows.

Targets: every metric query ≤ 500 ms on PostgreSQL (SQLite is shown, without a target);
hotspots for one service city-wide over 30 days ≤ 2 s (90 and 365 days shown); the full CSV
export streamed through the app at ≥ 50,000 rows/s with flat memory (RSS growth between the
first 10% of rows and the end ≤ 50 MB).

    python -m tests.bench metrics [--rows 1000000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend import create_app, db, demo, schema
from backend.cli import DEMO_SERVICE_LEVELS
from backend.config import Config
from backend.db import is_sqlite, make_engine
from backend.models import RequestZone, Service, ServiceRequest, Zone
from backend.models.types import utcnow
from backend.services import generator, metrics, service_levels, zones
from tests.bench.serve import DATABASES, fresh_database, scratch_dir
from tests.bench.table import Report, print_table

TARGET_METRIC_MS = 500.0
TARGET_HOTSPOT_S = 2.0
TARGET_EXPORT_ROWS_S = 50_000
TARGET_RSS_GROWTH_MB = 50.0
HOTSPOT_SERVICE = "bulky-items"
ZONE_KINDS = ("neighbourhood", "district")



def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench metrics")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default=",".join(DATABASES))
    args = parser.parse_args(argv)
    report = Report()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start",
          flush=True)
    for kind in args.databases.split(","):
        measure_database(kind, args.rows, report)
    print_table(["database", "measure", "filter", "result", "target", ""], report.rows)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    for miss in report.misses:
        print(f"MISSED  {miss}")
    return 1 if report.misses else 0


def measure_database(kind: str, rows: int, report: Report) -> None:
    with fresh_database(kind) as url, scratch_dir() as data_dir:
        schema.upgrade(url)
        app = create_app(Config(DATABASE_URL=url, PHOTO_DIR=str(data_dir / "photos")))
        with app.app_context():
            session = db.session()
            demo.load_catalog(session, say=lambda _: None)
            demo.load_zones(session, say=lambda _: None)
            service_levels.seed(session, json.loads(DEMO_SERVICE_LEVELS.read_text()))
            session.commit()
            db.close_session()
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                fill(session, kind, rows, report)
                measure_metrics(session, kind, report)
                measure_hotspots(session, kind, report)
            measure_export(app, kind, report)
        finally:
            engine.dispose()
            app.extensions["frontdoor.db"]["engine"].dispose()


# -- data ------------------------------------------------------------------------------

def fill(session: Session, kind: str, rows: int, report: Report) -> None:
    def timed(label: str, work: Callable[[], object]) -> None:
        print(f"[{kind}] {label} …", flush=True)
        started = time.perf_counter()
        work()
        session.commit()
        seconds = time.perf_counter() - started
        report.add(kind, label, "", f"{seconds:.0f} s", "", "")

    timed(f"generate {rows:,} requests", lambda: generate(session, rows))
    timed("attach neighbourhoods and districts", lambda: attach_zones(session))
    timed("expected dates (sla backfill)", lambda: service_levels.backfill_expected(session))
    timed("work orders and reopenings", lambda: add_work_history(session))
    with session.get_bind().connect().execution_options(
            isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE" if kind == "sqlite" else "VACUUM ANALYZE"))


def generate(session: Session, rows: int) -> None:
    city = generator.la_city_model(session)
    rng = np.random.default_rng(1)
    for size in generator.batches(rows):
        generator.insert_batch(session, city, size, open_share=0.2, rng=rng)
        session.commit()


def attach_zones(session: Session) -> None:
    """The zones the generator leaves out, set-wise: one shapely pass per batch of points."""
    index, kinds = zones.zone_index(session)
    wanted = {z for z, k in kinds.items() if k in ZONE_KINDS}
    last = 0
    while True:
        batch = session.execute(select(ServiceRequest.id, ServiceRequest.lon, ServiceRequest.lat)
                                .where(ServiceRequest.id > last).order_by(ServiceRequest.id)
                                .limit(100_000)).all()
        if not batch:
            return
        found = index.zones_at_many([(r.lon, r.lat) for r in batch])
        pairs = [(r.id, z) for r, ids in zip(batch, found, strict=True) for z in ids
                 if z in wanted]
        if is_sqlite(session):
            session.execute(RequestZone.__table__.insert(),
                            [{"request_id": a, "zone_id": b} for a, b in pairs])
        else:
            raw = session.connection().connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(
                    "COPY request_zone (request_id, zone_id) FROM STDIN") as copy:
                for pair in pairs:
                    copy.write_row(pair)
        session.commit()
        last = batch[-1].id


def add_work_history(session: Session) -> None:
    """What first-time fix and the reopen rate read: a completed work order for every
    request done, a second visit for one in ten (and a cancelled order, which does not count,
    for another one in ten); a "reopened" event for every request reopened now and for one
    in twenty of those done (reopened, then done again)."""
    done = "status IN ('resolved', 'closed')"
    order = ("INSERT INTO work_order (request_id, service_id, kind, status, priority, "
             "instructions, notes, reason, created_at, updated_at, closed_at, version) "
             "SELECT id, service_id, 'repair', '{status}', priority, '', '', '', created_at, "
             "closed_at, closed_at, 1 FROM service_request WHERE {where}")
    session.execute(text(order.format(status="completed", where=done)))
    session.execute(text(order.format(status="completed", where=f"{done} AND id % 10 = 0")))
    session.execute(text(order.format(status="cancelled", where=f"{done} AND id % 10 = 1")))
    session.execute(text(
        "INSERT INTO event (request_id, kind, old_status, new_status, note, public, data, "
        "created_at) SELECT id, 'status', 'resolved', 'reopened', '', true, "
        "CAST('{}' AS JSON), created_at FROM service_request "
        f"WHERE status = 'reopened' OR ({done} AND id % 20 = 0)"))


# -- metrics ---------------------------------------------------------------------------

def filter_sets(session: Session) -> dict[str, metrics.Filters]:
    now = utcnow()
    year = now - timedelta(days=366)
    service_id = session.scalar(select(Service.id).where(Service.code == HOTSPOT_SERVICE))
    busiest_zone = session.scalar(
        select(RequestZone.zone_id).join(Zone, Zone.id == RequestZone.zone_id)
        .where(Zone.kind == "neighbourhood").group_by(RequestZone.zone_id)
        .order_by(func.count().desc()).limit(1))
    return {
        "city, 30 days": metrics.Filters(since=now - timedelta(days=30), until=now),
        "city, year": metrics.Filters(since=year, until=now),
        f"{HOTSPOT_SERVICE}, year": metrics.Filters(service_ids=(service_id,), since=year,
                                                   until=now),
        "busiest neighbourhood, year": metrics.Filters(zone_ids=(busiest_zone,), since=year,
                                                       until=now),
    }


def best_of_three(work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def measure_metrics(session: Session, kind: str, report: Report) -> None:
    queries: dict[str, Callable[[metrics.Filters], object]] = {
        "floor: count(*)": lambda f: session.scalar(
            select(func.count()).select_from(ServiceRequest).where(*metrics.conditions(f))),
        "volume, open, overdue": lambda f: metrics.counts(session, f),
        "time to close + within target": lambda f: metrics.close_stats(session, f),
        "reopen rate": lambda f: metrics.reopen_rate(session, f),
        "first-time fix": lambda f: metrics.first_time_fix(session, f),
        "daily volume + backlog": lambda f: metrics.daily(session, f),
        "by service": lambda f: metrics.breakdown(session, f, "service"),
        "by neighbourhood": lambda f: metrics.breakdown(session, f, "neighbourhood"),
        "summary (all headline numbers)": lambda f: metrics.summary(session, f),
    }
    for label, f in filter_sets(session).items():
        rows = session.scalar(select(func.count()).select_from(ServiceRequest)
                              .where(*metrics.conditions(f)))
        for name, query in queries.items():
            print(f"[{kind}] {name} / {label}", flush=True)
            ms, _ = best_of_three(lambda q=query, f=f: q(f))
            session.rollback()
            floor = name.startswith("floor")
            target = TARGET_METRIC_MS if kind == "postgresql" and not floor else None
            verdict = report.check(ms <= target, f"{kind} {name} / {label}: {ms:.0f} ms") \
                if target else ""
            report.add(kind, name, f"{label} ({rows:,} rows)", f"{ms:,.0f} ms",
                       f"≤ {target:.0f} ms" if target else "", verdict)


def measure_hotspots(session: Session, kind: str, report: Report) -> None:
    service_id = session.scalar(select(Service.id).where(Service.code == HOTSPOT_SERVICE))
    for days in (30, 90, 365):
        f = metrics.Filters(service_ids=(service_id,))
        params = metrics.HotspotParams(min_count=5, radius_m=100, days=days)
        print(f"[{kind}] hotspots {days} days", flush=True)
        ms, found = best_of_three(lambda f=f, p=params: metrics.hotspots(session, f, p))
        session.rollback()
        points = session.scalar(select(func.count()).select_from(ServiceRequest).where(
            ServiceRequest.service_id == service_id,
            ServiceRequest.created_at >= utcnow() - timedelta(days=days)))
        target = TARGET_HOTSPOT_S if days == 30 else None
        verdict = report.check(ms / 1000 <= target, f"{kind} hotspots {days} days: "
                                                    f"{ms / 1000:.2f} s") if target else ""
        report.add(kind, f"hotspots N=5 R=100 m, {days} days",
                   f"{HOTSPOT_SERVICE}, city ({points:,} points, "
                   f"{found['hotspot_count']:,} hotspots)",
                   f"{ms / 1000:.2f} s", f"≤ {target:.0f} s" if target else "", verdict)


# -- export ----------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_export(app, kind: str, report: Report) -> None:
    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": "admin",
                                                    "password": "frontdoor-admin"}).json["token"]
    print(f"[{kind}] CSV export", flush=True)
    started = time.perf_counter()
    answer = client.get("/api/v1/exports/requests.csv", buffered=False,
                        headers={"Authorization": f"Bearer {token}"})
    total = int(answer.headers["X-Total-Count"])
    lines, size, early_rss, peak_rss = -1, 0, None, 0.0
    for chunk in answer.response:
        lines += chunk.count(b"\n")
        size += len(chunk)
        if early_rss is None and lines >= total // 10:
            early_rss = rss_mb()
        peak_rss = max(peak_rss, rss_mb())
    answer.close()
    seconds = time.perf_counter() - started
    rate = lines / seconds
    growth = peak_rss - (early_rss or peak_rss)
    report.add(kind, "CSV export, streamed", f"{lines:,} rows, {size / 1e6:,.0f} MB",
               f"{rate:,.0f} rows/s", f"≥ {TARGET_EXPORT_ROWS_S:,}",
               report.check(rate >= TARGET_EXPORT_ROWS_S and lines == total,
                            f"{kind} CSV export {rate:,.0f} rows/s ({lines} of {total})"))
    report.add(kind, "CSV export, memory", f"RSS at 10%: {early_rss or 0:,.0f} MB",
               f"+{growth:,.1f} MB to the end", f"≤ +{TARGET_RSS_GROWTH_MB:.0f} MB",
               report.check(growth <= TARGET_RSS_GROWTH_MB,
                            f"{kind} CSV export memory grew {growth:.0f} MB"))
