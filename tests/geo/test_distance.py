import math
import random
from decimal import Decimal

import numpy as np
import pytest
import shapely

from backend.errors import InvalidLocation
from backend.geo.distance import (
    EARTH_RADIUS_M,
    LocalProjection,
    bbox_around,
    bbox_contains,
    haversine_m,
    split_bbox,
    validate_bbox,
    validate_point,
)

LA_CITY_HALL = (-118.2427, 34.0537)


def destination(lon, lat, bearing_deg, distance_m):
    """Independent reference: the point reached from (lon, lat) along a great circle."""
    phi1, lam1 = math.radians(lat), math.radians(lon)
    theta, delta = math.radians(bearing_deg), distance_m / EARTH_RADIUS_M
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return (math.degrees(lam2) + 180) % 360 - 180, math.degrees(phi2)


def chord_distance_m(lon1, lat1, lon2, lat2):
    """Independent reference: great-circle distance from the 3-D chord between the points."""

    def xyz(lon, lat):
        lam, phi = math.radians(lon), math.radians(lat)
        return np.array(
            [math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)]
        )

    chord = np.linalg.norm(xyz(lon1, lat1) - xyz(lon2, lat2))
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, chord / 2))


# --- validate_point ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(0, 0), (-180, -90), (180, 90), (Decimal("-118.25"), Decimal("34.05")), (np.float64(1.5), 2)],
)
def test_validate_point_accepts_numbers_in_range_and_returns_floats(lon, lat):
    result = validate_point(lon, lat)
    assert result == (float(lon), float(lat))
    assert all(type(v) is float for v in result)


@pytest.mark.parametrize(
    ("lon", "lat", "field", "words"),
    [
        (None, 0, "lon", "must be a number"),
        ("-118.2", 34, "lon", "must be a number"),
        (0, "34", "lat", "must be a number"),
        (True, 0, "lon", "must be a number"),
        ([1], 0, "lon", "must be a number"),
        (math.nan, 0, "lon", "finite"),
        (0, math.inf, "lat", "finite"),
        (-math.inf, 0, "lon", "finite"),
        (Decimal("NaN"), 0, "lon", "finite"),
        (Decimal("sNaN"), 0, "lon", "finite"),
        (10**400, 0, "lon", "finite"),
        (180.000001, 0, "lon", "between -180 and 180"),
        (0, -90.5, "lat", "between -90 and 90"),
    ],
)
def test_validate_point_refuses_with_a_message_naming_the_problem(lon, lat, field, words):
    with pytest.raises(InvalidLocation) as caught:
        validate_point(lon, lat)
    error = caught.value
    assert error.code == "invalid_location"
    assert error.details == {"field": field}
    assert words in error.message
    assert ("Longitude" if field == "lon" else "Latitude") in error.message


def test_validate_point_hints_at_swapped_coordinates():
    with pytest.raises(InvalidLocation, match="swapped"):
        validate_point(34.05, -118.24)  # (lat, lon) by mistake
    with pytest.raises(InvalidLocation) as caught:
        validate_point(100, 95)  # plainly out of range, not a swap
    assert "swapped" not in caught.value.message


def test_validate_bbox():
    assert validate_bbox([-118.5, 33.7, -118.1, 34.3]) == (-118.5, 33.7, -118.1, 34.3)
    assert validate_bbox((170, -10, -170, 10)) == (170.0, -10.0, -170.0, 10.0)  # crosses
    for bad in [(1, 2, 3), "1,2,3,4", None]:
        with pytest.raises(InvalidLocation) as caught:
            validate_bbox(bad)
        assert caught.value.code == "invalid_bbox"
    with pytest.raises(InvalidLocation, match="north of") as caught:
        validate_bbox((0, 10, 1, 5))
    assert caught.value.code == "invalid_bbox"
    with pytest.raises(InvalidLocation) as caught:
        validate_bbox((0, 0, 181, 1))
    assert caught.value.code == "invalid_location"


# --- haversine --------------------------------------------------------------------------


def test_haversine_known_values():
    assert haversine_m(*LA_CITY_HALL, *LA_CITY_HALL) == 0
    one_degree = math.pi * EARTH_RADIUS_M / 180
    assert haversine_m(0, 0, 0, 1) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0, 0, 1, 0) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0, 0, 180, 0) == pytest.approx(math.pi * EARTH_RADIUS_M, rel=1e-12)
    assert haversine_m(10, 90, -170, 90) == pytest.approx(0, abs=1e-6)  # both are the pole
    assert haversine_m(179.9999, 0, -179.9999, 0) == pytest.approx(22.24, abs=0.01)
    # City Hall to Santa Monica Pier: about 23.5 km as the crow flies
    assert haversine_m(*LA_CITY_HALL, -118.4965, 34.0094) == pytest.approx(23_900, rel=0.03)


def test_haversine_matches_an_independent_formula_on_random_points():
    rnd = random.Random(7)
    for _ in range(2000):
        a = (rnd.uniform(-180, 180), math.degrees(math.asin(rnd.uniform(-1, 1))))
        b = (rnd.uniform(-180, 180), math.degrees(math.asin(rnd.uniform(-1, 1))))
        assert haversine_m(*a, *b) == pytest.approx(chord_distance_m(*a, *b), rel=1e-9, abs=1e-6)
        assert haversine_m(*a, *b) == pytest.approx(haversine_m(*b, *a), rel=1e-12)


# --- bbox_around ------------------------------------------------------------------------


def random_centre(rnd):
    kind = rnd.random()
    if kind < 0.2:  # near the antimeridian
        return rnd.choice([-1, 1]) * rnd.uniform(179, 180), rnd.uniform(-80, 80)
    if kind < 0.35:  # near a pole
        return rnd.uniform(-180, 180), rnd.choice([-1, 1]) * rnd.uniform(85, 90)
    return rnd.uniform(-180, 180), math.degrees(math.asin(rnd.uniform(-1, 1)))


def test_bbox_around_holds_every_point_within_the_radius():
    rnd = random.Random(11)
    for _ in range(1500):
        lon, lat = random_centre(rnd)
        radius = 10 ** rnd.uniform(0, 6.7)  # 1 m to 5,000 km
        box = bbox_around(lon, lat, radius)
        for _ in range(20):
            distance = radius * rnd.choice([1.0, rnd.random()])
            point = destination(lon, lat, rnd.uniform(0, 360), distance)
            assert bbox_contains(box, *point), (lon, lat, radius, point, box)


def test_bbox_around_is_tight():
    for lon, lat, radius in [(-118.24, 34.05, 1000), (10, 60, 50_000), (0, -70, 300_000)]:
        min_lon, min_lat, max_lon, max_lat = bbox_around(lon, lat, radius)
        ring = [destination(lon, lat, b / 10, radius) for b in range(3600)]
        assert max(p[1] for p in ring) == pytest.approx(max_lat, abs=1e-7)
        assert min(p[1] for p in ring) == pytest.approx(min_lat, abs=1e-7)
        assert max(p[0] for p in ring) == pytest.approx(max_lon, abs=1e-5)
        assert min(p[0] for p in ring) == pytest.approx(min_lon, abs=1e-5)


def test_bbox_around_a_pole_spans_every_longitude():
    assert bbox_around(30, 89.99, 5_000)[::2] == (-180, 180)
    min_lon, min_lat, max_lon, max_lat = bbox_around(30, 89.99, 5_000)
    assert max_lat == 90 and min_lat == pytest.approx(89.99 - 5_000 / 111_195.08, abs=1e-6)
    assert bbox_around(0, -89.0, 200_000)[1] == -90
    assert bbox_around(0, 0, 30_000_000) == (-180, -90, 180, 90)  # more than half the globe


def test_bbox_around_the_antimeridian_crosses_and_splits():
    box = bbox_around(179.9995, 0, 1_000)
    assert box[0] > box[2]  # RFC 7946: west > east means crossing
    east, west = split_bbox(box)
    assert east[2] == 180 and west[0] == -180
    assert bbox_contains(box, 179.9999, 0) and bbox_contains(box, -179.9999, 0)
    assert not bbox_contains(box, 0, 0)
    box = bbox_around(-179.9995, 0, 1_000)
    assert box[0] > box[2] and bbox_contains(box, 179.9999, 0)


def test_split_bbox_and_bbox_contains_plain_boxes():
    box = (-1.0, -1.0, 1.0, 1.0)
    assert split_bbox(box) == [box]
    assert bbox_contains(box, 1, 1) and bbox_contains(box, 0, 0)
    assert not bbox_contains(box, 1.01, 0) and not bbox_contains(box, 0, -1.01)


# --- LocalProjection --------------------------------------------------------------------


def test_local_projection_round_trips_and_matches_haversine_nearby():
    projection = LocalProjection(*LA_CITY_HALL)
    assert projection.to_metres(*LA_CITY_HALL) == (0, 0)
    rnd = random.Random(3)
    for _ in range(1000):
        point = destination(*LA_CITY_HALL, rnd.uniform(0, 360), rnd.uniform(0, 10_000))
        x, y = projection.to_metres(*point)
        assert projection.to_lonlat(x, y) == pytest.approx(point, abs=1e-9)
        true = haversine_m(*LA_CITY_HALL, *point)
        assert math.hypot(x, y) == pytest.approx(true, rel=1e-3, abs=1e-6)


def test_local_projection_axes_and_antimeridian():
    projection = LocalProjection(179.999, 0)
    x, y = projection.to_metres(-179.999, 0)  # 0.002 degrees east, across the line
    assert x == pytest.approx(0.002 * math.pi * EARTH_RADIUS_M / 180, rel=1e-9) and y == 0
    assert projection.to_lonlat(x, 0) == pytest.approx((-179.999, 0), abs=1e-12)
    north = LocalProjection(0, 45).to_metres(0, 45.001)
    assert north[0] == 0 and north[1] == pytest.approx(111.195, rel=1e-4)
    with pytest.raises(InvalidLocation):
        LocalProjection(200, 0)


def test_local_projection_of_geometries_round_trips():
    projection = LocalProjection(*LA_CITY_HALL)
    square = shapely.box(-118.25, 34.05, -118.24, 34.06)
    in_metres = projection.geometry_to_metres(square)
    metres_per_degree = math.pi * EARTH_RADIUS_M / 180
    width = 0.01 * metres_per_degree * math.cos(math.radians(LA_CITY_HALL[1]))
    assert in_metres.area == pytest.approx(width * 0.01 * metres_per_degree, rel=1e-9)
    assert projection.geometry_to_lonlat(in_metres).equals_exact(square, 1e-12)
