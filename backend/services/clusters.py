"""Map clusters of requests for a box, a zoom level and filters, as GeoJSON.

Owns aggregating requests into the cells of the global grid (``backend.geo.grid``: the
slippy tiles of level zoom + 2), in the database, and the SQL that computes a point's cell.

Two paths, the same answer:

- coarse zooms (cell levels up to ``FINEST_MAP_CELL_LEVEL``): sums over ``map_cell``, the
  per-cell counts that triggers keep (levels below the first stored one are sums of its
  cells: a cell's parent is ``x >> 1, y >> 1``). A city-wide view reads a few thousand rows
  whatever the number of requests.
- fine zooms: the requests in the box, found by the spatial index, grouped by cell.

Cells holding one matching request come back as that request (tracking number, service,
status, priority, exact position); others as a cluster (count, mean position, counts by
status and by priority). Points are counted over the box grown to whole cells
(``snap_bbox``), so the clusters at the view's edges are whole and panning never changes
a cell's cluster.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from backend.db import is_sqlite
from backend.errors import NotFound
from backend.geo.distance import BBox, split_bbox, validate_bbox
from backend.geo.grid import (
    MAX_CELLS,
    MAX_MERCATOR_LAT,
    GridCell,
    cell_at,
    cell_level,
    cells_covering,
    snap_bbox,
)
from backend.models import OPEN_STATUSES, Priority, Service, Status, Zone
from backend.models.map_cell import FINEST_MAP_CELL_LEVEL, MAP_CELL_LEVELS

STATUS_VALUES = tuple(s.value for s in Status)
PRIORITY_VALUES = tuple(p.value for p in Priority)
COORDINATE_DECIMALS = 6  # ~0.1 m: finer says nothing on a map and costs bytes


@dataclass(frozen=True)
class MapFilters:
    statuses: tuple[str, ...] | None = None
    service_ids: tuple[int, ...] | None = None
    priorities: tuple[str, ...] | None = None
    zone_id: int | None = None  # only requests in this zone (never from the stored cells)


def status_words(words: Collection[str]) -> tuple[str, ...]:
    """Statuses named by their value, or "open"/"closed" for every open/closed one."""
    found: set[str] = set()
    for word in words:
        if word == "open":
            found |= {s.value for s in OPEN_STATUSES}
        elif word == "closed":
            found |= {s.value for s in Status if s not in OPEN_STATUSES}
        else:
            found.add(Status(word).value)
    return tuple(sorted(found))


def map_clusters(db: Session, bbox: BBox, zoom: int, filters: MapFilters = MapFilters()
                 ) -> dict:
    """A GeoJSON FeatureCollection of clusters and single requests covering ``bbox``."""
    bbox = validate_bbox(bbox)
    level = cell_level(zoom)
    _check_cell_count(bbox, zoom)
    features: list[dict] = []
    zone_box = _zone_bounds(db, filters.zone_id) if filters.zone_id is not None else None
    for part in split_bbox(bbox):
        if zone_box is not None:
            # map_cell keeps no zones: count the zone's own requests, in the part of the
            # view its bounds cover.
            part = _overlap(part, zone_box)
            rows = _live_cells(db, snap_bbox(part, zoom), level, filters) if part else []
        elif level <= FINEST_MAP_CELL_LEVEL:
            rows = _stored_cells(db, part, level, filters)
        else:
            rows = _live_cells(db, snap_bbox(part, zoom), level, filters)
        features += _features(db, rows, level, filters)
    features.sort(key=lambda f: (f["properties"]["cell"][1], f["properties"]["cell"][0]))
    return {"type": "FeatureCollection", "bbox": [round(v, 7) for v in snap_bbox(bbox, zoom)],
            "zoom": zoom, "total": sum(f["properties"]["count"] for f in features),
            "features": features}


def _zone_bounds(db: Session, zone_id: int) -> BBox:
    found = db.execute(select(Zone.min_lon, Zone.min_lat, Zone.max_lon, Zone.max_lat)
                       .where(Zone.id == zone_id)).first()
    if found is None:
        raise NotFound("unknown_zone", f"No zone has id {zone_id}.")
    return tuple(found)


def _overlap(a: BBox, b: BBox) -> BBox | None:
    """The intersection of two boxes that do not cross the antimeridian, or None."""
    w, s, e, n = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (w, s, e, n) if w <= e and s <= n else None


def _check_cell_count(bbox: BBox, zoom: int) -> None:
    """Refuse a view wider than its zoom shows, as ``grid.cells_covering`` would
    (InvalidLocation "bbox_too_large"), without listing the cells."""
    total = 0
    for part in split_bbox(bbox):
        north_west, south_east = cell_at(part[0], part[3], zoom), cell_at(part[2], part[1], zoom)
        total += (south_east.x - north_west.x + 1) * (south_east.y - north_west.y + 1)
    if total > MAX_CELLS:
        cells_covering(bbox, zoom)  # raises, with the grid's own message


# -- where a point's cell is, in SQL -----------------------------------------

def cell_sql(level: int, lon: str = "r.lon", lat: str = "r.lat", *, sqlite: bool
             ) -> tuple[str, str]:
    """SQL expressions for the cell x and y of (lon, lat) at a grid level: the same
    arithmetic as ``backend.geo.grid``, so a point lands in the same cell."""
    n = 1 << level
    if sqlite:
        def whole(v: str) -> str:
            return f"min(max(CAST({v} AS INTEGER), 0), {n - 1})"
        clamped = f"min(max({lat}, -{MAX_MERCATOR_LAT!r}), {MAX_MERCATOR_LAT!r})"
    else:
        def whole(v: str) -> str:
            return f"LEAST(GREATEST(floor({v}), 0), {n - 1})::int"
        clamped = f"LEAST(GREATEST({lat}, -{MAX_MERCATOR_LAT!r}), {MAX_MERCATOR_LAT!r})"
    x = whole(f"({lon} + 180.0) / 360.0 * {n}")
    y = whole(f"(1.0 - asinh(tan(radians({clamped}))) / pi()) / 2.0 * {n}")
    return x, y


def add_to_map_cells_sql(source_where: str, *, sqlite: bool) -> str:
    """An upsert adding the requests matching ``source_where`` (SQL on ``r``) to
    ``map_cell``, grouped: for bulk loads that bypass the per-row triggers."""
    x, y = cell_sql(FINEST_MAP_CELL_LEVEL, sqlite=sqlite)
    levels = ", ".join(f"({lv})" for lv in MAP_CELL_LEVELS)
    shift = f"({FINEST_MAP_CELL_LEVEL} - lv.level)"
    upsert = "n = n + excluded.n, sum_lon = sum_lon + excluded.sum_lon, " \
             "sum_lat = sum_lat + excluded.sum_lat" if sqlite else \
             "n = map_cell.n + excluded.n, sum_lon = map_cell.sum_lon + excluded.sum_lon, " \
             "sum_lat = map_cell.sum_lat + excluded.sum_lat"
    return f"""
    INSERT INTO map_cell (level, y, x, service_id, status, priority, n, sum_lon, sum_lat)
    SELECT lv.level, c.y >> {shift}, c.x >> {shift}, c.service_id, c.status, c.priority,
           count(*), sum(c.lon), sum(c.lat)
      FROM (SELECT r.service_id, r.status, r.priority, r.lon, r.lat, {x} AS x, {y} AS y
              FROM service_request AS r
             WHERE r.lat IS NOT NULL AND r.lon IS NOT NULL AND ({source_where})) AS c
     CROSS JOIN (SELECT column1 AS level FROM (VALUES {levels}) AS v) AS lv
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (level, y, x, service_id, status, priority) DO UPDATE SET {upsert}"""


# -- coarse zooms: the stored cells ------------------------------------------

def _breakdown_sql(column: str, values: tuple[str, ...], weight: str) -> str:
    return ", ".join(f"sum(CASE WHEN {column} = '{v}' THEN {weight} ELSE 0 END)"
                     for v in values)


def _stored_cells(db: Session, box: BBox, level: int, filters: MapFilters) -> list[tuple]:
    """Per-cell sums over the cells covering ``box`` (one without an antimeridian crossing)."""
    stored = max(level, MAP_CELL_LEVELS[0])
    shift = stored - level
    north_west, south_east = cell_at(box[0], box[3], level - 2), cell_at(box[2], box[1], level - 2)
    x0, x1 = north_west.x << shift, ((south_east.x + 1) << shift) - 1
    y0, y1 = north_west.y << shift, ((south_east.y + 1) << shift) - 1
    sql = (f"SELECT m.x >> {shift}, m.y >> {shift}, sum(m.n), sum(m.sum_lon), sum(m.sum_lat), "
           f"{_breakdown_sql('m.status', STATUS_VALUES, 'm.n')}, "
           f"{_breakdown_sql('m.priority', PRIORITY_VALUES, 'm.n')}, "
           "min(m.service_id), NULL, NULL "
           f"FROM map_cell AS m WHERE m.level = {stored} AND m.y IN :ys "
           f"AND m.x BETWEEN {x0} AND {x1} AND m.n > 0")
    sql, params = _filter_sql(sql, filters, "m")
    sql += " GROUP BY 1, 2"
    params["ys"] = list(range(y0, y1 + 1))
    return db.execute(_statement(sql, filters, "ys"), params).all()


# -- fine zooms: the requests themselves -------------------------------------

def _index_join(db: Session, box: BBox) -> tuple[str, dict]:
    """FROM clause over ``r`` (service_request) restricted by the spatial index to the box,
    with the exact bounds applied."""
    w, s, e, n = (f":{name}" for name in "wsen")
    params = dict(zip("wsen", box, strict=True))
    exact = f"r.lon BETWEEN {w} AND {e} AND r.lat BETWEEN {s} AND {n}"
    if is_sqlite(db):
        return ("FROM request_rtree AS k CROSS JOIN service_request AS r ON r.id = k.id "
                f"WHERE k.max_lon >= {w} AND k.min_lon <= {e} AND k.max_lat >= {s} "
                f"AND k.min_lat <= {n} AND {exact}"), params
    return ("FROM service_request AS r WHERE r.geog::geometry && "
            f"ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326) AND {exact}"), params


def _live_cells(db: Session, box: BBox, level: int, filters: MapFilters) -> list[tuple]:
    x, y = cell_sql(level, sqlite=is_sqlite(db))
    source, params = _index_join(db, box)
    sql = (f"SELECT {x} AS cx, {y} AS cy, count(*), sum(r.lon), sum(r.lat), "
           f"{_breakdown_sql('r.status', STATUS_VALUES, '1')}, "
           f"{_breakdown_sql('r.priority', PRIORITY_VALUES, '1')}, "
           f"min(r.service_id), min(r.tracking), min(r.id) {source}")
    sql, more = _filter_sql(sql, filters, "r")
    sql += " GROUP BY 1, 2"
    return db.execute(_statement(sql, filters), {**params, **more}).all()


def _single_requests(db: Session, cells: list[GridCell], filters: MapFilters
                     ) -> dict[GridCell, tuple[str, float, float]]:
    """The one matching request of each of these cells (tracking number, exact position):
    one statement, one index probe per cell, the cell's own formula deciding."""
    if not cells:
        return {}
    sqlite = is_sqlite(db)
    x, y = cell_sql(cells[0].level, sqlite=sqlite)
    pad = 1e-9  # the box only has to hold the cell; the cell formula decides
    boxes = [(k, c.x, c.y, *(v + d for v, d in zip(c.bounds, (-pad, -pad, pad, pad),
                                                    strict=True)))
             for k, c in enumerate(cells)]
    if sqlite:
        cell = "json_extract(c.value, '$[{}]')".format
        sql = ("SELECT " + cell(0) + ", r.tracking, r.lon, r.lat FROM json_each(:cells) AS c "
               "CROSS JOIN request_rtree AS k CROSS JOIN service_request AS r ON r.id = k.id "
               f"WHERE k.max_lon >= {cell(3)} AND k.min_lon <= {cell(5)} "
               f"AND k.max_lat >= {cell(4)} AND k.min_lat <= {cell(6)} "
               f"AND {x} = {cell(1)} AND {y} = {cell(2)}")
        params: dict = {"cells": json.dumps(boxes)}
    else:
        sql = ("SELECT c.k, r.tracking, r.lon, r.lat FROM unnest(CAST(:ks AS int[]), "
               "CAST(:xs AS int[]), CAST(:ys AS int[]), CAST(:w AS float8[]), "
               "CAST(:s AS float8[]), CAST(:e AS float8[]), CAST(:n AS float8[])) "
               "AS c(k, cx, cy, w, s, e, n) CROSS JOIN LATERAL (SELECT r.* "
               "FROM service_request AS r WHERE r.geog::geometry && "
               f"ST_MakeEnvelope(c.w, c.s, c.e, c.n, 4326) AND {x} = c.cx AND {y} = c.cy")
        columns = list(zip(*boxes, strict=True))
        params = dict(zip(("ks", "xs", "ys", "w", "s", "e", "n"), map(list, columns),
                          strict=True))
    sql, more = _filter_sql(sql, filters, "r")
    if not sqlite:
        sql += ") AS r"
    found: dict[GridCell, tuple[str, float, float]] = {}
    for k, tracking, lon, lat in db.execute(_statement(sql, filters), {**params, **more}):
        found.setdefault(cells[k], (tracking, lon, lat))
    return found


# -- shared -----------------------------------------------------------------

def _features(db: Session, rows: list[tuple], level: int, filters: MapFilters) -> list[dict]:
    n_status = len(STATUS_VALUES)
    codes = _service_codes(db)
    singles = [GridCell(level, row[0], row[1]) for row in rows if row[2] == 1 and row[-2] is None]
    looked_up = _single_requests(db, singles, filters) if singles else {}
    features = []
    for row in rows:
        cx, cy, count, sum_lon, sum_lat = row[:5]
        if not count:
            continue
        statuses = dict(zip(STATUS_VALUES, row[5:5 + n_status], strict=True))
        priorities = dict(zip(PRIORITY_VALUES, row[5 + n_status:-3], strict=True))
        cell = GridCell(level, cx, cy)
        if count == 1:
            tracking, lon, lat = (row[-2], sum_lon, sum_lat) if row[-2] is not None \
                else looked_up.get(cell, (None, sum_lon, sum_lat))
            features.append(_feature(lon, lat, {
                "cell": [cx, cy], "count": 1, "cluster": False, "tracking": tracking,
                "service_code": codes.get(row[-3]),
                "status": next(s for s, c in statuses.items() if c),
                "priority": next(p for p, c in priorities.items() if c)}))
        else:
            features.append(_feature(sum_lon / count, sum_lat / count, {
                "cell": [cx, cy], "count": int(count), "cluster": True,
                "status": {s: int(c) for s, c in statuses.items() if c},
                "priority": {p: int(c) for p, c in priorities.items() if c}}))
    return features


def _feature(lon: float, lat: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [
        round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)]},
        "properties": properties}


def _service_codes(db: Session) -> dict[int, str]:
    return {i: code for i, code in db.execute(select(Service.id, Service.code))}


def _filter_sql(sql: str, filters: MapFilters, alias: str) -> tuple[str, dict]:
    params: dict = {}
    for column, values in _filter_values(filters):
        sql += f" AND {alias}.{column} IN :{column}"
        params[column] = list(values)
    if filters.zone_id is not None:  # only ever on requests (r), never on map_cell
        sql += (f" AND {alias}.id IN (SELECT z.request_id FROM request_zone AS z "
                "WHERE z.zone_id = :zone_id)")
        params["zone_id"] = filters.zone_id
    return sql, params


def _filter_values(filters: MapFilters) -> list[tuple[str, tuple]]:
    return [(column, values) for column, values in (
        ("status", filters.statuses), ("service_id", filters.service_ids),
        ("priority", filters.priorities)) if values is not None]


def _statement(sql: str, filters: MapFilters, *extra: str):
    names = [*extra, *(column for column, _ in _filter_values(filters))]
    return text(sql).bindparams(*(bindparam(n, expanding=True) for n in names))
