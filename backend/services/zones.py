"""Zones: importing polygons, finding the zones a point falls in, and listing them with
outlines light enough for a map.

Each process keeps a shapely index of all zones in memory, rebuilt when the
zone table changes, so locating a report costs microseconds, not a query per
polygon. Shapely loads with the first index, not with the app: most requests never need it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from backend.errors import NotFound
from backend.models import Zone

if TYPE_CHECKING:
    from backend.geo.zones import ZoneIndex, ZoneRecord

_cache: dict[str, tuple[tuple, ZoneIndex, dict[int, str]]] = {}
_TRANSACTION_MEMO = "frontdoor.zone_index"


def import_zones(db: Session, features: Iterable[ZoneRecord], *, kind: str,
                 progress: Callable[[int], None] = lambda n: None) -> int:
    """Add or replace zones of one kind, matched by their source code."""
    from shapely.geometry import mapping

    existing = {z.code: z for z in db.scalars(select(Zone).where(Zone.kind == kind))}
    count = 0
    for feature in features:
        zone = existing.get(feature.code) or Zone(kind=kind, code=feature.code)
        min_lon, min_lat, max_lon, max_lat = feature.geometry.bounds
        zone.name = feature.name
        zone.geometry = json.dumps(mapping(feature.geometry))
        zone.min_lon, zone.min_lat, zone.max_lon, zone.max_lat = min_lon, min_lat, max_lon, max_lat
        zone.properties = feature.properties
        db.add(zone)
        count += 1
        progress(1)
    db.flush()
    _cache.clear()
    db.info.pop(_TRANSACTION_MEMO, None)
    return count


def zone_index(db: Session) -> tuple[ZoneIndex, dict[int, str]]:
    """The in-memory index of every zone, and each zone's kind. The zone table is checked
    once per transaction (a submission asks twice: in the city? in which zones?)."""
    memo = db.info.get(_TRANSACTION_MEMO)
    if memo is not None and memo[0] is db.get_transaction():
        return memo[1]
    found = _checked_index(db)
    db.info[_TRANSACTION_MEMO] = (db.get_transaction(), found)
    return found


_SIGNATURE = select(func.count(Zone.__table__.c.id), func.max(Zone.__table__.c.id))


def _checked_index(db: Session) -> tuple[ZoneIndex, dict[int, str]]:
    key = str(db.get_bind().url)
    # Core, on the session's connection: the ORM's per-statement work costs more than the
    # query, which runs for every submission.
    signature = tuple(db.connection().execute(_SIGNATURE).one())
    cached = _cache.get(key)
    if cached is None or cached[0] != signature:
        from shapely.geometry import shape

        from backend.geo.zones import ZoneIndex

        rows = db.execute(select(Zone.id, Zone.kind, Zone.geometry)).all()
        index = ZoneIndex((row.id, row.kind, shape(json.loads(row.geometry))) for row in rows)
        cached = _cache[key] = (signature, index, {row.id: row.kind for row in rows})
    return cached[1], cached[2]


def zones_at(db: Session, lon: float, lat: float) -> list[int]:
    index, _kinds = zone_index(db)
    return index.zones_at(lon, lat)


def in_service_area(db: Session, lon: float, lat: float, boundary_kind: str) -> bool:
    """True when no boundary is configured (no zones of that kind), or the point is inside."""
    index, _kinds = zone_index(db)
    return boundary_kind not in index.kinds or index.contains(lon, lat, boundary_kind)


# Outlines for a map are simplified to about 5 m and rounded to 6 decimals (~0.1 m): a
# neighbourhood drawn on a screen loses nothing, and weighs a fraction of its source.
OUTLINE_TOLERANCE_DEGREES = 0.00005
OUTLINE_DECIMALS = 6


def list_zones(db: Session, kind: str | None = None) -> list[Zone]:
    """Zones by kind and name (without their geometry, which is only read for one zone)."""
    statement = select(Zone).options(defer(Zone.geometry)).order_by(Zone.kind, Zone.name)
    if kind:
        statement = statement.where(Zone.kind == kind)
    return list(db.scalars(statement))


def get_zone(db: Session, zone_id: int) -> Zone:
    zone = db.get(Zone, zone_id)
    if zone is None:
        raise NotFound("unknown_zone", f"No zone has id {zone_id}.")
    return zone


def outline(zone: Zone) -> dict:
    """The zone's GeoJSON geometry, simplified for drawing."""
    from shapely.geometry import mapping, shape

    simple = shape(json.loads(zone.geometry)).simplify(OUTLINE_TOLERANCE_DEGREES,
                                                       preserve_topology=True)
    return _rounded(mapping(simple))


def _rounded(value):
    if isinstance(value, float):
        return round(value, OUTLINE_DECIMALS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value
