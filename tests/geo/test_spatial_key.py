import csv
import heapq
import math
import random
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from backend.errors import InvalidLocation
from backend.geo.distance import EARTH_RADIUS_M, haversine_m
from backend.geo.spatial_key import (
    Neighbour,
    expanding_radii,
    nearest_within,
    rank_within,
    rtree_row,
)

REQUESTS_FILE = Path("/work/shared/data/la311/requests_2020_10k.csv")
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


class BoxFetch:
    """A stand-in index: every row whose point lies in the box, counting the calls."""

    def __init__(self, rows):
        self.rows = rows
        self.lon = np.array([row[1] for row in rows], dtype=float)
        self.lat = np.array([row[2] for row in rows], dtype=float)
        self.boxes = []

    def __call__(self, bbox):
        min_lon, min_lat, max_lon, max_lat = bbox
        assert min_lon <= max_lon, "fetch must never get an antimeridian-crossing box"
        self.boxes.append(bbox)
        inside = (
            (self.lon >= min_lon) & (self.lon <= max_lon)
            & (self.lat >= min_lat) & (self.lat <= max_lat)
        )  # fmt: skip
        return [self.rows[i] for i in np.nonzero(inside)[0].tolist()]


class BruteForce:
    """The reference answer: every row's exact distance (numpy only skips rows plainly out
    of reach, with a margin)."""

    def __init__(self, rows):
        self.rows = rows
        coords = np.array([row[1:] for row in rows], dtype=float).reshape(-1, 2)
        self.lam, self.phi = np.radians(coords[:, 0]), np.radians(coords[:, 1])

    def __call__(self, lon, lat, radius_m, want):
        lam0, phi0 = math.radians(lon), math.radians(lat)
        h = (
            np.sin((self.phi - phi0) / 2) ** 2
            + np.cos(self.phi) * math.cos(phi0) * np.sin((self.lam - lam0) / 2) ** 2
        )
        rough = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1, np.sqrt(h)))
        maybe = np.nonzero(rough <= radius_m * 1.001 + 1)[0].tolist()
        ranked = sorted((haversine_m(lon, lat, *self.rows[i][1:]), self.rows[i][0]) for i in maybe)
        within = [(d, r_id) for d, r_id in ranked if d <= radius_m]
        return within[:want] if want is not None else within


def brute_force(rows, lon, lat, radius_m, want):
    return BruteForce(rows)(lon, lat, radius_m, want)


def as_pairs(search):
    return [(n.distance_m, n.id) for n in search.neighbours]


def scattered_rows(n, seed, centre=(-118.3, 34.05), spread=0.2):
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        # a dense core and a sparse fringe, like a city
        s = spread * (0.05 if rnd.random() < 0.5 else 1.0)
        rows.append((i, centre[0] + rnd.uniform(-s, s), centre[1] + rnd.uniform(-s, s)))
    return rows


# --- the pieces -------------------------------------------------------------------------


def test_expanding_radii_grow_by_four_and_end_exactly_at_the_radius():
    assert expanding_radii(1000) == [100, 400, 1000]
    assert expanding_radii(1600) == [100, 400, 1600]
    assert expanding_radii(1601) == [100, 400, 1600, 1601]
    assert expanding_radii(50) == [50]
    assert expanding_radii(0) == [0]
    assert expanding_radii(1000, first_m=10, growth=10) == [10, 100, 1000]


@pytest.mark.parametrize("radius", [-1, math.nan, math.inf, "100", None, True])
def test_expanding_radii_refuses_a_bad_radius(radius):
    with pytest.raises(InvalidLocation) as caught:
        expanding_radii(radius)
    assert caught.value.code == "invalid_radius"


def test_expanding_radii_refuses_bad_tuning():
    with pytest.raises(ValueError):
        expanding_radii(100, first_m=0)
    with pytest.raises(ValueError):
        expanding_radii(100, growth=1)


def test_rank_within_filters_sorts_and_deduplicates():
    lon, lat = 0.0, 0.0
    step = 1 / METRES_PER_DEGREE  # one metre of latitude
    candidates = [
        ("far", 0.0, 30 * step),
        ("b", 0.0, 10 * step),
        ("a", 0.0, -10 * step),  # tie with b: broken by id
        ("near", 0.0, 5 * step),
        ("b", 0.0, 10 * step),  # fetched twice
    ]
    ranked = rank_within(lon, lat, candidates, 20)
    assert [n.id for n in ranked] == ["near", "a", "b"]
    assert ranked[0] == Neighbour("near", 0.0, 5 * step, pytest.approx(5.0))
    edge = rank_within(lon, lat, [("edge", 0.0, 20 * step)], haversine_m(0, 0, 0, 20 * step))
    assert [n.id for n in edge] == ["edge"]  # the radius itself counts


def test_rtree_row_is_a_zero_size_box_in_rtree_column_order():
    assert rtree_row(7, -118.25, 34.05) == (7, -118.25, -118.25, 34.05, 34.05)
    with pytest.raises(InvalidLocation):
        rtree_row(7, 34.05, -118.25)


# --- nearest_within against brute force -------------------------------------------------


def test_nearest_within_matches_brute_force_on_random_points():
    rows = scattered_rows(3000, seed=1)
    fetch, reference = BoxFetch(rows), BruteForce(rows)
    rnd = random.Random(2)
    for _ in range(300):
        lon, lat = -118.3 + rnd.uniform(-0.25, 0.25), 34.05 + rnd.uniform(-0.25, 0.25)
        radius = rnd.choice([25, 150, 1000, 5000, 50_000])
        want = rnd.choice([None, 1, 3, 10, 50])
        search = nearest_within(lon, lat, radius, fetch, want=want)
        assert as_pairs(search) == reference(lon, lat, radius, want)
        assert search.radius_m <= radius
        assert all(n.distance_m <= search.radius_m for n in search.neighbours)


def test_stops_only_when_enough_rows_lie_within_the_radius_not_the_box():
    r = 100.0
    deg = r / METRES_PER_DEGREE
    rows = [
        ("corner", 0.95 * deg, 0.95 * deg),  # in the first box, but 134 m away
        ("axis", 1.1 * deg, 0.0),  # outside the first box, only 110 m away
    ]
    search = nearest_within(0.0, 0.0, 1000, BoxFetch(rows), want=1, first_m=r)
    assert [n.id for n in search.neighbours] == ["axis"]
    assert search.radius_m == 400 and search.fetches == 2


def test_want_none_asks_once_and_returns_everything_in_the_radius():
    rows = scattered_rows(500, seed=3)
    fetch = BoxFetch(rows)
    search = nearest_within(-118.3, 34.05, 2000, fetch, want=None)
    assert search.fetches == 1 and search.radius_m == 2000
    assert as_pairs(search) == brute_force(rows, -118.3, 34.05, 2000, None)


def test_fewer_than_wanted_returns_all_within_the_radius():
    rows = [(1, 0.0, 0.0), (2, 0.001, 0.0), (3, 1.0, 0.0)]
    search = nearest_within(0.0, 0.0, 500, BoxFetch(rows), want=5)
    assert [n.id for n in search.neighbours] == [1, 2]
    assert search.radius_m == 500 and search.fetches == 3  # 100, 400, 500
    assert search.candidates == 1 + 2 + 2  # the 111 m row is outside the 100 m box
    empty = nearest_within(0.0, 0.0, 500, BoxFetch([]), want=5)
    assert empty.neighbours == [] and empty.radius_m == 500


def test_across_the_antimeridian_and_near_a_pole():
    rnd = random.Random(4)
    line = [
        (i, rnd.choice([-1, 1]) * rnd.uniform(179.99, 180), rnd.uniform(-0.01, 0.01))
        for i in range(400)
    ]
    pole = [(i, rnd.uniform(-180, 180), rnd.uniform(89.99, 90)) for i in range(400)]
    for rows, centre in [(line, (179.9995, 0.0)), (line, (-180.0, 0.001)), (pole, (10.0, 89.995))]:
        fetch = BoxFetch(rows)
        for want in (None, 1, 5, 40):
            search = nearest_within(*centre, 2000, fetch, want=want, first_m=50)
            assert as_pairs(search) == brute_force(rows, *centre, 2000, want)
    assert nearest_within(179.9995, 0.0, 2000, BoxFetch(line)).fetches == 2  # box split in two


def test_refuses_bad_input():
    fetch = BoxFetch([])
    with pytest.raises(InvalidLocation):
        nearest_within(math.nan, 0, 100, fetch)
    with pytest.raises(InvalidLocation) as caught:
        nearest_within(0, 0, -5, fetch)
    assert caught.value.code == "invalid_radius"
    with pytest.raises(ValueError):
        nearest_within(0, 0, 100, fetch, want=0)


# --- with SQLite's real R*Tree ----------------------------------------------------------


@pytest.fixture(scope="module")
def la_requests():
    if not REQUESTS_FILE.exists():
        pytest.skip("LA 311 data not present")
    with open(REQUESTS_FILE, newline="", encoding="utf-8") as file:
        rows = [r for r in csv.DictReader(file) if r["latitude"] and r["longitude"]]
    return [(i, float(r["longitude"]), float(r["latitude"])) for i, r in enumerate(rows)]


@pytest.fixture(scope="module")
def rtree_db(la_requests):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE request (id INTEGER PRIMARY KEY, lon REAL, lat REAL)")
    db.execute(
        "CREATE VIRTUAL TABLE request_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)"
    )
    db.executemany("INSERT INTO request VALUES (?, ?, ?)", la_requests)
    db.executemany(
        "INSERT INTO request_rtree VALUES (?, ?, ?, ?, ?)", [rtree_row(*row) for row in la_requests]
    )
    yield db
    db.close()


def rtree_fetch(db):
    sql = """
        SELECT r.id, r.lon, r.lat FROM request_rtree AS k JOIN request AS r ON r.id = k.id
         WHERE k.max_lon >= ? AND k.min_lon <= ? AND k.max_lat >= ? AND k.min_lat <= ?
    """

    def fetch(bbox):
        min_lon, min_lat, max_lon, max_lat = bbox
        return db.execute(sql, (min_lon, max_lon, min_lat, max_lat)).fetchall()

    return fetch


def test_matches_brute_force_through_sqlite_rtree(la_requests, rtree_db):
    fetch, reference = rtree_fetch(rtree_db), BruteForce(la_requests)
    rnd = random.Random(5)
    centres = [row[1:] for row in rnd.sample(la_requests, 100)]
    centres += [(rnd.uniform(-118.6, -118.2), rnd.uniform(33.8, 34.3)) for _ in range(100)]
    for lon, lat in centres:
        radius = rnd.choice([10, 50, 500, 3000])
        want = rnd.choice([None, 1, 5, 20])
        search = nearest_within(lon, lat, radius, fetch, want=want)
        assert as_pairs(search) == reference(lon, lat, radius, want)


def full_scan(rows, lon, lat, radius_m, want):
    """What a database without a spatial index does: measure every row."""
    distances = ((haversine_m(lon, lat, r_lon, r_lat), r_id) for r_id, r_lon, r_lat in rows)
    return heapq.nsmallest(want, (pair for pair in distances if pair[0] <= radius_m))


def test_rtree_search_beats_a_full_scan(la_requests, rtree_db):
    fetch = rtree_fetch(rtree_db)
    rnd = random.Random(6)
    centres = [row[1:] for row in rnd.sample(la_requests, 1000)]
    started = time.perf_counter()
    fetches = 0
    for lon, lat in centres:
        search = nearest_within(lon, lat, 5000, fetch, want=10)
        fetches += search.fetches
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    for lon, lat in centres[:40]:
        full_scan(la_requests, lon, lat, 5000, 10)
    scanned = (time.perf_counter() - started) * 25
    print(
        f"\n1,000 ten-nearest searches over 9,989 LA requests: R*Tree {indexed:.3f} s "
        f"({fetches / 1000:.1f} box queries each), full scan in Python ~{scanned:.2f} s"
    )
    assert indexed < scanned
