"""Nearby search over a box index: the portable, database-free part.

Owns the strategy for "what is near this point" when the index can only answer "which rows
have a box overlapping this box", as SQLite's R*Tree can: the row each point puts in the
index, the boxes to ask for (radii that grow until enough rows are found), and the exact
haversine filter and ordering of what comes back. The database code supplies ``fetch``;
PostgreSQL does the same job natively (ST_DWithin and ``<->`` on a geography GiST index).

The SQLite side, for reference::

    CREATE VIRTUAL TABLE request_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
    -- one row per open request: rtree_row(id, lon, lat)
    SELECT r.id, r.lon, r.lat FROM request_rtree AS k JOIN request AS r ON r.id = k.id
     WHERE k.max_lon >= :min_lon AND k.min_lon <= :max_lon
       AND k.max_lat >= :min_lat AND k.min_lat <= :max_lat

The R*Tree stores 32-bit floats, rounding each box outward (about a metre at LA's
longitude), so box queries still find every true row, but ``fetch`` must return the exact
coordinates from the main table, never the R*Tree's rounded ones.

Correctness rule of the growing search: stop only when ``want`` rows lie within the
current *radius*, not merely inside the current box. A box's corners reach 41% further
than its radius, so rows counted there may be farther than rows not fetched yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from backend.errors import InvalidLocation
from backend.geo.distance import BBox, bbox_around, haversine_m, split_bbox, validate_point

Candidate = tuple[Hashable, float, float]  # (id, lon, lat), exact coordinates
Fetch = Callable[[BBox], Iterable[Candidate]]

DEFAULT_FIRST_RADIUS_M = 100.0
DEFAULT_GROWTH = 4.0  # each box has 16x the area of the last, so refetching costs ~7% extra


@dataclass(frozen=True, slots=True)
class Neighbour:
    id: Hashable
    lon: float
    lat: float
    distance_m: float


@dataclass(frozen=True, slots=True)
class NearbySearch:
    """The answer and what it cost: ``neighbours`` nearest first; ``radius_m`` the last radius
    searched; ``fetches`` box queries sent; ``candidates`` rows returned over all of them."""

    neighbours: list[Neighbour]
    radius_m: float
    fetches: int
    candidates: int


def rtree_row(id: Hashable, lon: float, lat: float) -> tuple[Hashable, float, float, float, float]:
    """A point's R*Tree row: (id, min_lon, max_lon, min_lat, max_lat), a zero-size box."""
    lon, lat = validate_point(lon, lat)
    return id, lon, lon, lat, lat


def expanding_radii(
    radius_m: float,
    *,
    first_m: float = DEFAULT_FIRST_RADIUS_M,
    growth: float = DEFAULT_GROWTH,
) -> list[float]:
    """Radii to try, smallest first: first_m, first_m*growth, ... and exactly radius_m last."""
    radius_m = _checked_radius(radius_m)
    if first_m <= 0 or growth <= 1:
        raise ValueError("first_m must be positive and growth greater than 1")
    radii = []
    r = first_m
    while r < radius_m:
        radii.append(r)
        r *= growth
    radii.append(radius_m)
    return radii


def rank_within(
    lon: float, lat: float, candidates: Iterable[Candidate], radius_m: float
) -> list[Neighbour]:
    """The candidates within ``radius_m`` of (lon, lat), nearest first (ties by id).

    Repeated ids (a row fetched by both halves of an antimeridian box) count once.
    """
    found: dict[Hashable, Neighbour] = {}
    for candidate_id, c_lon, c_lat in candidates:
        distance = haversine_m(lon, lat, c_lon, c_lat)
        if distance <= radius_m:
            found[candidate_id] = Neighbour(candidate_id, c_lon, c_lat, distance)
    return sorted(found.values(), key=lambda n: (n.distance_m, n.id))


def nearest_within(
    lon: float,
    lat: float,
    radius_m: float,
    fetch: Fetch,
    *,
    want: int | None = None,
    first_m: float = DEFAULT_FIRST_RADIUS_M,
    growth: float = DEFAULT_GROWTH,
) -> NearbySearch:
    """The ``want`` nearest rows within ``radius_m`` of (lon, lat), or all of them if
    ``want`` is None, nearest first.

    With ``want``, asks ``fetch`` for boxes around growing radii (``expanding_radii``) and
    stops at the first radius holding ``want`` rows; without, asks once for ``radius_m``.
    ``fetch(bbox)`` returns (id, lon, lat) for every indexed row whose point may lie in the
    box; it is never given a box crossing the antimeridian (such boxes are split in two).
    """
    lon, lat = validate_point(lon, lat)
    radius_m = _checked_radius(radius_m)
    if want is not None and want < 1:
        raise ValueError("want must be at least 1, or None for every row in the radius")
    radii = (
        expanding_radii(radius_m, first_m=first_m, growth=growth)
        if want is not None
        else [radius_m]
    )
    fetches = seen = 0
    for radius in radii:
        candidates: list[Candidate] = []
        for part in split_bbox(bbox_around(lon, lat, radius)):
            candidates.extend(fetch(part))
            fetches += 1
        seen += len(candidates)
        # Only rows within this radius are known to beat every row not fetched yet.
        within = rank_within(lon, lat, candidates, radius)
        if want is not None and len(within) >= want:
            return NearbySearch(within[:want], radius, fetches, seen)
    return NearbySearch(within[:want], radius, fetches, seen)


def _checked_radius(radius_m: float) -> float:
    if isinstance(radius_m, bool) or not isinstance(radius_m, int | float):
        raise InvalidLocation(
            "invalid_radius", f"Radius must be a number of metres, got {radius_m!r:.40}."
        )
    if not math.isfinite(radius_m) or radius_m < 0:
        raise InvalidLocation(
            "invalid_radius",
            f"Radius must be a finite, non-negative number of metres, got {radius_m}.",
        )
    return float(radius_m)
