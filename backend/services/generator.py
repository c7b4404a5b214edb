"""City-scale synthetic requests, for benchmarks and load tests.

Owns making N requests that look like a real city's: each one copies a real Los Angeles
request from the demo data (its point, moved by a small random jitter, and its service),
so the spatial and category distributions, and how they go together, are the city's.
A chosen share is open; creation dates spread over the last year.

Rows go in by the fastest path each database has: ``COPY`` on PostgreSQL, ``executemany``
in large transactions on SQLite. The spatial indexes stay right: on SQLite the per-row
insert trigger is set aside for the batch and the R*Trees and map cells are updated
set-wise in the same transaction; on PostgreSQL the generated ``geog`` column feeds the
GiST indexes and the map-cell trigger runs once per COPY, on the whole batch.
Each request gets its "created" event. Zones (``request_zone``) are not attached.

Batches are written with ``insert_batch``; the caller commits between them.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db import is_sqlite
from backend.geo.distance import METRES_PER_DEGREE_LAT
from backend.models import Service, ServiceRequest, Status
from backend.services.clusters import add_to_map_cells_sql
from backend.services.la311 import service_code_for
from backend.services.nearby import OPEN_SQL
from backend.services.tracking import ALPHABET

LA_REQUESTS = Path(__file__).resolve().parents[1] / "demo" / "data" / "la311_requests_2020.csv.gz"
JITTER_M = 40.0  # standard deviation of the random move away from the real point
BATCH = 50_000

OPEN_MIX = {Status.SUBMITTED: 0.5, Status.ACKNOWLEDGED: 0.25, Status.IN_PROGRESS: 0.2,
            Status.REOPENED: 0.05}
CLOSED_MIX = {Status.CLOSED: 0.7, Status.RESOLVED: 0.15, Status.REJECTED: 0.1,
              Status.DUPLICATE: 0.05}
CHANNEL_MIX = {"phone": 0.5, "pwa": 0.4, "open311": 0.1}
COLUMNS = ("id", "tracking", "service_id", "description", "lat", "lon", "address",
           "location_source", "attributes", "channel", "status", "priority", "created_at",
           "updated_at", "closed_at", "version")


@dataclass(frozen=True)
class CityModel:
    """Real points and their service ids, to sample from."""

    lon: np.ndarray
    lat: np.ndarray
    service_id: np.ndarray
    priority_of: dict[int, str]


def la_city_model(db: Session, source: Path = LA_REQUESTS) -> CityModel:
    """The demo data's requests whose service is in this catalog and that have a point."""
    services = {s.code: s for s in db.scalars(select(Service))}
    lon, lat, service_id = [], [], []
    with gzip.open(source, "rt", encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            service = services.get(service_code_for(row.get("requesttype", "")))
            try:
                y, x = float(row["latitude"]), float(row["longitude"])
            except (KeyError, ValueError):
                continue
            if service is None or not (-90 <= y <= 90 and -180 <= x <= 180) or (x, y) == (0, 0):
                continue
            lon.append(x)
            lat.append(y)
            service_id.append(service.id)
    if not lon:
        raise ValueError("no usable requests in the source data: is the demo catalog loaded?")
    return CityModel(np.array(lon), np.array(lat), np.array(service_id),
                     {s.id: s.default_priority.value for s in services.values()})


def batches(total: int, size: int = BATCH) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def insert_batch(db: Session, city: CityModel, count: int, *, open_share: float,
                 rng: np.random.Generator, now: datetime | None = None) -> int:
    """Insert ``count`` synthetic requests (and their "created" events); returns count."""
    if not 0 <= open_share <= 1:
        raise ValueError("open_share must be between 0 and 1")
    rows = _rows(db, city, count, open_share, rng, now or datetime.now(UTC))
    if is_sqlite(db):
        _sqlite_insert(db, rows)
    else:
        _copy_insert(db, rows)
    return count


def _rows(db: Session, city: CityModel, count: int, open_share: float,
          rng: np.random.Generator, now: datetime) -> list[tuple]:
    pick = rng.integers(0, len(city.lon), size=count)
    lat = city.lat[pick] + rng.normal(0, JITTER_M / METRES_PER_DEGREE_LAT, size=count)
    lon = city.lon[pick] + rng.normal(0, JITTER_M / METRES_PER_DEGREE_LAT, size=count) \
        / np.cos(np.radians(city.lat[pick]))
    is_open = rng.random(count) < open_share
    status = np.where(is_open, _choose(rng, OPEN_MIX, count), _choose(rng, CLOSED_MIX, count))
    channel = _choose(rng, CHANNEL_MIX, count)
    age_s = rng.uniform(0, 365 * 86400, size=count)
    close_after_s = rng.exponential(5 * 86400, size=count)
    escalated = rng.random(count)
    numbers = _tracking_numbers(db, count, rng)
    first_id = _reserve_ids(db, count)
    rows = []
    for k in range(count):
        service_id = int(city.service_id[pick[k]])
        created = now - timedelta(seconds=float(age_s[k]))
        closed = None if is_open[k] else min(now, created + timedelta(
            seconds=float(close_after_s[k])))
        priority = ("urgent" if escalated[k] < 0.01 else "high" if escalated[k] < 0.06
                    else city.priority_of[service_id])
        rows.append((first_id + k, numbers[k], service_id, "", float(lat[k]), float(lon[k]),
                     "", "device", "{}", str(channel[k]), str(status[k]), priority,
                     _naive(created), _naive(closed or created), _naive(closed), 1))
    return rows


def _choose(rng: np.random.Generator, mix: dict, count: int) -> np.ndarray:
    values = [str(getattr(v, "value", v)) for v in mix]
    weights = np.array(list(mix.values()), dtype=float)
    return rng.choice(np.array(values, dtype=object), size=count, p=weights / weights.sum())


def _naive(moment: datetime | None) -> datetime | None:
    """Stored as the models store it: UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _tracking_numbers(db: Session, count: int, rng: np.random.Generator) -> list[str]:
    """Unused, distinct tracking numbers, drawn from the seeded generator (reproducible)."""
    alphabet = np.array(list(ALPHABET))
    found: set[str] = set()
    while len(found) < count:
        need = count - len(found)
        chars = alphabet[rng.integers(0, len(ALPHABET), size=(need, 8))]
        wanted = {f"{''.join(c[:4])}-{''.join(c[4:])}" for c in chars} - found
        taken: set[str] = set()
        listed = sorted(wanted)
        for start in range(0, len(listed), 5000):
            taken |= set(db.scalars(select(ServiceRequest.tracking).where(
                ServiceRequest.tracking.in_(listed[start:start + 5000]))))
        found |= wanted - taken
    ordered = sorted(found)  # sets iterate in a per-process order; the seed decides
    return [ordered[i] for i in rng.permutation(count)]


def _reserve_ids(db: Session, count: int) -> int:
    """The first of ``count`` consecutive new request ids, so events can point at them."""
    if is_sqlite(db):
        return (db.scalar(text("SELECT max(id) FROM service_request")) or 0) + 1
    first = db.scalar(text("SELECT nextval(pg_get_serial_sequence('service_request', 'id'))"))
    db.execute(text("SELECT setval(pg_get_serial_sequence('service_request', 'id'), :last)"),
               {"last": first + count - 1})
    return first


SQLITE_BULK_CACHE_KIB = 512 * 1024
SQLITE_INSERT_TRIGGER = "trg_service_request_spatial_insert"


def _sqlite_insert(db: Session, rows: list[tuple]) -> None:
    """executemany with the spatial insert trigger set aside, then the R*Trees and map cells
    brought up to date set-wise: the trigger costs ~0.3 ms a row (nine map-cell upserts,
    two R*Tree inserts), the set-wise updates a tenth of that. All of it happens in the
    caller's write transaction, so other connections never see the trigger missing."""
    connection = db.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:
        # Random-order inserts (tracking numbers, R*Tree nodes, map cells) touch pages all
        # over the file; with SQLite's small default cache each one is a read and a write.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
        trigger = cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name = ?", (SQLITE_INSERT_TRIGGER,)).fetchone()
        if trigger:
            cursor.execute(f"DROP TRIGGER {SQLITE_INSERT_TRIGGER}")
        cursor.executemany(
            f"INSERT INTO service_request ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)})",
            [_sqlite_row(r) for r in rows])
        cursor.executemany(
            "INSERT INTO event (request_id, kind, new_status, note, public, data, created_at) "
            "VALUES (?, 'created', 'submitted', '', 1, '{}', ?)",
            [(r[0], _sqlite_row(r)[12]) for r in rows])
        if trigger:
            span = (rows[0][0], rows[-1][0])
            where = "id BETWEEN ? AND ? AND lat IS NOT NULL AND lon IS NOT NULL"
            # Spatially sorted, so each R*Tree insert finds its path in cache.
            order = "ORDER BY CAST((lat + 90) * 100 AS INTEGER), lon"
            cursor.execute(f"INSERT INTO request_rtree SELECT id, lon, lon, lat, lat "
                           f"FROM service_request WHERE {where} {order}", span)
            cursor.execute(f"INSERT INTO open_request_rtree SELECT id, lon, lon, lat, lat "
                           f"FROM service_request WHERE {where} AND status IN {OPEN_SQL} "
                           f"{order}", span)
            cursor.execute(add_to_map_cells_sql("r.id BETWEEN ? AND ?", sqlite=True), span)
            cursor.execute(trigger[0])
    finally:
        cursor.close()


def _sqlite_row(row: tuple) -> tuple:
    # The text form SQLAlchemy's DateTime writes on SQLite, so reads parse it back.
    return tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                 for v in row)


def _copy_insert(db: Session, rows: list[tuple]) -> None:
    connection = db.connection().connection.driver_connection
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY service_request ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with cursor.copy("COPY event (request_id, kind, new_status, note, public, data, "
                         "created_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row[0], "created", "submitted", "", True, "{}", row[12]))
