"""The migrations: one straight line, reversible, and ending where the models are."""

import uuid

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from backend import schema
from backend.db import Base, make_engine
from tests.conftest import PG_ADMIN_URL

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
