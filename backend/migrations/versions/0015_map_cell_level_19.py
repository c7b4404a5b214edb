"""map cells: one more stored level (19), so zoom 17 reads counts, not requests

Revision ID: 0015_map_cell_level_19
Revises: 0014_request_metric_work
Create Date: 2026-12-08

Up to now the stored levels were 10-18 (map zooms 8-16). A 1920x1080 screen at zoom 17 over
the densest part of a city of a million requests holds about 18,000 of them, and grouping
those on the fly took 45-110 ms (SQLite, each one a row fetched from the table). Level 19
adds about 0.3 rows of map_cell per request; zoom 18 and finer still read the requests,
a quarter as many per screen.

The triggers are 0003's (and on PostgreSQL 0010's single sorted upsert), built by their own
builders for levels 10-19: the cell formulas stay exactly those, at the finer level, and a
level-18 cell is still its level-19 cells' sum (x >> 1, y >> 1: scaling by a power of two
is exact in floating point).
"""
import importlib.util
import types
from pathlib import Path

from alembic import op


revision = '0015_map_cell_level_19'
down_revision = '0014_request_metric_work'
branch_labels = None
depends_on = None

OLD_LEVELS = list(range(10, 19))
NEW_LEVELS = list(range(10, 20))
SQLITE_TRIGGERS = ("insert", "update", "delete")
PG_FUNCTIONS = ("map_cell_on_insert", "map_cell_on_update", "map_cell_on_delete")


def _spatial(levels: list[int]) -> types.ModuleType:
    """0003's SQL builders over another list of levels: its source with only the LEVELS
    line changed, so every constant derived from it (the finest level, the grid size, the
    level lists in SQL) follows."""
    path = Path(__file__).with_name("0003_spatial.py")
    source, written = path.read_text(), "LEVELS = list(range(10, 19))"
    if source.count(written) != 1:
        raise RuntimeError("0003_spatial no longer sets its levels in one line")
    module = types.ModuleType(f"frontdoor_migration_0003_levels_{levels[0]}_{levels[-1]}")
    exec(compile(source.replace(written, f"LEVELS = {levels!r}"), str(path), "exec"),
         module.__dict__)
    return module


def _lock_order():
    """0010's builder of one sorted upsert of signed deltas."""
    path = Path(__file__).with_name("0010_map_cell_lock_order.py")
    spec = importlib.util.spec_from_file_location("frontdoor_migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- SQLite -----------------------------------------------------------------

def _sqlite_triggers(spatial: types.ModuleType) -> None:
    """0003's three triggers (map cells and both R*Trees), for ``spatial``'s levels."""
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS trg_service_request_spatial_{name}")
    op.execute(f"CREATE TRIGGER trg_service_request_spatial_insert AFTER INSERT "
               f"ON service_request BEGIN {spatial._sqlite_add('NEW')} END")
    op.execute(f"CREATE TRIGGER trg_service_request_spatial_update AFTER UPDATE "
               f"OF lat, lon, status, priority, service_id ON service_request "
               f"WHEN OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon "
               f"OR OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority "
               f"OR OLD.service_id IS NOT NEW.service_id "
               f"BEGIN {spatial._sqlite_remove('OLD')} {spatial._sqlite_add('NEW')} END")
    op.execute(f"CREATE TRIGGER trg_service_request_spatial_delete AFTER DELETE "
               f"ON service_request BEGIN {spatial._sqlite_remove('OLD')} END")


# -- PostgreSQL -------------------------------------------------------------

def _pg_functions(spatial: types.ModuleType) -> None:
    """The three statement triggers' functions as 0010 left them, for ``spatial``'s levels."""
    lock_order, changed = _lock_order(), spatial._PG_CHANGED
    bodies = {
        "map_cell_on_insert": spatial._pg_add("SELECT * FROM new_rows"),
        "map_cell_on_update": lock_order._pg_apply(spatial, changed.format(side="n"),
                                                   changed.format(side="o")),
        "map_cell_on_delete": lock_order._pg_apply(spatial, None, "SELECT * FROM old_rows"),
    }
    for name in PG_FUNCTIONS:
        lock_order._replace(name, bodies[name])


# -- both ---------------------------------------------------------------------

def upgrade() -> None:
    finest_only = _spatial([NEW_LEVELS[-1]])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers(_spatial(NEW_LEVELS))
        op.execute(finest_only._sqlite_fill())
    else:
        _pg_functions(_spatial(NEW_LEVELS))
        op.execute(finest_only._pg_add("SELECT * FROM service_request"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers(_spatial(OLD_LEVELS))
    else:
        _pg_functions(_spatial(OLD_LEVELS))
    op.execute(f"DELETE FROM map_cell WHERE level = {NEW_LEVELS[-1]}")
