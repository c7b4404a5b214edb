"""Map clusters on a global web-mercator grid.

Owns which grid cell a point falls in at a map zoom level, the cells (ids and bounds)
covering a bounding box, and aggregating points into per-cell clusters.

The cells are the slippy-map tiles of level ``zoom + CELL_LEVELS`` (4 x 4 cells of 64 px
per 256 px tile), so every client at a zoom level shares one global grid and a cluster
never jumps when the map pans; only zooming changes it. To keep clusters stable at the
edges of the view, fetch points for ``snap_bbox(bbox, zoom)``, not for the raw view.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backend.errors import InvalidLocation
from backend.geo.distance import BBox, split_bbox, validate_bbox

CELL_LEVELS = 2  # 2**2 = 4 cells across a 256 px tile: one marker per 64 px square
MAX_ZOOM = 22
MAX_MERCATOR_LAT = 85.05112877980659  # web mercator's square world stops here
MAX_CELLS = 4096


@dataclass(frozen=True, slots=True, order=True)
class GridCell:
    """A cell of the global grid: the slippy tile ``level/x/y``."""

    level: int
    x: int
    y: int

    @property
    def id(self) -> str:
        return f"{self.level}/{self.x}/{self.y}"

    @property
    def bounds(self) -> BBox:
        """(min_lon, min_lat, max_lon, max_lat) of the cell."""
        n = 1 << self.level
        return (
            self.x / n * 360.0 - 180.0,
            _tile_lat(self.y + 1, n),
            (self.x + 1) / n * 360.0 - 180.0,
            _tile_lat(self.y, n),
        )


@dataclass(frozen=True, slots=True)
class Cluster:
    """Several points in one cell: how many, their mean position, and counts by property."""

    cell: GridCell
    count: int
    lon: float
    lat: float
    breakdown: dict[str, dict[Any, int]]


@dataclass(frozen=True, slots=True)
class SinglePoint:
    """The only point in its cell, shown as itself; ``properties`` is the point minus lon/lat."""

    cell: GridCell
    lon: float
    lat: float
    properties: dict[str, Any]


def cell_level(zoom: int) -> int:
    """The grid level whose tiles are the cluster cells at a map zoom level."""
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= MAX_ZOOM:
        raise InvalidLocation(
            "invalid_zoom", f"Zoom must be a whole number from 0 to {MAX_ZOOM}, got {zoom!r:.20}."
        )
    return zoom + CELL_LEVELS


def cell_at(lon: float, lat: float, zoom: int) -> GridCell:
    """The cell holding (lon, lat) at a map zoom level (beyond +-85.05 deg: the edge row)."""
    level = cell_level(zoom)
    return GridCell(level, *_cell_xy(lon, lat, 1 << level))


def cells_covering(bbox: BBox, zoom: int, *, max_cells: int = MAX_CELLS) -> list[GridCell]:
    """Every cell overlapping the box, west to east then north to south.

    Refuses (InvalidLocation "bbox_too_large") a box needing more than ``max_cells`` cells:
    the client asked for a view far wider than its zoom level shows.
    """
    ranges = _cell_ranges(validate_bbox(bbox), cell_level(zoom))
    total = sum((x1 - x0 + 1) * (y1 - y0 + 1) for _, x0, x1, y0, y1 in ranges)
    if total > max_cells:
        raise InvalidLocation(
            "bbox_too_large",
            f"The box covers {total} cells at zoom {zoom}; at most {max_cells} are allowed. "
            "Zoom out or ask for a smaller box.",
        )
    return [
        GridCell(level, x, y)
        for level, x0, x1, y0, y1 in ranges
        for y in range(y0, y1 + 1)
        for x in range(x0, x1 + 1)
    ]


def snap_bbox(bbox: BBox, zoom: int) -> BBox:
    """The box grown outward to whole cells, so each edge cell's cluster counts all its points.

    Keeps an antimeridian crossing (min_lon > max_lon) as it is.
    """
    min_lon, min_lat, max_lon, max_lat = validate_bbox(bbox)
    level = cell_level(zoom)
    n = 1 << level
    south_west = GridCell(level, *_cell_xy(min_lon, min_lat, n))
    north_east = GridCell(level, *_cell_xy(max_lon, max_lat, n))
    west, east = south_west.bounds[0], north_east.bounds[2]
    # The edge rows also hold every point beyond mercator's +-85.05 deg, so reach the poles.
    south = -90.0 if south_west.y == n - 1 else south_west.bounds[1]
    north = 90.0 if north_east.y == 0 else north_east.bounds[3]
    return west, south, east, north


def cluster_points(
    points: Iterable[Mapping[str, Any]], zoom: int, *, breakdown_by: Sequence[str] = ()
) -> list[Cluster | SinglePoint]:
    """Group points (mappings with "lon", "lat" and any other properties) by cell.

    A cell with several points gives a ``Cluster`` (count, mean position, and for each
    property in ``breakdown_by`` a count per value); a cell with one point gives a
    ``SinglePoint``. Results run north to south, then west to east. Points are trusted
    (already stored), so they are not validated here.
    """
    level = cell_level(zoom)
    n = 1 << level
    buckets: dict[tuple[int, int], _Bucket] = {}
    for point in points:
        lon, lat = point["lon"], point["lat"]
        xy = _cell_xy(lon, lat, n)
        bucket = buckets.get(xy)
        if bucket is None:
            bucket = buckets[xy] = _Bucket(point, breakdown_by)
        bucket.add(lon, lat, point)
    return [
        buckets[(x, y)].result(GridCell(level, x, y)) for y, x in sorted((y, x) for x, y in buckets)
    ]


class _Bucket:
    """Running totals for one cell; members are not kept, only the first (for singles)."""

    __slots__ = ("first", "count", "sum_lon", "sum_lat", "counters")

    def __init__(self, first: Mapping[str, Any], breakdown_by: Sequence[str]) -> None:
        self.first = first
        self.count = 0
        self.sum_lon = 0.0
        self.sum_lat = 0.0
        self.counters = {name: Counter() for name in breakdown_by}

    def add(self, lon: float, lat: float, point: Mapping[str, Any]) -> None:
        self.count += 1
        self.sum_lon += lon
        self.sum_lat += lat
        for name, counter in self.counters.items():
            counter[point.get(name)] += 1

    def result(self, cell: GridCell) -> Cluster | SinglePoint:
        if self.count == 1:
            properties = {k: v for k, v in self.first.items() if k not in ("lon", "lat")}
            return SinglePoint(cell, self.first["lon"], self.first["lat"], properties)
        breakdown = {name: dict(counter) for name, counter in self.counters.items()}
        return Cluster(
            cell, self.count, self.sum_lon / self.count, self.sum_lat / self.count, breakdown
        )


def _cell_xy(lon: float, lat: float, n: int) -> tuple[int, int]:
    lat = max(-MAX_MERCATOR_LAT, min(MAX_MERCATOR_LAT, lat))
    phi = math.radians(lat)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(phi)) / math.pi) / 2.0 * n)
    # lon = 180 and lat = -85.05 land one past the last cell; fold them back in.
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _tile_lat(y: int, n: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / n))))


def _cell_ranges(bbox: BBox, level: int) -> list[tuple[int, int, int, int, int]]:
    """(level, x0, x1, y0, y1) index ranges for each antimeridian-free part of the box."""
    n = 1 << level
    ranges = []
    for min_lon, min_lat, max_lon, max_lat in split_bbox(bbox):
        x0, y0 = _cell_xy(min_lon, max_lat, n)  # north-west corner: smallest x and y
        x1, y1 = _cell_xy(max_lon, min_lat, n)
        ranges.append((level, x0, x1, y0, y1))
    return ranges
