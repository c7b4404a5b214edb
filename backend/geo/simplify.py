"""Lighter copies of zone polygons for maps and demos.

Owns simplification with a tolerance in metres that keeps neighbouring zones' shared edges
shared (coverage simplification), so a simplified map shows no slivers or overlaps that
the original did not have. Lookups should keep using the full geometry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from backend.geo.distance import LocalProjection


def simplify_zones(geometries: Sequence[BaseGeometry], tolerance_m: float) -> list[BaseGeometry]:
    """Simplified copies of lon/lat polygons, in the same order.

    ``tolerance_m`` is roughly the size of detail removed, in metres (measured in a local
    projection centred on the zones, so it is metres-ish across a city). Edges shared
    exactly by two zones stay shared; edges that only nearly match in the source (overlaps,
    gaps) are simplified independently.
    """
    if tolerance_m < 0:
        raise ValueError("tolerance_m must be zero or more metres")
    if not geometries:
        return []
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(np.array(geometries, dtype=object))
    projection = LocalProjection((min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0)
    in_metres = np.array([projection.geometry_to_metres(g) for g in geometries], dtype=object)
    simplified = shapely.coverage_simplify(in_metres, tolerance_m)
    return [projection.geometry_to_lonlat(g) for g in simplified.tolist()]
