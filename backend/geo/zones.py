"""Zones: named polygons of a kind (city outline, neighbourhood, district, service area).

Owns reading GeoJSON FeatureCollections into plain ``ZoneRecord``s (refusing or repairing
bad geometry with a message that names the feature), and ``ZoneIndex``, which answers
"which zones is this point in" for routing, validation and analytics.

A point on the shared edge of two zones is in both: routing would rather see two
candidates than none.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from backend.errors import InvalidGeometry
from backend.geo.distance import validate_point

log = logging.getLogger(__name__)

_POLYGON_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class ZoneRecord:
    """One zone as read from a file: ``code`` is its identity within its kind."""

    code: str
    name: str
    geometry: Polygon | MultiPolygon
    properties: dict[str, Any] = field(default_factory=dict)
    repaired: bool = False  # the file's geometry was invalid and make_valid fixed it


def load_zones(
    path: str | os.PathLike[str], *, code_property: str, name_property: str | None = None
) -> list[ZoneRecord]:
    """Read a GeoJSON FeatureCollection file (EPSG:4326) into zone records."""
    try:
        with open(path, encoding="utf-8") as file:
            collection = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidGeometry("invalid_geojson", f"{path} is not GeoJSON: {error}.") from None
    return parse_zones(collection, code_property=code_property, name_property=name_property)


def parse_zones(
    collection: object, *, code_property: str, name_property: str | None = None
) -> list[ZoneRecord]:
    """Turn a parsed GeoJSON FeatureCollection into zone records.

    ``code_property`` names the property holding each zone's code (e.g. ``nc_id``);
    ``name_property`` the display name (defaults to the code). Codes must be unique.
    """
    features = _features(collection)
    records: list[ZoneRecord] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        record = _record(index, feature, code_property, name_property or code_property)
        if record.code in seen:
            raise InvalidGeometry(
                "duplicate_zone_code",
                f"Features #{seen[record.code]} and #{index} both have {code_property} "
                f"{record.code!r}; each zone needs its own code.",
                feature=index,
                zone=record.code,
            )
        seen[record.code] = index
        records.append(record)
    return records


class ZoneIndex:
    """Which zones cover a point, over any number of kinds.

    Built from ``(zone_id, kind, geometry)`` triples; each kind gets an STRtree over
    prepared geometries, so a lookup is a box search plus a prepared point-in-polygon test.
    Results are grouped by kind (kinds in order of first appearance), then in the order the
    zones were given. A kind the index has never seen simply has no zones (check ``kinds``
    if that would be a configuration mistake).
    """

    def __init__(self, zones: Iterable[tuple[Hashable, str, BaseGeometry]]) -> None:
        grouped: dict[str, tuple[list[Hashable], list[BaseGeometry]]] = {}
        for zone_id, kind, geometry in zones:
            if shapely.get_type_id(geometry) not in (3, 6):  # Polygon, MultiPolygon
                raise InvalidGeometry(
                    "not_a_polygon",
                    f"Zone {zone_id!r} ({kind}) is a {geometry.geom_type}; zones must be polygons.",
                    zone=str(zone_id),
                )
            ids, geometries = grouped.setdefault(kind, ([], []))
            ids.append(zone_id)
            geometries.append(geometry)
        self._by_kind = {kind: _KindIndex(ids, geoms) for kind, (ids, geoms) in grouped.items()}

    @classmethod
    def from_records(cls, records: Iterable[ZoneRecord], kind: str) -> ZoneIndex:
        """An index of one kind, keyed by each record's code."""
        return cls((record.code, kind, record.geometry) for record in records)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._by_kind)

    def __len__(self) -> int:
        return sum(len(index.ids) for index in self._by_kind.values())

    def zones_at(self, lon: float, lat: float, kind: str | None = None) -> list[Hashable]:
        """Ids of the zones covering (lon, lat), of one kind or of every kind."""
        lon, lat = validate_point(lon, lat)
        point = shapely.Point(lon, lat)
        found: list[Hashable] = []
        for index in self._indexes(kind):
            found.extend(index.ids_at(point))
        return found

    def zones_at_many(
        self, points: Sequence[tuple[float, float]], kind: str | None = None
    ) -> list[list[Hashable]]:
        """``zones_at`` for many (lon, lat) points in one vectorised pass (imports, bulk data)."""
        coords = np.array([validate_point(lon, lat) for lon, lat in points], dtype=float)
        found: list[list[Hashable]] = [[] for _ in range(len(coords))]
        if not len(coords):
            return found
        for index in self._indexes(kind):
            index.assign_many(coords, found)
        return found

    def contains(self, lon: float, lat: float, kind: str) -> bool:
        """True if any zone of ``kind`` covers the point: the city outline is the union of its
        districts, tested without building the union."""
        lon, lat = validate_point(lon, lat)
        index = self._by_kind.get(kind)
        return index is not None and index.covers(shapely.Point(lon, lat))

    def _indexes(self, kind: str | None) -> list[_KindIndex]:
        if kind is None:
            return list(self._by_kind.values())
        index = self._by_kind.get(kind)
        return [index] if index is not None else []


class _KindIndex:
    """The zones of one kind: their ids, prepared geometries and STRtree."""

    def __init__(self, ids: list[Hashable], geometries: list[BaseGeometry]) -> None:
        self.ids = ids
        self.geometries = np.array(geometries, dtype=object)
        shapely.prepare(self.geometries)  # point-in-polygon tests become sublinear
        self.geometry_list = self.geometries.tolist()
        self.tree = shapely.STRtree(self.geometries)

    def ids_at(self, point: shapely.Point) -> list[Hashable]:
        return [self.ids[i] for i in self._hits(point)]

    def covers(self, point: shapely.Point) -> bool:
        return bool(self._hits(point))

    def _hits(self, point: shapely.Point) -> list[int]:
        # Box hits from the tree, then the exact test. The geometry method (not
        # shapely.intersects_xy) takes shapely's scalar fast path: ~0.5 us instead of ~8 us.
        candidates = sorted(self.tree.query(point).tolist())
        return [i for i in candidates if self.geometry_list[i].intersects(point)]

    def assign_many(self, coords: np.ndarray, found: list[list[Hashable]]) -> None:
        point_idx, zone_idx = self.tree.query(shapely.points(coords))
        inside = shapely.intersects_xy(
            self.geometries[zone_idx], coords[point_idx, 0], coords[point_idx, 1]
        )
        order = np.lexsort((zone_idx, point_idx))  # each point's zones in the order given
        hits = order[inside[order]]
        for point, zone in zip(point_idx[hits].tolist(), zone_idx[hits].tolist(), strict=True):
            found[point].append(self.ids[zone])


def _features(collection: object) -> list[Mapping[str, Any]]:
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        raise InvalidGeometry("invalid_geojson", "Zones must be a GeoJSON FeatureCollection.")
    features = collection.get("features")
    if not isinstance(features, list):
        raise InvalidGeometry("invalid_geojson", "The FeatureCollection has no features list.")
    return features


def _record(index: int, feature: object, code_property: str, name_property: str) -> ZoneRecord:
    properties = feature.get("properties") if isinstance(feature, Mapping) else None
    properties = dict(properties) if isinstance(properties, Mapping) else {}
    code = properties.get(code_property)
    if code is None or str(code).strip() == "":
        raise InvalidGeometry(
            "missing_zone_code",
            f"Feature #{index} has no {code_property!r} property to identify its zone.",
            feature=index,
        )
    code = str(code).strip()
    name = str(properties.get(name_property) or code).strip()
    label = f"Feature #{index} ({code_property} {code!r}, {name!r})"
    geometry_json = feature.get("geometry") if isinstance(feature, Mapping) else None
    geometry, repaired = _polygonal(geometry_json, label, index, code)
    return ZoneRecord(code, name, geometry, properties, repaired)


def _polygonal(
    geometry_json: object, label: str, index: int, code: str
) -> tuple[Polygon | MultiPolygon, bool]:
    """The feature's geometry as a valid 2-D (Multi)Polygon, and whether it needed repair."""

    def refuse(error_code: str, problem: str) -> InvalidGeometry:
        return InvalidGeometry(error_code, f"{label} {problem}", feature=index, zone=code)

    if not isinstance(geometry_json, Mapping):
        raise refuse("invalid_geometry", "has no geometry.")
    geometry_type = geometry_json.get("type")
    if geometry_type not in _POLYGON_TYPES:
        raise refuse(
            "not_a_polygon", f"is a {geometry_type}; zones must be Polygon or MultiPolygon."
        )
    try:
        # NaN coordinates make numpy warn; they are refused just below with a clear message.
        with np.errstate(invalid="ignore"):
            geometry = shapely.force_2d(shape(geometry_json))
    except (ValueError, TypeError, KeyError, IndexError, shapely.errors.GEOSException) as error:
        raise refuse("invalid_geometry", f"has unreadable coordinates ({error}).") from None
    if geometry.is_empty:
        raise refuse("invalid_geometry", "has an empty geometry.")
    _check_lon_lat(geometry, refuse)
    if geometry.is_valid:
        return geometry, False
    reason = shapely.is_valid_reason(geometry)
    repaired = _polygonal_part(shapely.make_valid(geometry))
    if repaired is None:
        raise refuse(
            "invalid_geometry", f"is invalid ({reason}) and cannot be repaired into a polygon."
        )
    log.warning("zone geometry repaired", extra={"zone": code, "reason": reason})
    return repaired, True


def _check_lon_lat(geometry: BaseGeometry, refuse: Callable[[str, str], InvalidGeometry]) -> None:
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        raise refuse("invalid_geometry", "has coordinates that are not finite numbers.")
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(geometry)
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        raise refuse(
            "invalid_geometry",
            "has coordinates outside longitude/latitude range; zone files must be "
            "EPSG:4326 (WGS84 lon, lat), not a projected system.",
        )


def _polygonal_part(geometry: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygons make_valid kept (it may also return stray lines or points), or None."""
    parts = [
        part
        for part in shapely.get_parts(shapely.get_parts(geometry)).tolist()
        if isinstance(part, Polygon) and not part.is_empty and part.area > 0
    ]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, Polygon | MultiPolygon) and not merged.is_empty else None
