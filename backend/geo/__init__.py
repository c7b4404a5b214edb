"""Geography, pure: no Flask, no database.

Points are ``(lon, lat)`` in EPSG:4326 at every function boundary; anything in metres has
been projected first. Modules, one concern each:

- ``distance``: point and box validation, haversine metres, boxes around a circle,
  a local projection to metres
- ``zones``: reading zone polygons from GeoJSON; which zones cover a point
- ``simplify``: lighter, still-adjacent copies of zone polygons for maps
- ``grid``: global web-mercator cells and map clusters
- ``tour``: a short visiting order for a crew's stops
- ``spatial_key``: nearby search over a box index (SQLite R*Tree)
"""

from importlib import import_module

# Each name loads with its module on first use (PEP 562), so a request that only
# validates a point never pulls numpy and shapely into the cold start.
_HOME = {
    # backend.geo.distance
    "BBox": "backend.geo.distance", "EARTH_RADIUS_M": "backend.geo.distance",
    "LocalProjection": "backend.geo.distance", "bbox_around": "backend.geo.distance",
    "bbox_contains": "backend.geo.distance", "haversine_m": "backend.geo.distance",
    "split_bbox": "backend.geo.distance", "validate_bbox": "backend.geo.distance",
    "validate_point": "backend.geo.distance",
    # backend.geo.grid
    "Cluster": "backend.geo.grid", "GridCell": "backend.geo.grid",
    "SinglePoint": "backend.geo.grid", "cell_at": "backend.geo.grid",
    "cells_covering": "backend.geo.grid", "cluster_points": "backend.geo.grid",
    "snap_bbox": "backend.geo.grid",
    # backend.geo.simplify
    "simplify_zones": "backend.geo.simplify",
    # backend.geo.spatial_key
    "NearbySearch": "backend.geo.spatial_key", "Neighbour": "backend.geo.spatial_key",
    "expanding_radii": "backend.geo.spatial_key", "nearest_within": "backend.geo.spatial_key",
    "rank_within": "backend.geo.spatial_key", "rtree_row": "backend.geo.spatial_key",
    # backend.geo.tour
    "Tour": "backend.geo.tour", "path_length_m": "backend.geo.tour",
    "plan_tour": "backend.geo.tour",
    # backend.geo.zones
    "ZoneIndex": "backend.geo.zones", "ZoneRecord": "backend.geo.zones",
    "load_zones": "backend.geo.zones", "parse_zones": "backend.geo.zones",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value  # loaded once, then a plain attribute
    return value
