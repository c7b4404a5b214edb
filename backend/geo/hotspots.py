"""Repeat problems: places where points recur, found by density clustering (pure, numpy).

``find_hotspots(lon, lat, radius_m, min_count)`` is DBSCAN with eps = ``radius_m`` (great-circle
metres) and minPts = ``min_count`` (a point counts itself):

- a *core* point has at least ``min_count`` points within ``radius_m``;
- core points within ``radius_m`` of each other are in the same hotspot (transitively);
- a non-core point within ``radius_m`` of a core point joins the hotspot of its nearest core
  point (ties: the lowest index); every other point belongs to no hotspot.

Candidate pairs come from a grid of cells at least ``radius_m`` wide (a point's neighbours lie
in its own or the eight cells around it), enumerated set-wise with sorted cell keys and
``searchsorted``; exact haversine distances then decide. Hotspots are connected components of
the core-core pairs, found by label hooking with pointer jumping. No Python loop runs per point.
"""

from __future__ import annotations

import numpy as np

from backend.geo.distance import EARTH_RADIUS_M, METRES_PER_DEGREE_LAT

# Forward neighbour cells: with the cell itself (pairs i < j), each unordered pair once.
_FORWARD = ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1))
_PAIRS_PER_CHUNK = 8_000_000  # bounds the memory of one step (~200 MB of temporaries)


def find_hotspots(lon: np.ndarray, lat: np.ndarray, radius_m: float, min_count: int
                  ) -> np.ndarray:
    """A hotspot number per point (0, 1, … by first member), or -1 for no hotspot."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    n = len(lon)
    if radius_m <= 0 or min_count < 1:
        raise ValueError("radius_m must be positive and min_count at least 1")
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels
    i, j, d = neighbour_pairs(lon, lat, radius_m)
    counts = 1 + np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    core = counts >= min_count
    if not core.any():
        return labels
    both = core[i] & core[j]
    roots = _components(n, i[both], j[both])
    labels[core] = roots[core]
    _attach_border_points(labels, core, i, j, d)
    return _renumber(labels)


def neighbour_pairs(lon: np.ndarray, lat: np.ndarray, radius_m: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unordered pair (i < j or i > j, once) within ``radius_m``, with its distance."""
    n = len(lon)
    lat0 = float(np.mean(lat))
    # Cells are squares in an equirectangular projection around the mean latitude; widen
    # them by the worst east-west scale error over the points so no neighbour is missed.
    cos0, cos_extreme = np.cos(np.radians(lat0)), np.cos(np.radians(np.abs(lat).max()))
    cell = radius_m * max(1.0, cos0 / max(cos_extreme, 1e-6)) * 1.001
    x = (lon - lon.min()) * METRES_PER_DEGREE_LAT * cos0
    y = (lat - lat.min()) * METRES_PER_DEGREE_LAT
    cx, cy = (x // cell).astype(np.int64) + 1, (y // cell).astype(np.int64) + 1
    width = int(cy.max()) + 2
    key = cx * width + cy
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    found_i, found_j, found_d = [], [], []
    for dx, dy in _FORWARD:
        target = sorted_key + dx * width + dy
        lo = np.searchsorted(sorted_key, target, side="left")
        hi = np.searchsorted(sorted_key, target, side="right")
        if (dx, dy) == (0, 0):
            lo = np.arange(n) + 1  # same cell: only the points after this one
        for start, stop in _chunks(hi - lo):
            a, b = _expand(lo[start:stop], hi[start:stop], start)
            if not len(a):
                continue
            pa, pb = order[a], order[b]
            dist = haversine_many(lon[pa], lat[pa], lon[pb], lat[pb])
            near = dist <= radius_m
            found_i.append(pa[near])
            found_j.append(pb[near])
            found_d.append(dist[near])
    if not found_i:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)


def haversine_many(lon1, lat1, lon2, lat2) -> np.ndarray:
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((phi2 - phi1) / 2) ** 2
         + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def _chunks(sizes: np.ndarray):
    """Runs of consecutive points whose candidate pairs fit in one chunk."""
    sizes = np.maximum(sizes, 0)
    total = np.cumsum(sizes)
    start = 0
    while start < len(sizes):
        base = total[start - 1] if start else 0
        stop = int(np.searchsorted(total, base + _PAIRS_PER_CHUNK, side="right"))
        stop = max(stop, start + 1)
        yield start, min(stop, len(sizes))
        start = stop


def _expand(lo: np.ndarray, hi: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows first+k, every (row, t) with lo[k] <= t < hi[k]: sorted positions."""
    sizes = np.maximum(hi - lo, 0)
    total = int(sizes.sum())
    rows = np.repeat(np.arange(first, first + len(lo)), sizes)
    starts = np.repeat(lo - (np.cumsum(sizes) - sizes), sizes)
    return rows, starts + np.arange(total)


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Each node's smallest connected node index, over edges (u, v)."""
    parent = np.arange(n)
    while len(u):
        ru, rv = parent[u], parent[v]
        low, high = np.minimum(ru, rv), np.maximum(ru, rv)
        apart = low != high
        if not apart.any():
            break
        np.minimum.at(parent, high[apart], low[apart])
        while True:  # pointer jumping until every node points at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        u, v = u[apart], v[apart]
    return parent


def _attach_border_points(labels: np.ndarray, core: np.ndarray, i: np.ndarray, j: np.ndarray,
                          d: np.ndarray) -> None:
    one_core = core[i] != core[j]
    border = np.where(core[i[one_core]], j[one_core], i[one_core])
    near_core = np.where(core[i[one_core]], i[one_core], j[one_core])
    if not len(border):
        return
    pick = np.lexsort((near_core, d[one_core], border))  # by border, distance, core index
    border, near_core = border[pick], near_core[pick]
    first = np.concatenate(([True], border[1:] != border[:-1]))
    labels[border[first]] = labels[near_core[first]]


def _renumber(labels: np.ndarray) -> np.ndarray:
    members = labels >= 0
    if not members.any():
        return labels
    _values, first_seen, inverse = np.unique(labels[members], return_index=True,
                                             return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    out = np.full(len(labels), -1, dtype=np.int64)
    out[members] = rank[inverse]
    return out
