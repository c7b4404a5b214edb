"""spatial index and map cells

Revision ID: 0003_spatial
Revises: 0002
Create Date: 2026-11-23

Both databases get ``map_cell`` (per-cell counts for coarse map zooms, kept by triggers).

SQLite: two R*Tree virtual tables of request points, ``request_rtree`` (every request with
coordinates: map boxes) and ``open_request_rtree`` (open ones only: nearby search, where
most callers want open work and a tree of a fifth of the rows answers with a fifth of the
candidates). Triggers keep both, and ``map_cell``, in the writing transaction.

PostgreSQL: PostGIS; ``service_request.geog``, a geography point generated from lon/lat;
a GiST index on it for all rows and a partial one for open rows (nearby search), a GiST
index on ``geog::geometry`` for lon/lat boxes, and statement-level triggers (transition
tables) that keep ``map_cell``, so a bulk COPY costs one grouped upsert, not one per row.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_spatial'
down_revision = '0002'
branch_labels = None
depends_on = None

OPEN = "('submitted', 'acknowledged', 'in_progress', 'reopened')"
LEVELS = list(range(10, 19))
FINEST = LEVELS[-1]
N = 1 << FINEST
MAX_LAT = "85.05112877980659"
KEY = "level, y, x, service_id, status, priority"


def _cell_x(row: str, cast_int: str) -> str:
    return f"{cast_int.format(f'({row}.lon + 180.0) / 360.0 * {N}')}"


def _cell_y(row: str, cast_int: str, clamp_lat: str) -> str:
    lat = clamp_lat.format(f"{row}.lat")
    return cast_int.format(f"(1.0 - asinh(tan(radians({lat}))) / pi()) / 2.0 * {N}")


# -- SQLite -----------------------------------------------------------------

def _sqlite_cell(row: str) -> str:
    cast = "min(max(CAST({} AS INTEGER), 0), " + str(N - 1) + ")"
    clamp = "min(max({}, -" + MAX_LAT + "), " + MAX_LAT + ")"
    return f"SELECT {_cell_x(row, cast)} AS x, {_cell_y(row, cast, clamp)} AS y"


_SQLITE_LEVELS = "(VALUES " + ", ".join(f"({lv})" for lv in LEVELS) + ") AS lv"


def _sqlite_add(row: str) -> str:
    return f"""
    INSERT INTO map_cell ({KEY}, n, sum_lon, sum_lat)
    SELECT lv.column1, c.y >> ({FINEST} - lv.column1), c.x >> ({FINEST} - lv.column1),
           {row}.service_id, {row}.status, {row}.priority, 1, {row}.lon, {row}.lat
      FROM ({_sqlite_cell(row)}) AS c, {_SQLITE_LEVELS}
     WHERE {row}.lat IS NOT NULL AND {row}.lon IS NOT NULL
    ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1, sum_lon = sum_lon + excluded.sum_lon,
                                      sum_lat = sum_lat + excluded.sum_lat;
    INSERT INTO request_rtree SELECT {row}.id, {row}.lon, {row}.lon, {row}.lat, {row}.lat
     WHERE {row}.lat IS NOT NULL AND {row}.lon IS NOT NULL;
    INSERT INTO open_request_rtree SELECT {row}.id, {row}.lon, {row}.lon, {row}.lat, {row}.lat
     WHERE {row}.lat IS NOT NULL AND {row}.lon IS NOT NULL AND {row}.status IN {OPEN};
    """


def _sqlite_remove(row: str) -> str:
    return f"""
    UPDATE map_cell SET n = n - 1, sum_lon = sum_lon - {row}.lon, sum_lat = sum_lat - {row}.lat
     WHERE {row}.lat IS NOT NULL AND {row}.lon IS NOT NULL
       AND service_id = {row}.service_id AND status = {row}.status
       AND priority = {row}.priority
       AND (level, y, x) IN (
           SELECT lv.column1, c.y >> ({FINEST} - lv.column1), c.x >> ({FINEST} - lv.column1)
             FROM ({_sqlite_cell(row)}) AS c, {_SQLITE_LEVELS});
    DELETE FROM request_rtree WHERE id = {row}.id;
    DELETE FROM open_request_rtree WHERE id = {row}.id;
    """


def _sqlite_fill() -> str:
    """map_cell rows for the requests already there."""
    cast = "min(max(CAST({} AS INTEGER), 0), " + str(N - 1) + ")"
    clamp = "min(max({}, -" + MAX_LAT + "), " + MAX_LAT + ")"
    return f"""
    INSERT INTO map_cell ({KEY}, n, sum_lon, sum_lat)
    SELECT lv.column1, c.y >> ({FINEST} - lv.column1), c.x >> ({FINEST} - lv.column1),
           c.service_id, c.status, c.priority, count(*), sum(c.lon), sum(c.lat)
      FROM (SELECT r.service_id, r.status, r.priority, r.lon, r.lat,
                   {_cell_x('r', cast)} AS x, {_cell_y('r', cast, clamp)} AS y
              FROM service_request AS r
             WHERE r.lat IS NOT NULL AND r.lon IS NOT NULL) AS c, {_SQLITE_LEVELS}
     GROUP BY 1, 2, 3, 4, 5, 6"""


def _upgrade_sqlite() -> None:
    op.execute("CREATE VIRTUAL TABLE request_rtree "
               "USING rtree(id, min_lon, max_lon, min_lat, max_lat)")
    op.execute("CREATE VIRTUAL TABLE open_request_rtree "
               "USING rtree(id, min_lon, max_lon, min_lat, max_lat)")
    op.execute(f"CREATE TRIGGER trg_service_request_spatial_insert AFTER INSERT "
               f"ON service_request BEGIN {_sqlite_add('NEW')} END")
    op.execute(f"CREATE TRIGGER trg_service_request_spatial_update AFTER UPDATE "
               f"OF lat, lon, status, priority, service_id ON service_request "
               f"WHEN OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon "
               f"OR OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority "
               f"OR OLD.service_id IS NOT NEW.service_id "
               f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END")
    op.execute(f"CREATE TRIGGER trg_service_request_spatial_delete AFTER DELETE "
               f"ON service_request BEGIN {_sqlite_remove('OLD')} END")
    op.execute(_sqlite_fill())
    op.execute("INSERT INTO request_rtree SELECT id, lon, lon, lat, lat FROM service_request "
               "WHERE lat IS NOT NULL AND lon IS NOT NULL")
    op.execute("INSERT INTO open_request_rtree SELECT id, lon, lon, lat, lat "
               f"FROM service_request WHERE lat IS NOT NULL AND lon IS NOT NULL "
               f"AND status IN {OPEN}")


# -- PostgreSQL -------------------------------------------------------------

_PG_CAST = "LEAST(GREATEST(floor({}), 0), " + str(N - 1) + ")::int"
_PG_CLAMP = "LEAST(GREATEST({}, -" + MAX_LAT + "), " + MAX_LAT + ")"


def _pg_grouped(source: str) -> str:
    """Per-(level, cell, service, status, priority) count and sums of a set of rows."""
    return f"""
    SELECT lv AS level, c.y >> ({FINEST} - lv) AS y, c.x >> ({FINEST} - lv) AS x,
           c.service_id, c.status, c.priority, count(*) AS n,
           sum(c.lon) AS sum_lon, sum(c.lat) AS sum_lat
      FROM (SELECT r.service_id, r.status, r.priority, r.lon, r.lat,
                   {_cell_x('r', _PG_CAST)} AS x, {_cell_y('r', _PG_CAST, _PG_CLAMP)} AS y
              FROM ({source}) AS r
             WHERE r.lat IS NOT NULL AND r.lon IS NOT NULL) AS c
     CROSS JOIN generate_series({LEVELS[0]}, {FINEST}) AS lv
     GROUP BY 1, 2, 3, 4, 5, 6"""


def _pg_add(source: str) -> str:
    # Sorted, so concurrent writers take the cells' row locks in one order.
    return f"""
    INSERT INTO map_cell AS m ({KEY}, n, sum_lon, sum_lat)
    {_pg_grouped(source)}
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ({KEY}) DO UPDATE SET n = m.n + EXCLUDED.n,
        sum_lon = m.sum_lon + EXCLUDED.sum_lon, sum_lat = m.sum_lat + EXCLUDED.sum_lat;"""


def _pg_remove(source: str) -> str:
    return f"""
    UPDATE map_cell AS m SET n = m.n - d.n, sum_lon = m.sum_lon - d.sum_lon,
                             sum_lat = m.sum_lat - d.sum_lat
      FROM ({_pg_grouped(source)}) AS d
     WHERE (m.level, m.y, m.x, m.service_id, m.status, m.priority)
         = (d.level, d.y, d.x, d.service_id, d.status, d.priority);"""


_PG_CHANGED = ("SELECT {side}.* FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
               "WHERE (o.lon, o.lat, o.status, o.priority, o.service_id) IS DISTINCT FROM "
               "(n.lon, n.lat, n.status, n.priority, n.service_id)")

_PG_FUNCTIONS = {
    "map_cell_on_insert": _pg_add("SELECT * FROM new_rows"),
    "map_cell_on_delete": _pg_remove("SELECT * FROM old_rows"),
    "map_cell_on_update": _pg_remove(_PG_CHANGED.format(side="o"))
    + _pg_add(_PG_CHANGED.format(side="n")),
}
_PG_TRIGGERS = {
    "map_cell_on_insert": "AFTER INSERT ON service_request REFERENCING NEW TABLE AS new_rows",
    "map_cell_on_delete": "AFTER DELETE ON service_request REFERENCING OLD TABLE AS old_rows",
    "map_cell_on_update": "AFTER UPDATE ON service_request "
                          "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_nearby_query(status_filter: str) -> str:
    return f"""
    RETURN QUERY
    SELECT r.id, ST_Distance(r.geog, point, false) FROM service_request AS r
     WHERE {status_filter} ST_DWithin(r.geog, point, p_radius_m, false)
       AND (p_service_ids IS NULL OR r.service_id = ANY(p_service_ids))
       AND (p_since IS NULL OR r.created_at >= p_since)
     ORDER BY r.geog <-> point
     LIMIT p_limit;"""


# The nearest requests within a radius. PL/pgSQL keeps the plan between calls (no planning
# per call), and the SET clauses, which hold only inside the function, leave the planner
# one way: the KNN scan of the GiST index, stopped by the radius. Left to itself, a cached
# generic plan can pick a bitmap scan of everything in the radius and a sort.
_PG_NEARBY_FUNCTION = f"""
CREATE FUNCTION nearby_request_ids(p_lon float8, p_lat float8, p_radius_m float8,
                                   p_limit integer, p_open_only boolean,
                                   p_service_ids integer[], p_since timestamp)
RETURNS TABLE (id integer, distance_m float8)
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off SET enable_sort = off SET enable_seqscan = off
AS $$
DECLARE
    point geography := ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326)::geography;
BEGIN
    IF p_open_only THEN {_pg_nearby_query(f"r.status IN {OPEN} AND")}
    ELSE {_pg_nearby_query("")}
    END IF;
END $$"""


def _upgrade_postgresql() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("""
        ALTER TABLE service_request ADD COLUMN geog geography(Point, 4326)
        GENERATED ALWAYS AS (CASE WHEN lon IS NOT NULL AND lat IS NOT NULL
                                  THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography
                             END) STORED""")
    op.execute("CREATE INDEX ix_service_request_geog ON service_request USING gist (geog)")
    op.execute(f"CREATE INDEX ix_service_request_geog_open ON service_request USING gist (geog) "
               f"WHERE status IN {OPEN}")
    op.execute("CREATE INDEX ix_service_request_geom ON service_request "
               "USING gist ((geog::geometry))")
    for name, body in _PG_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN {body}\n RETURN NULL;\nEND $$")
        op.execute(f"CREATE TRIGGER trg_{name} {_PG_TRIGGERS[name]} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    op.execute(_pg_add("SELECT * FROM service_request"))
    op.execute(_PG_NEARBY_FUNCTION)


def upgrade() -> None:
    op.create_table(
        'map_cell',
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('y', sa.Integer(), nullable=False),
        sa.Column('x', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('priority', sa.String(length=24), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_lon', sa.Float(), nullable=False),
        sa.Column('sum_lat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'y', 'x', 'service_id', 'status', 'priority',
                                name=op.f('pk_map_cell')),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_service_request_spatial_{name}")
        op.execute("DROP TABLE IF EXISTS open_request_rtree")
        op.execute("DROP TABLE IF EXISTS request_rtree")
    else:
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{name} ON service_request")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        op.execute("DROP FUNCTION IF EXISTS nearby_request_ids")
        op.execute("ALTER TABLE service_request DROP COLUMN IF EXISTS geog")
    op.drop_table('map_cell')
