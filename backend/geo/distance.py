"""Where points are and how far apart they are, on the WGS84 sphere.

Owns: validating a (lon, lat) pair or a bounding box (InvalidLocation), great-circle
distance in metres, the bounding box around a circle (aware of the poles and the
antimeridian), and a local equirectangular projection to metres for small-area maths.

Bounding boxes are ``(min_lon, min_lat, max_lon, max_lat)``. As in GeoJSON (RFC 7946
section 5.2), a box with ``min_lon > max_lon`` crosses the antimeridian; ``split_bbox``
turns it into the one or two plain boxes a spatial index can answer.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from backend.errors import InvalidLocation

if TYPE_CHECKING:  # numpy and shapely load on first use: most requests never need them
    import numpy as np
    from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0

BBox = tuple[float, float, float, float]

# Widens computed boxes by ~0.1 mm so rounding never drops a point lying exactly on the circle.
_BOX_PAD_DEG = 1e-9


def validate_point(lon: object, lat: object) -> tuple[float, float]:
    """Return (lon, lat) as floats, or raise InvalidLocation naming what is wrong."""
    lon_f = _coordinate(lon, "lon", "Longitude", 180.0)
    swapped = -90.0 <= lon_f <= 90.0 and _looks_like_longitude(lat)
    hint = " Were longitude and latitude swapped? Points are (lon, lat)." if swapped else ""
    return lon_f, _coordinate(lat, "lat", "Latitude", 90.0, hint)


def validate_bbox(bbox: object) -> BBox:
    """Return a (min_lon, min_lat, max_lon, max_lat) box as floats, or raise InvalidLocation.

    ``min_lon > max_lon`` is allowed and means the box crosses the antimeridian.
    """
    if not isinstance(bbox, list | tuple) or len(bbox) != 4:
        raise InvalidLocation(
            "invalid_bbox",
            "A bounding box must be four numbers: min_lon, min_lat, max_lon, max_lat.",
        )
    min_lon, min_lat = validate_point(bbox[0], bbox[1])
    max_lon, max_lat = validate_point(bbox[2], bbox[3])
    if min_lat > max_lat:
        raise InvalidLocation(
            "invalid_bbox",
            f"The bounding box's min_lat {min_lat} is north of its max_lat {max_lat}.",
        )
    return min_lon, min_lat, max_lon, max_lat


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = math.radians(lon2 - lon1) / 2.0
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    # min() guards asin against h creeping past 1 by rounding for antipodal points.
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bbox_around(lon: float, lat: float, radius_m: float) -> BBox:
    """The smallest lon/lat box holding every point within ``radius_m`` of (lon, lat).

    Near a pole the circle's box spans all longitudes; across the antimeridian the box
    comes back with ``min_lon > max_lon`` (see ``split_bbox``).
    """
    angular = radius_m / EARTH_RADIUS_M
    phi = math.radians(lat)
    south, north = phi - angular, phi + angular
    if north >= math.pi / 2 or south <= -math.pi / 2:
        # The circle reaches a pole, and every meridian runs through a pole.
        return (
            -180.0,
            max(-90.0, math.degrees(south) - _BOX_PAD_DEG),
            180.0,
            min(90.0, math.degrees(north) + _BOX_PAD_DEG),
        )
    # Widest longitude reached by a spherical cap (the tangent meridians), not radius/cos(lat),
    # which under-covers at high latitudes.
    half_width = math.degrees(math.asin(math.sin(angular) / math.cos(phi))) + _BOX_PAD_DEG
    return (
        _wrap_lon(lon - half_width),
        math.degrees(south) - _BOX_PAD_DEG,
        _wrap_lon(lon + half_width),
        math.degrees(north) + _BOX_PAD_DEG,
    )


def split_bbox(bbox: BBox) -> list[BBox]:
    """One box, or two when it crosses the antimeridian; each has min_lon <= max_lon."""
    min_lon, min_lat, max_lon, max_lat = bbox
    if min_lon <= max_lon:
        return [bbox]
    return [(min_lon, min_lat, 180.0, max_lat), (-180.0, min_lat, max_lon, max_lat)]


def bbox_contains(bbox: BBox, lon: float, lat: float) -> bool:
    """True if (lon, lat) lies in the box, edges included, antimeridian crossing honoured."""
    return any(
        min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
        for min_lon, min_lat, max_lon, max_lat in split_bbox(bbox)
    )


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection to metres around an origin: x east, y north.

    Good for small areas (a neighbourhood, a crew's day). North-south distances are
    exact; east-west ones are exact on the origin's latitude and off by about
    tan(lat) x dlat (in radians) elsewhere: ~0.1% 10 km north or south of an origin at
    Los Angeles' latitude. Not for polar regions, where east-west distances collapse.
    """

    origin_lon: float
    origin_lat: float
    _metres_per_degree_lon: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        origin_lon, origin_lat = validate_point(self.origin_lon, self.origin_lat)
        object.__setattr__(self, "origin_lon", origin_lon)
        object.__setattr__(self, "origin_lat", origin_lat)
        scale = METRES_PER_DEGREE_LAT * math.cos(math.radians(origin_lat))
        object.__setattr__(self, "_metres_per_degree_lon", scale)

    def to_metres(self, lon: float, lat: float) -> tuple[float, float]:
        """(x, y) in metres from the origin."""
        dlon = _wrap_lon(lon - self.origin_lon)  # the short way round the antimeridian
        return dlon * self._metres_per_degree_lon, (lat - self.origin_lat) * METRES_PER_DEGREE_LAT

    def to_lonlat(self, x: float, y: float) -> tuple[float, float]:
        """Back from metres to (lon, lat)."""
        lon = _wrap_lon(self.origin_lon + x / self._metres_per_degree_lon)
        return lon, self.origin_lat + y / METRES_PER_DEGREE_LAT

    def geometry_to_metres(self, geometry: BaseGeometry) -> BaseGeometry:
        """A copy of a lon/lat shapely geometry in this projection's metres."""
        import shapely

        return shapely.transform(geometry, self._array_to_metres)

    def geometry_to_lonlat(self, geometry: BaseGeometry) -> BaseGeometry:
        """A copy of a metre-based shapely geometry back in lon/lat."""
        import shapely

        return shapely.transform(geometry, self._array_to_lonlat)

    def _array_to_metres(self, coords: np.ndarray) -> np.ndarray:
        import numpy as np

        dlon = (coords[:, 0] - self.origin_lon + 180.0) % 360.0 - 180.0
        dlat = coords[:, 1] - self.origin_lat
        return np.column_stack((dlon * self._metres_per_degree_lon, dlat * METRES_PER_DEGREE_LAT))

    def _array_to_lonlat(self, coords: np.ndarray) -> np.ndarray:
        import numpy as np

        lon = self.origin_lon + coords[:, 0] / self._metres_per_degree_lon
        lon = (lon + 180.0) % 360.0 - 180.0
        return np.column_stack((lon, self.origin_lat + coords[:, 1] / METRES_PER_DEGREE_LAT))


def _coordinate(value: object, field_name: str, label: str, limit: float, hint: str = "") -> float:
    # Plain floats, by far the common case, skip the slower abstract-type checks.
    number = value if type(value) is float else _as_float(value, field_name, label)
    if -limit <= number <= limit:  # NaN fails this too
        return number
    if not math.isfinite(number):
        raise InvalidLocation(
            "invalid_location", f"{label} must be a finite number, got {value}.", field=field_name
        )
    raise InvalidLocation(
        "invalid_location",
        f"{label} {number} is out of range: it must be between {-limit:g} and {limit:g}." + hint,
        field=field_name,
    )


def _as_float(value: object, field_name: str, label: str) -> float:
    # bool is an int to Python but never a coordinate; Decimal comes from NUMERIC columns.
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise InvalidLocation(
            "invalid_location",
            f"{label} must be a number, got {type(value).__name__} {value!r:.40}.",
            field=field_name,
        )
    try:
        return float(value)
    except (OverflowError, ValueError):  # a huge int, a signalling Decimal NaN
        return math.nan


def _looks_like_longitude(value: object) -> bool:
    try:
        return -180.0 <= float(value) <= 180.0  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _wrap_lon(lon: float) -> float:
    """Longitude folded into [-180, 180], keeping +180 as it is."""
    if -180.0 <= lon <= 180.0:
        return lon
    return (lon + 180.0) % 360.0 - 180.0
