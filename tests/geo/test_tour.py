import itertools
import math
import random
import time

import pytest

from backend.errors import InvalidLocation
from backend.geo.distance import haversine_m
from backend.geo.tour import path_length_m, plan_tour

DEPOT = (-118.2427, 34.0537)


def random_stops(n, seed, spread=0.15):
    rnd = random.Random(seed)
    return [
        (DEPOT[0] + rnd.uniform(-spread, spread), DEPOT[1] + rnd.uniform(-spread, spread))
        for _ in range(n)
    ]


def length(start, stops, order, end=None):
    path = [start, *(stops[i] for i in order)] + ([end] if end else [])
    return sum(haversine_m(*a, *b) for a, b in itertools.pairwise(path))


def optimum(start, stops, end=None):
    nodes = [start, *stops, end or start]
    d = [[haversine_m(*a, *b) for b in nodes] for a in nodes]
    last = len(nodes) - 1
    best = math.inf
    for order in itertools.permutations(range(1, len(stops) + 1)):
        path = (0, *order, last) if end else (0, *order)
        best = min(best, sum(d[a][b] for a, b in itertools.pairwise(path)))
    return best


def nearest_neighbour_length(start, stops):
    here, left, total = start, list(stops), 0.0
    while left:
        nearest = min(left, key=lambda p: haversine_m(*here, *p))
        total += haversine_m(*here, *nearest)
        left.remove(nearest)
        here = nearest
    return total


def test_no_stops_and_one_stop():
    assert plan_tour(DEPOT, []).order == [] and plan_tour(DEPOT, []).total_m == 0
    assert plan_tour(DEPOT, [], end=(-118.25, 34.06)).total_m == pytest.approx(
        haversine_m(*DEPOT, -118.25, 34.06)
    )
    tour = plan_tour(DEPOT, [(-118.25, 34.06)])
    assert tour.order == [0]
    assert tour.total_m == pytest.approx(haversine_m(*DEPOT, -118.25, 34.06))


def test_stops_on_a_line_are_visited_in_order_of_distance():
    stops = [(DEPOT[0] + d / 1000, DEPOT[1]) for d in (5, 1, 4, 2, 3)]
    assert plan_tour(DEPOT, stops).order == [1, 3, 4, 2, 0]


def test_order_is_a_permutation_and_total_is_its_length():
    rnd = random.Random(1)
    for trial in range(30):
        stops = random_stops(rnd.randint(2, 60), seed=trial)
        end = DEPOT if trial % 2 else None
        tour = plan_tour(DEPOT, stops, end=end)
        assert sorted(tour.order) == list(range(len(stops)))
        assert tour.total_m == pytest.approx(length(DEPOT, stops, tour.order, end), rel=1e-9)
        if end is None:
            assert tour.total_m == pytest.approx(
                path_length_m(DEPOT, [stops[i] for i in tour.order]), rel=1e-9
            )
            assert tour.total_m <= nearest_neighbour_length(DEPOT, stops) + 1e-6


def test_close_to_the_brute_force_optimum_on_small_days():
    ratios = []
    for seed in range(60):
        stops = random_stops(7, seed=100 + seed)
        end = DEPOT if seed % 3 == 0 else None
        best = optimum(DEPOT, stops, end)
        tour = plan_tour(DEPOT, stops, end=end)
        assert tour.total_m >= best - 1e-6
        ratios.append(tour.total_m / best)
    assert sum(ratios) / len(ratios) < 1.02  # 2-opt is near-optimal on a handful of stops
    assert max(ratios) < 1.15


def test_no_two_opt_move_is_left_after_convergence():
    stops = random_stops(40, seed=7)
    tour = plan_tour(DEPOT, stops, max_passes=1000)
    path = [DEPOT, *(stops[i] for i in tour.order)]
    d = [[haversine_m(*a, *b) for b in path] for a in path]
    for i in range(1, len(path) - 1):
        for j in range(i + 1, len(path)):
            delta = d[i - 1][j] - d[i - 1][i]
            if j + 1 < len(path):
                delta += d[i][j + 1] - d[j][j + 1]
            assert delta >= -1e-6


def test_passes_are_bounded():
    stops = random_stops(150, seed=8)
    zero = plan_tour(DEPOT, stops, max_passes=0)
    assert zero.total_m == pytest.approx(nearest_neighbour_length(DEPOT, stops), rel=1e-9)
    assert plan_tour(DEPOT, stops).total_m < zero.total_m


def test_two_hundred_stops_plan_quickly():
    stops = random_stops(200, seed=9)
    started = time.perf_counter()
    tour = plan_tour(DEPOT, stops)
    elapsed = time.perf_counter() - started
    greedy = nearest_neighbour_length(DEPOT, stops)
    print(
        f"\n200-stop tour: {elapsed:.3f} s, {tour.total_m / 1000:.1f} km "
        f"(nearest neighbour alone {greedy / 1000:.1f} km)"
    )
    assert elapsed < 2.0
    assert tour.total_m < greedy


def test_refuses_bad_points():
    with pytest.raises(InvalidLocation):
        plan_tour(DEPOT, [(0, math.nan)])
    with pytest.raises(InvalidLocation):
        plan_tour((34.05, -118.24), [DEPOT])
