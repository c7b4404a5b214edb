"""request metric: each request's metric figures, city-wide and per zone, kept by triggers

Revision ID: 0011_request_metric
Revises: 0010_map_cell_lock_order
Create Date: 2026-11-23

``request_metric`` (backend/models/request_metric.py) holds one row per request with
zone_id 0 and one per row of ``request_zone``. Triggers keep it exact in the writing
transaction: a new request adds its city-wide row, a new zone row adds that zone's row
(copying the request), a change to a copied column rewrites every row of the request, a
removed zone row removes its row; deleting a request cascades. On PostgreSQL they run once
per statement over the transition tables (COPY and batch updates stay set-wise), on SQLite
once per row. Existing requests are copied in here.
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0011_request_metric'
down_revision = '0010_map_cell_lock_order'
branch_labels = None
depends_on = None

COPIED = ("created_at", "service_id", "channel", "status", "closed_at", "expected_at")
DONE = "('resolved', 'closed')"  # backend.services.metrics.CLOSED_VALUES
COLUMNS = "request_id, zone_id, " + ", ".join(COPIED) + ", close_seconds"
INDEXES = {  # each with every column the metrics read: index-only scans
    "ix_request_metric_period": ["zone_id", "created_at", "service_id", "channel", "status",
                                 "closed_at", "expected_at", "close_seconds", "request_id"],
    "ix_request_metric_close": ["zone_id", "close_seconds", "created_at", "service_id",
                                "channel", "status", "closed_at", "expected_at", "request_id"],
    "ix_request_metric_service_close": ["zone_id", "service_id", "close_seconds", "created_at",
                                        "channel", "status", "closed_at", "expected_at",
                                        "request_id"],
}


def _close_seconds(r: str, sqlite: bool) -> str:
    """Seconds from creation to closing when the work was done: the same arithmetic the
    metrics used on the raw rows (julianday on SQLite, an epoch difference on PostgreSQL)."""
    span = (f"(julianday({r}.closed_at) - julianday({r}.created_at)) * 86400.0" if sqlite
            else f"EXTRACT(epoch FROM {r}.closed_at - {r}.created_at)")
    return (f"CASE WHEN {r}.status IN {DONE} AND {r}.closed_at IS NOT NULL "
            f"THEN {span} END")


def _copied(r: str, sqlite: bool) -> str:
    return ", ".join(f"{r}.{c}" for c in COPIED) + ", " + _close_seconds(r, sqlite)


def _assignments(r: str, sqlite: bool) -> str:
    return ", ".join([f"{c} = {r}.{c}" for c in COPIED]
                     + [f"close_seconds = {_close_seconds(r, sqlite)}"])


def _differs(old: str, new: str, sqlite: bool) -> str:
    if sqlite:
        return " OR ".join(f"{old}.{c} IS NOT {new}.{c}" for c in COPIED)
    columns = ", ".join(f"{{0}}.{c}" for c in COPIED)
    return f"({columns.format(old)}) IS DISTINCT FROM ({columns.format(new)})"


# -- SQLite: row triggers ----------------------------------------------------------------

def _sqlite_triggers() -> dict[str, str]:
    return {
        "trg_request_metric_request_insert":
            f"AFTER INSERT ON service_request BEGIN "
            f"INSERT INTO request_metric ({COLUMNS}) "
            f"VALUES (NEW.id, 0, {_copied('NEW', True)}); END",
        "trg_request_metric_request_update":
            f"AFTER UPDATE OF {', '.join(COPIED)} ON service_request "
            f"WHEN {_differs('OLD', 'NEW', True)} BEGIN "
            f"UPDATE request_metric SET {_assignments('NEW', True)} "
            f"WHERE request_id = NEW.id; END",
        "trg_request_metric_zone_insert":
            f"AFTER INSERT ON request_zone BEGIN {_sqlite_add_zone('NEW')} END",
        "trg_request_metric_zone_delete":
            f"AFTER DELETE ON request_zone BEGIN {_sqlite_remove_zone('OLD')} END",
        "trg_request_metric_zone_update":
            f"AFTER UPDATE ON request_zone BEGIN "
            f"{_sqlite_remove_zone('OLD')} {_sqlite_add_zone('NEW')} END",
    }


def _sqlite_add_zone(z: str) -> str:
    return (f"INSERT INTO request_metric ({COLUMNS}) "
            f"SELECT {z}.request_id, {z}.zone_id, {_copied('r', True)} "
            f"FROM service_request AS r WHERE r.id = {z}.request_id;")


def _sqlite_remove_zone(z: str) -> str:
    return (f"DELETE FROM request_metric "
            f"WHERE request_id = {z}.request_id AND zone_id = {z}.zone_id;")


# -- PostgreSQL: statement triggers over transition tables -------------------------------

def _pg_add_zones(rows: str) -> str:
    return (f"INSERT INTO request_metric ({COLUMNS}) "
            f"SELECT z.request_id, z.zone_id, {_copied('r', False)} "
            f"FROM {rows} AS z JOIN service_request AS r ON r.id = z.request_id;")


def _pg_remove_zones(rows: str) -> str:
    return (f"DELETE FROM request_metric AS m USING {rows} AS z "
            f"WHERE m.request_id = z.request_id AND m.zone_id = z.zone_id;")


_PG_FUNCTIONS = {
    "request_metric_on_request_insert": (
        "AFTER INSERT ON service_request REFERENCING NEW TABLE AS new_rows",
        f"INSERT INTO request_metric ({COLUMNS}) "
        f"SELECT r.id, 0, {_copied('r', False)} FROM new_rows AS r;"),
    "request_metric_on_request_update": (
        "AFTER UPDATE ON service_request "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"UPDATE request_metric AS m SET {_assignments('n', False)} "
        f"FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
        f"WHERE m.request_id = n.id AND {_differs('o', 'n', False)};"),
    "request_metric_on_zone_insert": (
        "AFTER INSERT ON request_zone REFERENCING NEW TABLE AS new_rows",
        _pg_add_zones("new_rows")),
    "request_metric_on_zone_delete": (
        "AFTER DELETE ON request_zone REFERENCING OLD TABLE AS old_rows",
        _pg_remove_zones("old_rows")),
    "request_metric_on_zone_update": (
        "AFTER UPDATE ON request_zone REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _pg_remove_zones("old_rows") + "\n" + _pg_add_zones("new_rows")),
}


def _fill(sqlite: bool) -> None:
    op.execute(f"INSERT INTO request_metric ({COLUMNS}) "
               f"SELECT r.id, 0, {_copied('r', sqlite)} FROM service_request AS r")
    op.execute(f"INSERT INTO request_metric ({COLUMNS}) "
               f"SELECT z.request_id, z.zone_id, {_copied('r', sqlite)} "
               f"FROM request_zone AS z JOIN service_request AS r ON r.id = z.request_id")


def upgrade() -> None:
    op.create_table('request_metric',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('closed_at', backend.models.types.UTCDateTime(), nullable=True),
    sa.Column('expected_at', backend.models.types.UTCDateTime(), nullable=True),
    sa.Column('close_seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_request_metric_request_id_service_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'zone_id', name=op.f('pk_request_metric'))
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    _fill(sqlite)  # before the indexes: one sort each instead of a million inserts
    for name, columns in INDEXES.items():
        op.create_index(name, 'request_metric', columns)
    if sqlite:
        for name, body in _sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        return
    for name, (event, body) in _PG_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN {body}\n RETURN NULL;\nEND $$")
        op.execute(f"CREATE TRIGGER trg_{name} {event} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, (event, _body) in _PG_FUNCTIONS.items():
            table = event.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS trg_{name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for name in INDEXES:
        op.drop_index(name, table_name='request_metric')
    op.drop_table('request_metric')
