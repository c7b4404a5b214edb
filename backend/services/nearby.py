"""What is near a point, and what lies in a box: index-backed on both databases.

Owns the spatial queries over ``service_request``:

- ``nearby_requests``: the nearest requests within a radius, nearest first, with their
  distance in metres (great-circle, on the same sphere as ``backend.geo.haversine_m``).
- ``requests_in_box``: the requests inside a lon/lat box (antimeridian-crossing allowed).

SQLite answers from the R*Tree tables made by migration ``0003_spatial`` (the open-only
tree when only open requests are wanted), through ``backend.geo.spatial_key``'s growing
search. PostgreSQL answers with PostGIS: a KNN scan (``geog <-> point``) bounded by
``ST_DWithin`` on the partial GiST index of open requests (or the full one), and boxes on
the GiST index of ``geog::geometry``.

On PostgreSQL the nearby query lives in the database function ``nearby_request_ids``
(migration ``0003_spatial``): its plan is cached between calls, and settings local to the
function leave the planner only the KNN index scan, so a cached generic plan can never be
a bitmap scan of the whole radius plus a sort. ``tests/geo_db`` checks the plan it runs.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import DateTime, String, bindparam, select, text, type_coerce
from sqlalchemy.orm import Session

from backend.db import is_sqlite
from backend.errors import InvalidInput
from backend.geo.distance import (
    BBox,
    haversine_m,
    split_bbox,
    validate_bbox,
    validate_point,
)
from backend.geo.grid import cell_at
from backend.geo.spatial_key import _checked_radius, nearest_within
from backend.models import OPEN_STATUSES, Service, ServiceRequest, Status
from backend.models.types import UTCDateTime

MAX_NEARBY = 1000
DENSITY_LEVEL = 14  # map cells of ~2 x 2 km at Los Angeles' latitude
FIRST_RADIUS_MARGIN = 1.5  # aim for 1.5 x the rows wanted in the first circle
SQLITE_GROWTH = 2.0
MAX_IN_BOX = 10_000
OPEN_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)) + ")"
PUBLIC_SERVICE_IDS = "SELECT id FROM service WHERE public"

# Index names, also checked against query plans in the tests.
SQLITE_TREE = "request_rtree"
SQLITE_OPEN_TREE = "open_request_rtree"
PG_INDEX = "ix_service_request_geog"
PG_OPEN_INDEX = "ix_service_request_geog_open"
PG_BOX_INDEX = "ix_service_request_geom"


@dataclass(frozen=True)
class Nearby:
    """One hit: the request and how far it is from the point searched, in metres."""

    request: ServiceRequest
    distance_m: float


@dataclass(frozen=True)
class Filters:
    open_only: bool = True
    service_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    public_only: bool = False  # only public services (decided in the same statement)


def nearby_requests(db: Session, lon: float, lat: float, radius_m: float, *, limit: int = 50,
                    open_only: bool = True, service_ids: Collection[int] | None = None,
                    since: datetime | None = None) -> list[Nearby]:
    """The ``limit`` requests nearest to (lon, lat) within ``radius_m`` metres, nearest
    first; only open ones unless ``open_only`` is False; optionally only these services
    and only those created at or after ``since``."""
    hits = nearby_request_ids(db, lon, lat, radius_m, limit=limit, open_only=open_only,
                              service_ids=service_ids, since=since)
    if not hits:
        return []
    loaded = {r.id: r for r in db.scalars(
        select(ServiceRequest).where(ServiceRequest.id.in_([i for i, _ in hits])))}
    return [Nearby(loaded[i], d) for i, d in hits if i in loaded]


def nearby_request_ids(db: Session, lon: float, lat: float, radius_m: float, *,
                       limit: int = 50, open_only: bool = True,
                       service_ids: Collection[int] | None = None,
                       since: datetime | None = None,
                       public_only: bool = False) -> list[tuple[int, float]]:
    """As ``nearby_requests``, but (id, distance_m) pairs: no ORM objects are built.
    ``public_only`` keeps to public services, as signed-out callers must."""
    lon, lat = validate_point(lon, lat)
    radius_m = _checked_radius(radius_m)
    limit = _checked_limit(limit, MAX_NEARBY)
    filters = Filters(open_only, _ids(service_ids), since, public_only)
    if is_sqlite(db):
        return _sqlite_nearby(db, lon, lat, radius_m, limit, filters)
    return _pg_nearby(db, lon, lat, radius_m, limit, filters)


def requests_in_box(db: Session, bbox: tuple[float, float, float, float], *,
                    open_only: bool = True, service_ids: Collection[int] | None = None,
                    limit: int = 1000) -> list[ServiceRequest]:
    """Requests inside the lon/lat box (edges included; ``min_lon > max_lon`` crosses the
    antimeridian), at most ``limit`` of them, by id. A box holding more than ``limit``
    gives an arbitrary ``limit`` of them: ask the map clusters for dense areas."""
    ids = request_ids_in_box(db, bbox, open_only=open_only, service_ids=service_ids,
                             limit=limit)
    if not ids:
        return []
    return list(db.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(ids))
                           .order_by(ServiceRequest.id)))


def request_ids_in_box(db: Session, bbox: Sequence[float], *, open_only: bool = True,
                       service_ids: Collection[int] | None = None,
                       limit: int = 1000) -> list[int]:
    bbox = validate_bbox(tuple(bbox) if isinstance(bbox, list) else bbox)
    limit = _checked_limit(limit, MAX_IN_BOX)
    filters = Filters(open_only, _ids(service_ids))
    ids: list[int] = []
    for part in split_bbox(bbox):
        if len(ids) >= limit:
            break
        if is_sqlite(db):
            ids += [row[0] for row in _sqlite_box(db, part, filters, limit - len(ids))]
        else:
            ids += _pg_box_ids(db, part, filters, limit - len(ids))
    return sorted(set(ids))


def map_summaries(db: Session, ids: Sequence[int]) -> dict[int, dict]:
    """What a map or a list shows of each request, by id, read without building ORM
    objects (a page of 50 costs a fraction of loading the models): tracking, service
    code, status, public status, priority, lat, lon, address, created_at (ISO 8601)."""
    if not ids:
        return {}
    found = {}
    rows = db.connection().execute(_SUMMARY, {"ids": list(ids)})
    for request_id, tracking, code, status, priority, lat, lon, address, created in rows:
        found[request_id] = {
            "tracking": tracking, "service_code": code, "status": status,
            "public_status": "open" if status in _OPEN_VALUES else "closed",
            "priority": priority, "lat": lat, "lon": lon, "address": address,
            "created_at": created.isoformat() + "+00:00"}  # stored in UTC
    return found


_OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
# Table columns (no ORM layer), and status, priority and time as stored: plain strings and
# a UTC time, without the enum and time-zone conversions done per row.
_r, _s = ServiceRequest.__table__.c, Service.__table__.c
_SUMMARY = (select(_r.id, _r.tracking, _s.code, type_coerce(_r.status, String),
                   type_coerce(_r.priority, String), _r.lat, _r.lon, _r.address,
                   type_coerce(_r.created_at, DateTime))
            .join(Service.__table__, _s.id == _r.service_id)
            .where(_r.id.in_(bindparam("ids", expanding=True))))


# -- SQLite: R*Tree ---------------------------------------------------------

def _sqlite_nearby(db: Session, lon: float, lat: float, radius_m: float, limit: int,
                   filters: Filters) -> list[tuple[int, float]]:
    """The growing search of ``spatial_key.nearest_within`` over the R*Tree. Each fetch
    returns only the ``limit`` rows of its box nearest to the point, ranked in SQL: the
    search stops once ``limit`` rows lie within the radius, and rows within the radius are
    always nearer than the box's other rows, so the answer is the same as from the whole
    box, without handing hundreds of rows to Python in dense places."""
    sql, params = nearby_sql_sqlite(lon, lat, filters, limit)
    clause = statement(sql, filters)
    connection = db.connection()  # textual statements: no need for the session's ORM layer

    def fetch(box: BBox) -> list:
        params.update(zip(("min_lon", "min_lat", "max_lon", "max_lat"), box, strict=True))
        return connection.execute(clause, params).all()

    first = min(radius_m, _first_radius(db, lon, lat, limit, filters))
    search = nearest_within(lon, lat, radius_m, fetch, want=limit, first_m=max(first, 1.0),
                            growth=SQLITE_GROWTH)
    return [(n.id, n.distance_m) for n in search.neighbours]


def _first_radius(db: Session, lon: float, lat: float, want: int, filters: Filters) -> float:
    """A radius likely to hold ``want`` rows, from the density of the map cell around the
    point (``map_cell``, one primary-key read): one box query then usually suffices,
    where a fixed first radius would need several in sparse places and read far too many
    rows in dense ones."""
    cell = cell_at(lon, lat, DENSITY_LEVEL - 2)
    statuses = OPEN_SQL if filters.open_only else "(" + ", ".join(
        f"'{s.value}'" for s in Status) + ")"
    count = db.connection().execute(_statement(
        f"SELECT sum(n) FROM map_cell WHERE level = {DENSITY_LEVEL} AND y = :y AND x = :x "
        f"AND status IN {statuses}", False, False), {"x": cell.x, "y": cell.y}).scalar() or 0
    if count <= 0:
        return math.inf
    west, south, east, north = cell.bounds
    area_m2 = (haversine_m(west, south, east, south) * haversine_m(west, south, west, north))
    return math.sqrt(FIRST_RADIUS_MARGIN * want * area_m2 / (math.pi * count))


def nearby_sql_sqlite(lon: float, lat: float, filters: Filters, limit: int
                      ) -> tuple[str, dict]:
    """The statement for one box of the growing search: the ``limit`` nearest in the box."""
    sql, params = box_sql_sqlite((0.0, 0.0, 0.0, 0.0), filters)
    sql += f" ORDER BY {_SQLITE_HAVERSINE_ORDER}, r.id LIMIT {int(limit)}"
    params.update(lon=lon, lat=lat, cos_lat=math.cos(math.radians(lat)))
    return sql, params


# The haversine's h (distance grows with it): sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2).
_HALF_RADIANS = math.pi / 360.0
_SQLITE_HAVERSINE_ORDER = (
    f"(sin((r.lat - :lat) * {_HALF_RADIANS!r}) * sin((r.lat - :lat) * {_HALF_RADIANS!r}) "
    f"+ :cos_lat * cos(r.lat * {2 * _HALF_RADIANS!r}) "
    f"* sin((r.lon - :lon) * {_HALF_RADIANS!r}) * sin((r.lon - :lon) * {_HALF_RADIANS!r}))")


def box_sql_sqlite(box: BBox, filters: Filters, limit: int | None = None) -> tuple[str, dict]:
    """The SQLite statement for (id, lon, lat) of the requests in ``box``, and its
    parameters. The R*Tree keeps 32-bit floats rounded outward, so it finds every row and
    a few just outside; the table's exact coordinates decide."""
    tree = SQLITE_OPEN_TREE if filters.open_only else SQLITE_TREE
    # CROSS JOIN keeps the R*Tree as the outer loop: the index drives, the table is probed.
    sql = (f"SELECT r.id, r.lon, r.lat FROM {tree} AS k CROSS JOIN service_request AS r "
           "ON r.id = k.id WHERE k.max_lon >= :min_lon AND k.min_lon <= :max_lon "
           "AND k.max_lat >= :min_lat AND k.min_lat <= :max_lat "
           "AND r.lon BETWEEN :min_lon AND :max_lon AND r.lat BETWEEN :min_lat AND :max_lat")
    params: dict = dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), box, strict=True))
    sql, params = _filter_sql(sql, params, filters)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _sqlite_box(db: Session, box: BBox, filters: Filters,
                limit: int | None = None) -> list[tuple[int, float, float]]:
    sql, params = box_sql_sqlite(box, filters, limit)
    return db.execute(statement(sql, filters), params).all()


# -- PostgreSQL: PostGIS ----------------------------------------------------

def _pg_nearby(db: Session, lon: float, lat: float, radius_m: float, limit: int,
               filters: Filters) -> list[tuple[int, float]]:
    rows = db.connection().execute(PG_NEARBY, {
        "lon": lon, "lat": lat, "radius_m": radius_m, "limit": limit,
        "open_only": filters.open_only,
        "service_ids": list(filters.service_ids) if filters.service_ids is not None else None,
        "public_only": filters.public_only, "since": filters.since}).all()
    # The index orders by distance; ties (same point) come out by id, as on SQLite.
    return sorted(((i, d) for i, d in rows), key=lambda hit: (hit[1], hit[0]))


PG_NEARBY = text(
    "SELECT id, distance_m FROM nearby_request_ids(:lon, :lat, :radius_m, :limit, "
    ":open_only, COALESCE(CAST(:service_ids AS integer[]), CASE WHEN :public_only THEN "
    f"ARRAY({PUBLIC_SERVICE_IDS}) END), :since)"
).bindparams(bindparam("since", type_=UTCDateTime()))


def box_sql_postgresql(box: BBox, filters: Filters, limit: int) -> tuple[str, dict]:
    min_lon, min_lat, max_lon, max_lat = box
    sql = ("SELECT r.id FROM service_request AS r WHERE r.geog::geometry && "
           f"ST_MakeEnvelope({min_lon!r}, {min_lat!r}, {max_lon!r}, {max_lat!r}, 4326) "
           # The index's boxes are 32-bit floats rounded outward: the exact values decide.
           f"AND r.lon BETWEEN {min_lon!r} AND {max_lon!r} "
           f"AND r.lat BETWEEN {min_lat!r} AND {max_lat!r}")
    sql, params = _filter_sql(sql, {}, filters)
    return sql + f" LIMIT {int(limit)}", params


def _pg_box_ids(db: Session, box: BBox, filters: Filters, limit: int) -> list[int]:
    sql, params = box_sql_postgresql(box, filters, limit)
    return list(db.scalars(statement(sql, filters), params))


# -- shared -----------------------------------------------------------------

def _filter_sql(sql: str, params: dict, filters: Filters) -> tuple[str, dict]:
    if filters.open_only:
        sql += f" AND r.status IN {OPEN_SQL}"
    if filters.service_ids is not None:
        sql += " AND r.service_id IN :service_ids"
        params = {**params, "service_ids": list(filters.service_ids)}
    elif filters.public_only:
        sql += f" AND r.service_id IN ({PUBLIC_SERVICE_IDS})"
    if filters.since is not None:
        sql += " AND r.created_at >= :since"
        params = {**params, "since": filters.since}
    return sql, params


def statement(sql: str, filters: Filters):
    """The SQL text with its filter parameters typed (made once per distinct text)."""
    return _statement(sql, filters.service_ids is not None, filters.since is not None)


@lru_cache(maxsize=256)
def _statement(sql: str, by_service: bool, since: bool):
    clause = text(sql)
    if by_service:
        clause = clause.bindparams(bindparam("service_ids", expanding=True))
    if since:
        clause = clause.bindparams(bindparam("since", type_=UTCDateTime()))
    return clause


def _ids(service_ids: Collection[int] | None) -> tuple[int, ...] | None:
    if service_ids is None:
        return None
    return tuple(sorted({int(i) for i in service_ids}))


def _checked_limit(limit: int, most: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise InvalidInput("invalid_limit", f"limit must be a whole number from 1 to {most}.")
    return limit
