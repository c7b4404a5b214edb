"""Synthetic city-scale data: real places and categories, the open share asked for, and
spatial indexes that stay right after a bulk load."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, text

from backend.geo.distance import haversine_m
from backend.geo.grid import snap_bbox
from backend.models import Event, Service, ServiceRequest
from backend.models.map_cell import FINEST_MAP_CELL_LEVEL
from backend.services import clusters, generator, nearby
from backend.services.clusters import MapFilters


def test_generated_requests_follow_the_city(db):
    city = generator.la_city_model(db)
    assert len(city.lon) > 9000
    before = db.scalar(select(func.count(ServiceRequest.id)))
    rng = np.random.default_rng(3)
    for size in generator.batches(3000, size=1200):
        generator.insert_batch(db, city, size, open_share=0.3, rng=rng)
        db.commit()
    rows = db.execute(select(ServiceRequest.id, ServiceRequest.tracking, ServiceRequest.lon,
                             ServiceRequest.lat, ServiceRequest.status, Service.code,
                             ServiceRequest.created_at)
                      .join(Service)).all()
    assert len(rows) - before == 3000
    assert len({r.tracking for r in rows}) == len(rows)
    assert all(re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", r.tracking)
               for r in rows)
    open_share = sum(r.status in ("submitted", "acknowledged", "in_progress", "reopened")
                     for r in rows) / len(rows)
    assert 0.26 < open_share < 0.34
    mix = Counter(r.code for r in rows).most_common()
    assert mix[0][0] == "bulky-items" and mix[1][0] == "graffiti-removal"  # as in LA's data
    assert all(-118.7 < r.lon < -118.1 and 33.6 < r.lat < 34.4 for r in rows)
    now = datetime.now(UTC)
    assert all(now - timedelta(days=366) < r.created_at <= now for r in rows)
    assert db.scalar(select(func.count(Event.id)).where(Event.kind == "created")) >= 3000
    # A real LA point is usually within a hundred metres of a generated one.
    near = [min(haversine_m(city.lon[k], city.lat[k], r.lon, r.lat) for r in rows[:600])
            for k in range(0, len(city.lon), 500)]
    assert np.median(near) < 2000


def test_indexes_are_right_after_a_bulk_load(db):
    city = generator.la_city_model(db)
    generator.insert_batch(db, city, 2500, open_share=0.2, rng=np.random.default_rng(4))
    db.commit()
    points = db.execute(select(ServiceRequest.id, ServiceRequest.lon, ServiceRequest.lat,
                               ServiceRequest.status)).all()
    for lon, lat in ((-118.2427, 34.0537), (-118.45, 34.2), (-118.3, 33.95)):
        got = [i for i, _ in nearby.nearby_request_ids(db, lon, lat, 3000, limit=20)]
        expected = sorted((haversine_m(lon, lat, p.lon, p.lat), p.id) for p in points
                          if p.status in ("submitted", "acknowledged", "in_progress",
                                          "reopened")
                          and haversine_m(lon, lat, p.lon, p.lat) <= 3000)[:20]
        assert got == [i for _, i in expected]
    view = (-118.7, 33.7, -118.1, 34.35)
    for level in (10, 14, FINEST_MAP_CELL_LEVEL):
        stored = {(r[0], r[1]): r[2] for r in clusters._stored_cells(db, view, level,
                                                                      MapFilters())}
        live = {(r[0], r[1]): r[2] for r in clusters._live_cells(
            db, snap_bbox(view, level - 2), level, MapFilters())}
        assert stored == live
    if db.get_bind().dialect.name == "sqlite":
        trigger = db.scalar(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name = 'trg_service_request_spatial_insert'"))
        assert trigger == 1


def test_open_share_is_checked(db):
    with pytest.raises(ValueError):
        generator.insert_batch(db, generator.la_city_model(db), 10, open_share=1.5,
                               rng=np.random.default_rng(1))
