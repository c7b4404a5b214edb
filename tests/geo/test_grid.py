import math
import random
import time
from collections import Counter, defaultdict

import pytest

from backend.errors import InvalidLocation
from backend.geo.distance import bbox_contains
from backend.geo.grid import (
    CELL_LEVELS,
    MAX_MERCATOR_LAT,
    Cluster,
    GridCell,
    SinglePoint,
    cell_at,
    cells_covering,
    cluster_points,
    snap_bbox,
)

LA_VIEW = (-118.40, 33.95, -118.15, 34.15)


def random_la_points(n, seed, **extra):
    rnd = random.Random(seed)
    points = []
    for i in range(n):
        point = {
            "id": i,
            "lon": rnd.uniform(-118.67, -118.15),
            "lat": rnd.uniform(33.70, 34.34),
            "status": rnd.choice(["open", "closed"]),
            "service": rnd.choice(["pothole", "graffiti", "dumping"]),
        }
        points.append({**point, **extra})
    return points


def in_cell(cell, lon, lat):
    min_lon, min_lat, max_lon, max_lat = cell.bounds
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def test_cell_ids_are_slippy_tiles_of_a_finer_level():
    assert CELL_LEVELS == 2
    cell = cell_at(0.0, 0.0, 0)
    assert cell == GridCell(2, 2, 2) and cell.id == "2/2/2"
    assert cell.bounds == pytest.approx((0, -66.51326044311186, 90, 0))
    assert GridCell(2, 0, 0).bounds == pytest.approx(
        (-180, 66.51326044311186, -90, MAX_MERCATOR_LAT)
    )
    # City Hall's zoom-14 tile, from EPSG:3857 metres rather than the tile formula
    lon, lat = -118.2427, 34.0537
    half_world = math.pi * 6_378_137
    x_m = math.radians(lon) * 6_378_137
    y_m = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6_378_137
    tile_m = 2 * half_world / (1 << 14)
    tile = (int((x_m + half_world) // tile_m), int((half_world - y_m) // tile_m))
    city_hall = cell_at(lon, lat, 14)
    assert (city_hall.x // 4, city_hall.y // 4) == tile == (2810, 6541)
    assert city_hall.level == 16


def test_every_point_lies_in_its_cell():
    rnd = random.Random(1)
    for _ in range(5000):
        lon, lat = rnd.uniform(-180, 180), rnd.uniform(-MAX_MERCATOR_LAT, MAX_MERCATOR_LAT)
        zoom = rnd.randint(0, 22)
        assert in_cell(cell_at(lon, lat, zoom), lon, lat)


def test_edges_of_the_world_fold_into_the_edge_cells():
    n = 1 << (3 + CELL_LEVELS)
    assert cell_at(180, 0, 3).x == n - 1 and cell_at(-180, 0, 3).x == 0
    assert cell_at(0, 89.9, 3).y == 0 and cell_at(0, -90, 3).y == n - 1


@pytest.mark.parametrize("zoom", [-1, 23, 1.5, "3", True, None])
def test_refuses_a_bad_zoom(zoom):
    with pytest.raises(InvalidLocation) as caught:
        cell_at(0, 0, zoom)
    assert caught.value.code == "invalid_zoom"


def test_cells_covering_is_exactly_the_cells_the_box_touches():
    rnd = random.Random(2)
    for _ in range(200):
        zoom = rnd.randint(0, 14)
        lon, lat = rnd.uniform(-170, 170), rnd.uniform(-70, 70)
        span = 360 / (1 << zoom) * rnd.uniform(0.1, 3)
        box = (lon, lat, min(180, lon + span), min(85, lat + span / 2))
        cells = cells_covering(box, zoom)
        assert len(cells) == len(set(cells))
        for _ in range(50):
            point = (rnd.uniform(box[0], box[2]), rnd.uniform(box[1], box[3]))
            assert cell_at(*point, zoom) in cells
        for cell in cells:  # nothing extra: every cell overlaps the box
            min_lon, min_lat, max_lon, max_lat = cell.bounds
            assert min_lon <= box[2] and max_lon >= box[0]
            assert min_lat <= box[3] and max_lat >= box[1]


def test_cells_covering_runs_north_to_south_then_west_to_east():
    cells = cells_covering(LA_VIEW, 11)
    assert cells == sorted(cells, key=lambda c: (c.y, c.x))
    assert {c.level for c in cells} == {11 + CELL_LEVELS}


def test_cells_covering_across_the_antimeridian():
    cells = cells_covering((179.5, -0.5, -179.5, 0.5), 6)
    n = 1 << (6 + CELL_LEVELS)
    xs = {c.x for c in cells}
    assert xs == {n - 1, 0}  # cells are 1.4 degrees wide at zoom 6
    assert cell_at(179.9, 0.1, 6) in cells and cell_at(-179.9, -0.1, 6) in cells


def test_cells_covering_refuses_a_box_far_wider_than_its_zoom():
    with pytest.raises(InvalidLocation) as caught:
        cells_covering((-180, -80, 180, 80), 18)
    assert caught.value.code == "bbox_too_large"
    assert len(cells_covering((-180, -85, 180, 85), 1, max_cells=10_000)) == 64
    with pytest.raises(InvalidLocation):
        cells_covering((0, 10, 1, 5), 3)  # south above north


def test_snap_bbox_grows_to_whole_cells():
    snapped = snap_bbox(LA_VIEW, 12)
    assert snapped[0] <= LA_VIEW[0] and snapped[1] <= LA_VIEW[1]
    assert snapped[2] >= LA_VIEW[2] and snapped[3] >= LA_VIEW[3]
    cells = cells_covering(LA_VIEW, 12)
    assert snapped[0] == min(c.bounds[0] for c in cells)
    assert snapped[2] == max(c.bounds[2] for c in cells)
    assert snapped[1] == pytest.approx(min(c.bounds[1] for c in cells), abs=1e-12)
    assert snapped[3] == pytest.approx(max(c.bounds[3] for c in cells), abs=1e-12)
    rnd = random.Random(6)
    for cell in cells:  # every point of every visible cell is fetched
        min_lon, min_lat, max_lon, max_lat = cell.bounds
        for _ in range(20):
            point = rnd.uniform(min_lon, max_lon), rnd.uniform(min_lat, max_lat)
            assert bbox_contains(snapped, *point)
    # edge rows hold everything up to the poles; a crossing box stays crossing
    assert snap_bbox((-10, -89, 10, 89), 2)[1::2] == (-90, 90)
    crossing = snap_bbox((179.5, -1, -179.5, 1), 5)
    assert crossing[0] > crossing[2]


def test_cluster_points_matches_a_brute_force_grouping():
    points = random_la_points(5000, seed=3)
    zoom = 12
    results = cluster_points(points, zoom, breakdown_by=("status", "service"))
    groups = defaultdict(list)
    for point in points:
        groups[cell_at(point["lon"], point["lat"], zoom)].append(point)
    assert {r.cell for r in results} == set(groups)
    assert sum(r.count if isinstance(r, Cluster) else 1 for r in results) == len(points)
    for result in results:
        members = groups[result.cell]
        if len(members) == 1:
            (only,) = members
            assert isinstance(result, SinglePoint)
            assert (result.lon, result.lat) == (only["lon"], only["lat"])
            assert result.properties == {k: only[k] for k in ("id", "status", "service")}
            continue
        assert isinstance(result, Cluster) and result.count == len(members)
        assert result.lon == pytest.approx(sum(m["lon"] for m in members) / len(members))
        assert result.lat == pytest.approx(sum(m["lat"] for m in members) / len(members))
        assert in_cell(result.cell, result.lon, result.lat)  # a mean stays in its cell
        assert result.breakdown == {
            "status": dict(Counter(m["status"] for m in members)),
            "service": dict(Counter(m["service"] for m in members)),
        }
    assert [r.cell for r in results] == sorted((r.cell for r in results), key=lambda c: (c.y, c.x))


def test_cluster_points_edge_cases():
    assert cluster_points([], 10) == []
    (single,) = cluster_points([{"lon": 1.0, "lat": 2.0}], 10, breakdown_by=("status",))
    assert isinstance(single, SinglePoint) and single.properties == {}
    two = [{"lon": 1.0, "lat": 2.0}, {"lon": 1.0, "lat": 2.0, "status": "open"}]
    (cluster,) = cluster_points(two, 10, breakdown_by=("status",))
    assert cluster.count == 2 and cluster.breakdown == {"status": {None: 1, "open": 1}}
    assert (cluster.lon, cluster.lat) == (1.0, 2.0)


def test_clusters_do_not_jump_when_the_map_pans():
    points = random_la_points(20_000, seed=4)
    zoom = 13
    view = (-118.35, 34.00, -118.25, 34.08)
    panned = (-118.32, 34.02, -118.22, 34.10)  # overlapping the first view

    def clusters_for(box):
        snapped = snap_bbox(box, zoom)
        visible = [p for p in points if bbox_contains(snapped, p["lon"], p["lat"])]
        return {r.cell: r for r in cluster_points(visible, zoom, breakdown_by=("status",))}

    before, after = clusters_for(view), clusters_for(panned)
    shared = set(cells_covering(view, zoom)) & set(cells_covering(panned, zoom))
    assert len(shared) > 20
    for cell in shared:
        assert before.get(cell) == after.get(cell)


def test_cluster_points_is_fast():
    points = random_la_points(100_000, seed=5)
    started = time.perf_counter()
    results = cluster_points(points, 12, breakdown_by=("status",))
    elapsed = time.perf_counter() - started
    print(f"\nclustered 100,000 points into {len(results)} cells in {elapsed:.3f} s")
    assert elapsed < 2.0
    assert math.isclose(sum(getattr(r, "count", 1) for r in results), 100_000)
