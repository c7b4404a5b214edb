"""Map clusters: they add up to every matching request in the view, stay put when the map
pans, and read the same from the stored cells as from the requests themselves."""

import random

import pytest
from sqlalchemy import text

from backend.errors import InvalidLocation
from backend.geo.distance import bbox_contains
from backend.geo.grid import GridCell, snap_bbox
from backend.models.map_cell import FINEST_MAP_CELL_LEVEL
from backend.services import clusters
from backend.services.clusters import MapFilters, map_clusters

OPEN = ["submitted", "acknowledged", "in_progress", "reopened"]
CLOSED = ["resolved", "closed", "duplicate", "rejected"]
CENTRE = (-118.2427, 34.0537)


@pytest.fixture
def city(place, services):
    """1,200 requests: a dense core and a sparse ring, every status, priority and a few
    services."""
    rng = random.Random(21)
    ids = list(services.values())[:4]
    rows = []
    for k in range(1200):
        spread = 0.01 if k % 3 else 0.15
        rows.append({"lon": CENTRE[0] + rng.gauss(0, spread),
                     "lat": CENTRE[1] + rng.gauss(0, spread),
                     "status": rng.choice(OPEN + CLOSED), "service_id": rng.choice(ids),
                     "priority": rng.choice(["low", "normal", "normal", "high", "urgent"])})
    place(rows)
    return rows


def matching(rows, box, filters):
    return [r for r in rows if bbox_contains(box, r["lon"], r["lat"])
            and (filters.statuses is None or r["status"] in filters.statuses)
            and (filters.service_ids is None or r["service_id"] in filters.service_ids)
            and (filters.priorities is None or r["priority"] in filters.priorities)]


@pytest.mark.parametrize("zoom", [3, 9, 10, 12, 14, 16, 17, 19, 22])
def test_clusters_add_up_to_every_matching_request(db, city, services, zoom):
    half = 0.3 / 2 ** max(0, zoom - 10)
    box = (CENTRE[0] - half * 1.6, CENTRE[1] - half, CENTRE[0] + half * 1.6, CENTRE[1] + half)
    some = (list(services.values())[0], list(services.values())[2])
    for filters in (MapFilters(), MapFilters(statuses=tuple(OPEN)),
                    MapFilters(service_ids=some, priorities=("normal", "high"))):
        answer = map_clusters(db, box, zoom, filters)
        expected = matching(city, snap_bbox(box, zoom), filters)
        assert answer["total"] == len(expected)
        assert sum(f["properties"]["count"] for f in answer["features"]) == len(expected)
        for feature in answer["features"]:
            props = feature["properties"]
            if props["cluster"]:
                assert sum(props["status"].values()) == props["count"]
                assert sum(props["priority"].values()) == props["count"]
            else:
                lon, lat = feature["geometry"]["coordinates"]  # rounded to 6 decimals
                w, s, e, n = GridCell(zoom + 2, *props["cell"]).bounds
                assert w - 1e-6 <= lon <= e + 1e-6 and s - 1e-6 <= lat <= n + 1e-6
                assert props["tracking"] and props["service_code"]
                assert props["status"] in (filters.statuses or OPEN + CLOSED)


def test_panning_keeps_every_cluster_where_it_was(db, city):
    zoom = 14
    base = (-118.27, 34.04, -118.22, 34.07)
    by_cell = {tuple(f["properties"]["cell"]): f
               for f in map_clusters(db, base, zoom)["features"]}
    for dx, dy in ((0.004, 0.0), (-0.0123, 0.0031), (0.0007, -0.009)):
        moved = (base[0] + dx, base[1] + dy, base[2] + dx, base[3] + dy)
        seen = {tuple(f["properties"]["cell"]): f
                for f in map_clusters(db, moved, zoom)["features"]}
        inner = set(by_cell) & set(seen)
        assert len(inner) > 10
        for cell in inner:
            assert seen[cell] == by_cell[cell]


def test_stored_cells_agree_with_the_requests(db, city, dialect):
    """The trigger-kept counts equal a fresh grouping of the rows, after changes too."""
    db.execute(text("UPDATE service_request SET status = 'closed' WHERE id % 5 = 0"))
    db.execute(text("UPDATE service_request SET lat = lat + 0.01 WHERE id % 7 = 0"))
    db.execute(text("DELETE FROM service_request WHERE id % 11 = 0"))
    db.commit()
    view = (-118.6, 33.7, -117.9, 34.4)
    for level in (10, 13, 16, FINEST_MAP_CELL_LEVEL):
        stored = {(r[0], r[1]): r[2:-3]
                  for r in clusters._stored_cells(db, view, level, MapFilters())}
        live = {(r[0], r[1]): r[2:-3] for r in clusters._live_cells(
            db, snap_bbox(view, level - 2), level, MapFilters())}
        assert stored.keys() == live.keys()
        for cell, values in live.items():
            count, sum_lon, sum_lat, *breakdown = values
            assert stored[cell][0] == count and list(stored[cell][3:]) == breakdown
            assert stored[cell][1] == pytest.approx(sum_lon) and stored[cell][2] == \
                pytest.approx(sum_lat)


def test_across_the_antimeridian(db, place):
    place([{"lon": 179.9999, "lat": -16.5}, {"lon": -179.9999, "lat": -16.5},
           {"lon": -179.9998, "lat": -16.5}])
    assert map_clusters(db, (179.9, -17, -179.9, -16), 12)["total"] == 3
    answer = map_clusters(db, (179.9995, -16.5005, -179.9995, -16.4995), 19)
    xs = {f["properties"]["cell"][0] for f in answer["features"]}
    assert answer["total"] == 3 and 0 in xs and 2 ** 21 - 1 in xs


def test_a_view_too_wide_for_its_zoom_is_refused(db):
    with pytest.raises(InvalidLocation) as refused:
        map_clusters(db, (-119, 33, -117, 35), 16)
    assert refused.value.code == "bbox_too_large"
    with pytest.raises(InvalidLocation):
        map_clusters(db, (-119, 33, -117, 35), 23)
