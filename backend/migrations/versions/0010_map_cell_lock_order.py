"""map cells: one sorted upsert per statement on PostgreSQL (no deadlocks)

Revision ID: 0010_map_cell_lock_order
Revises: 0009_photo_uploads
Create Date: 2026-11-23

0003's update and delete triggers took the map cells' row locks in no particular order
(an UPDATE … FROM, then for updates a second statement): under load a status change and a
new report in the same neighbourhood locked the same cells in opposite orders and
PostgreSQL aborted one of them (deadlock detected, a 500). Now every trigger writes its
change as one INSERT … ON CONFLICT of signed deltas, sorted by the cell's key, the order
0003's insert trigger already used: concurrent writers queue instead of deadlocking.
SQLite is unchanged (its writers take turns).
"""
import importlib.util
from pathlib import Path

from alembic import op


revision = '0010_map_cell_lock_order'
down_revision = '0009_photo_uploads'
branch_labels = None
depends_on = None


def _spatial():
    """0003's SQL builders (the cell formulas must stay exactly those of 0003)."""
    path = Path(__file__).with_name("0003_spatial.py")
    spec = importlib.util.spec_from_file_location("frontdoor_migration_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pg_apply(spatial, added: str | None, removed: str | None) -> str:
    """One sorted upsert of +1 per row of ``added`` and -1 per row of ``removed``."""
    parts = []
    if added:
        parts.append(f"SELECT * FROM ({spatial._pg_grouped(added)}) AS a")
    if removed:
        parts.append(f"SELECT level, y, x, service_id, status, priority, -n, -sum_lon, "
                     f"-sum_lat FROM ({spatial._pg_grouped(removed)}) AS r")
    deltas = " UNION ALL ".join(parts)
    return f"""
    INSERT INTO map_cell AS m ({spatial.KEY}, n, sum_lon, sum_lat)
    SELECT level, y, x, service_id, status, priority, sum(n), sum(sum_lon), sum(sum_lat)
      FROM ({deltas}) AS d(level, y, x, service_id, status, priority, n, sum_lon, sum_lat)
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ({spatial.KEY}) DO UPDATE SET n = m.n + EXCLUDED.n,
        sum_lon = m.sum_lon + EXCLUDED.sum_lon, sum_lat = m.sum_lat + EXCLUDED.sum_lat;"""


def _replace(name: str, body: str) -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
               f"BEGIN {body}\n RETURN NULL;\nEND $$")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    spatial = _spatial()
    changed = spatial._PG_CHANGED
    _replace("map_cell_on_update", _pg_apply(spatial, changed.format(side="n"),
                                             changed.format(side="o")))
    _replace("map_cell_on_delete", _pg_apply(spatial, None, "SELECT * FROM old_rows"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    spatial = _spatial()
    for name in ("map_cell_on_update", "map_cell_on_delete"):
        _replace(name, spatial._PG_FUNCTIONS[name])
