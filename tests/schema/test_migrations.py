"""The migrations: one straight line, reversible, and ending where the models are."""

import random
import uuid

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from backend import schema
from backend.db import Base, make_engine
from backend.geo.grid import snap_bbox
from backend.models import Service
from backend.models.map_cell import FINEST_MAP_CELL_LEVEL
from backend.services import clusters
from backend.services.clusters import MapFilters
from tests.conftest import PG_ADMIN_URL
from tests.geo_db.conftest import add_requests

# Made by hand in the migrations, for what the ORM cannot describe: PostGIS columns and
# indexes, SQLite R*Tree tables (and their shadow tables), PostGIS's own table.
SPATIAL_TABLES = ("request_rtree", "open_request_rtree", "work_order_rtree", "spatial_ref_sys")
SPATIAL_INDEXES = {"ix_service_request_geog", "ix_service_request_geog_open",
                   "ix_service_request_geom", "ix_work_order_open_point"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    name = f"frontdoor_migrations_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_history_is_one_line():
    script = ScriptDirectory.from_config(schema.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert all(len(r._all_down_revisions) <= 1 for r in script.walk_revisions())


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table":
        return not name.startswith(SPATIAL_TABLES)
    if type_ == "index":
        return name not in SPATIAL_INDEXES
    if type_ == "column":
        return name != "geog"
    return True


def _drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": _ours})
            found = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    if url.startswith("sqlite"):
        # SQLite cannot name the foreign key of a column added by ALTER TABLE; the key
        # is there (checked below), only its name differs.
        found = [d for d in found if d[0] not in ("add_fk", "remove_fk")]
    return found


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.filterwarnings("ignore:Did not recognize type 'geography'")
def test_upgrade_downgrade_upgrade_ends_at_the_models(empty_database):
    config = schema.alembic_config(empty_database)
    schema.upgrade(empty_database)
    command.downgrade(config, "base")
    engine = make_engine(empty_database)
    try:
        left = set(inspect(engine).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
    finally:
        engine.dispose()
    assert left == set()
    schema.upgrade(empty_database)
    assert _drift(empty_database) == []
    engine = make_engine(empty_database)
    try:
        keys = inspect(engine).get_foreign_keys("event")
    finally:
        engine.dispose()
    assert any(k["referred_table"] == "work_order" for k in keys)


def test_map_cell_level_19_is_filled_from_the_requests_already_there(empty_database):
    """0015 adds a stored level: the rows it writes for existing requests equal a fresh
    grouping, and the triggers it rebuilds keep every level after later writes."""
    config = schema.alembic_config(empty_database)
    command.upgrade(config, "0014_request_metric_work")
    engine = make_engine(empty_database)
    rng = random.Random(15)
    try:
        with Session(engine) as db:
            service = Service(code="pothole", name="Pothole", group="Streets")
            db.add(service)
            db.flush()
            service_id = service.id
            add_requests(db, [{"lon": -118.25 + rng.gauss(0, 0.002),
                               "lat": 34.05 + rng.gauss(0, 0.002), "service_id": service_id}
                              for _ in range(300)])
        command.upgrade(config, "head")
        with Session(engine) as db:
            db.execute(text("UPDATE service_request SET status = 'closed' WHERE id % 4 = 0"))
            db.execute(text("DELETE FROM service_request WHERE id % 9 = 0"))
            add_requests(db, [{"lon": -118.25, "lat": 34.05, "service_id": service_id}])
            view = (-118.3, 34.0, -118.2, 34.1)
            for level in (FINEST_MAP_CELL_LEVEL - 1, FINEST_MAP_CELL_LEVEL):
                stored = {(r[0], r[1]): r[2:-3] for r in clusters._stored_cells(
                    db, view, level, MapFilters())}
                live = {(r[0], r[1]): r[2:-3] for r in clusters._live_cells(
                    db, snap_bbox(view, level - 2), level, MapFilters())}
                assert sum(v[0] for v in live.values()) == 300 - 300 // 9 + 1
                assert stored.keys() == live.keys()
                for cell, (count, sum_lon, sum_lat, *breakdown) in live.items():
                    assert stored[cell][0] == count and list(stored[cell][3:]) == breakdown
                    assert stored[cell][1:3] == pytest.approx((sum_lon, sum_lat))
    finally:
        engine.dispose()
