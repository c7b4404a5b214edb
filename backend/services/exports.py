"""Exports of requests for analysis: CSV and GeoJSON, written as a stream.

One SELECT gives every export row ready to write (service, department and neighbourhood
joined in, times as ISO 8601 text with their offset), oldest request first. On PostgreSQL
the CSV is that SELECT under ``COPY … TO STDOUT (FORMAT csv)``: the server writes the text
and it is passed on in chunks as it arrives, with no per-row work in Python. Elsewhere (and
for GeoJSON) the rows come from a server-side cursor (``yield_per``; SQLite steps its
cursor) a batch at a time. Either way memory stays flat whatever the number of rows. The
filters are the metrics' (backend.services.metrics).

No reporter contact of any kind is exported (the columns are listed in ``COLUMNS``; the
contact table is never read): exports are for analysis and may travel further than the
staff who make them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import String, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from backend.db import is_sqlite
from backend.models import OPEN_STATUSES, Department, RequestZone, Service, ServiceRequest, Zone
from backend.services.metrics import Filters, conditions

R = ServiceRequest.__table__.c
BATCH = 5000
CHUNK_BYTES = 1 << 20  # COPY hands over one row at a time: pass them on about a MB at once
COLUMNS = ("tracking", "service_code", "service_name", "status", "public_status", "priority",
           "channel", "lat", "lon", "address", "description", "department", "neighbourhood",
           "created_at", "expected_at", "closed_at")
OPEN_VALUES = tuple(sorted(s.value for s in OPEN_STATUSES))
PG_ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def count(db: Session, f: Filters) -> int:
    return db.scalar(select(func.count()).select_from(ServiceRequest.__table__)
                     .where(*conditions(f)))


def statement(db: Session, f: Filters, *, neighbourhood_kind: str = "neighbourhood"):
    """The export's SELECT: one row per matching request, in COLUMNS order, oldest first.

    The neighbourhood is the request's first zone of that kind (lowest id): a lookup by
    request id in request_zone's key, so the cost follows the rows exported. Empty texts
    come out as NULL, so both ways of writing the CSV leave the field empty."""
    s, d = Service.__table__.c, Department.__table__.c
    place = (select(Zone.name).join(RequestZone, RequestZone.zone_id == Zone.id)
             .where(RequestZone.request_id == R.id, Zone.kind == neighbourhood_kind)
             .order_by(RequestZone.zone_id).limit(1).scalar_subquery())
    status = type_coerce(R.status, String)
    return (select(R.tracking, s.code, s.name, status,
                   case((status.in_(OPEN_VALUES), literal("open")), else_=literal("closed")),
                   type_coerce(R.priority, String), type_coerce(R.channel, String),
                   R.lat, R.lon, func.nullif(R.address, ""), func.nullif(R.description, ""),
                   d.name, place,
                   *(_iso_utc(db, c) for c in (R.created_at, R.expected_at, R.closed_at)))
            .select_from(ServiceRequest.__table__
                         .join(Service.__table__, s.id == R.service_id)
                         .outerjoin(Department.__table__, d.id == R.department_id))
            .where(*conditions(f)).order_by(R.id))


def _iso_utc(db: Session, column):
    """A stored UTC time (naive) as ISO 8601 text with its offset, always with microseconds
    (SQLite keeps the text SQLAlchemy wrote: only the separator and the offset change)."""
    if is_sqlite(db):
        return func.replace(type_coerce(column, String), " ", "T") + "+00:00"
    return func.to_char(column, PG_ISO_UTC)


def rows(db: Session, f: Filters) -> Iterator[list[tuple]]:
    """Batches of export rows (tuples in COLUMNS order), from a server-side cursor. Read on
    the session's connection, not through the ORM: plain columns need none of its loading,
    which would double the cost of every row."""
    result = (db.connection().execution_options(yield_per=BATCH)
              .execute(statement(db, f)))
    try:
        yield from result.partitions()
    finally:
        result.close()


def csv_stream(db: Session, f: Filters) -> Iterator[bytes]:
    """A header line, then the rows, in chunks of text."""
    if not is_sqlite(db):
        yield from _postgresql_csv(db, f)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    with _unmapped(db):
        for batch in rows(db, f):
            writer.writerows(batch)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


@contextmanager
def _unmapped(db: Session) -> Iterator[None]:
    """Read the SQLite file through the connection's bounded page cache, not its memory map:
    a whole-table export would otherwise map (and keep resident) every page it reads."""
    connection = db.connection().connection.driver_connection
    (mapped,) = connection.execute("PRAGMA mmap_size").fetchone()
    connection.execute("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        connection.execute(f"PRAGMA mmap_size={int(mapped)}")


def _postgresql_csv(db: Session, f: Filters) -> Iterator[bytes]:
    """COPY (the export's SELECT) TO STDOUT, in the session's transaction. COPY takes no
    server-side parameters: psycopg merges them into the text (bound as SQLAlchemy binds
    them, so times are naive UTC as stored)."""
    sql, params = _compiled(db, statement(db, f))
    header = ",".join(COLUMNS) + "\n"
    cursor = db.connection().connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            chunk, size = [header.encode()], len(header)
            for data in copy:
                chunk.append(data)
                size += len(data)
                if size >= CHUNK_BYTES:
                    yield b"".join(chunk)
                    chunk, size = [], 0
            yield b"".join(chunk)
    finally:
        cursor.close()


def _compiled(db: Session, query) -> tuple[str, dict]:
    dialect = db.get_bind().dialect
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = {}
    for name, value in compiled.params.items():
        # An IN list's items are named after their parameter: <name>_<n>.
        bind = compiled.binds.get(name)
        if bind is None:
            bind = compiled.binds.get(name.rsplit("_", 1)[0])
        process = bind.type.bind_processor(dialect) if bind is not None else None
        params[name] = process(value) if process else value
    return compiled.string, params


def geojson_stream(db: Session, f: Filters) -> Iterator[str]:
    """A FeatureCollection of Points ([lon, lat]); a request without a place has no geometry."""
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    lat_at, lon_at = COLUMNS.index("lat"), COLUMNS.index("lon")
    for batch in rows(db, f):
        parts = []
        for row in batch:
            geometry = ({"type": "Point", "coordinates": [row[lon_at], row[lat_at]]}
                        if row[lat_at] is not None and row[lon_at] is not None else None)
            properties = {k: ("" if v is None else v)
                          for k, v in zip(COLUMNS, row, strict=True) if k not in ("lat", "lon")}
            parts.append(json.dumps({"type": "Feature", "geometry": geometry,
                                     "properties": properties}, ensure_ascii=False))
        if parts:
            yield ("" if first else ",") + ",".join(parts)
            first = False
    yield "]}"
