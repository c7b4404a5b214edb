"""A visiting order for a crew's day.

Owns ordering stops into a short open path from a start position: a nearest-neighbour
tour improved by 2-opt, with a bounded number of passes so ~200 stops plan in well under
a second. Distances are great-circle metres. Not an optimal solver: good enough to spare
a crew the obvious back-and-forth, fast enough to recompute on every change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backend.geo.distance import EARTH_RADIUS_M, validate_point

DEFAULT_MAX_PASSES = 25
_IMPROVEMENT_M = 1e-6  # ignore "improvements" that are only floating-point noise


@dataclass(frozen=True)
class Tour:
    """``order`` indexes the stops in visiting order; ``total_m`` is the path length from the
    start through every stop (and on to the end, if one was given)."""

    order: list[int]
    total_m: float


def plan_tour(
    start: tuple[float, float],
    stops: Sequence[tuple[float, float]],
    *,
    end: tuple[float, float] | None = None,
    max_passes: int = DEFAULT_MAX_PASSES,
) -> Tour:
    """Order ``stops`` (lon, lat) for a path beginning at ``start`` (lon, lat).

    The path is open unless ``end`` is given (e.g. back to the depot), in which case it
    finishes there. ``max_passes`` caps the 2-opt sweeps over the path.
    """
    nodes = [start, *stops] + ([end] if end is not None else [])
    coords = np.array([validate_point(lon, lat) for lon, lat in nodes], dtype=float)
    distances = _distance_matrix(coords)
    path = _nearest_neighbour_path(distances, len(stops), has_end=end is not None)
    _two_opt(path, distances, len(stops), max_passes)
    total = sum(distances[a][b] for a, b in zip(path, path[1:], strict=False))
    return Tour(order=[node - 1 for node in path[1 : len(stops) + 1]], total_m=total)


def path_length_m(start: tuple[float, float], stops: Sequence[tuple[float, float]]) -> float:
    """Length in metres of the path start -> stops[0] -> stops[1] -> ... as given."""
    coords = np.array([validate_point(lon, lat) for lon, lat in [start, *stops]], dtype=float)
    distances = _distance_matrix(coords)
    return float(sum(distances[i][i + 1] for i in range(len(coords) - 1)))


def _distance_matrix(coords: np.ndarray) -> list[list[float]]:
    """All pairwise haversine distances; nested lists because the 2-opt loop reads them
    element by element, which is several times faster on lists than on numpy arrays."""
    lon = np.radians(coords[:, 0])
    lat = np.radians(coords[:, 1])
    half_dlat = (lat[:, None] - lat[None, :]) / 2.0
    half_dlon = (lon[:, None] - lon[None, :]) / 2.0
    h = (
        np.sin(half_dlat) ** 2
        + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(half_dlon) ** 2
    )
    return (2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))).tolist()


def _nearest_neighbour_path(
    distances: list[list[float]], n_stops: int, *, has_end: bool
) -> list[int]:
    """Node 0 is the start, 1..n_stops the stops, n_stops + 1 the end if there is one."""
    path = [0]
    unvisited = set(range(1, n_stops + 1))
    while unvisited:
        row = distances[path[-1]]
        nearest = min(unvisited, key=lambda node: (row[node], node))
        path.append(nearest)
        unvisited.remove(nearest)
    if has_end:
        path.append(n_stops + 1)
    return path


def _two_opt(path: list[int], distances: list[list[float]], n_stops: int, max_passes: int) -> None:
    """Reverse path[i..j] wherever that shortens it, until no reversal helps or passes run out.

    The start (position 0) and the end, if any, never move; with no end, reversing the tail
    only changes the edge into it, as an open path has no edge out of its last stop.
    """
    last = len(path) - 1
    for _ in range(max_passes):
        improved = False
        for i in range(1, n_stops):
            a, b = path[i - 1], path[i]
            row_a, row_b = distances[a], distances[b]
            d_ab = row_a[b]
            for j in range(i + 1, n_stops + 1):
                c = path[j]
                delta = row_a[c] - d_ab
                if j < last:
                    d = path[j + 1]
                    delta += row_b[d] - distances[c][d]
                if delta < -_IMPROVEMENT_M:
                    path[i : j + 1] = path[i : j + 1][::-1]
                    b = path[i]
                    row_b, d_ab = distances[b], row_a[b]
                    improved = True
        if not improved:
            return
