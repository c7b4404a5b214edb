"""metric hour: per scope and UTC hour, requests created and closed, kept by triggers

Revision ID: 0013_metric_hour
Revises: 0012_sign_ins
Create Date: 2026-11-23

``metric_hour`` (backend/models/request_metric.py) counts, per zone_id of request_metric
and UTC hour, the rows created in that hour and the rows closed in it. Triggers on
request_metric keep it exact in the writing transaction: a row added counts +1 at its
creation hour (and at its closing hour), a row removed -1, a changed row -1 at the old hours
and +1 at the new (a removal never creates a row: the table may have been emptied first,
as the tests do). On PostgreSQL each statement's changes become one upsert of signed
deltas sorted by key (concurrent writers take the rows' locks in one order, as 0010 does
for the map cells); on SQLite row triggers upsert. Existing rows are counted in here.
"""
from alembic import op
import sqlalchemy as sa
import backend.models.types


revision = '0013_metric_hour'
down_revision = '0012_sign_ins'
branch_labels = None
depends_on = None

# The hour as each database stores a time (SQLite: the text SQLAlchemy writes).
_SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {})"
_PG_HOUR = "date_trunc('hour', {})"


def _deltas(rows: str, sign: int, hour: str) -> str:
    """(zone_id, hour, created, closed) deltas of a set of request_metric rows."""
    return (f"SELECT zone_id, {hour.format('created_at')} AS hour, {sign} AS created, "
            f"0 AS closed FROM {rows} "
            f"UNION ALL SELECT zone_id, {hour.format('closed_at')}, 0, {sign} FROM {rows} "
            f"WHERE closed_at IS NOT NULL")


def _upsert(deltas: str) -> str:
    """Adds the summed deltas; a removal from an hour with no row (after the table was
    emptied on its own) is dropped rather than stored as a negative count."""
    return (f"INSERT INTO metric_hour AS h (zone_id, hour, created, closed) "
            f"SELECT zone_id, hour, sum(created), sum(closed) FROM ({deltas}) AS d "
            f"GROUP BY zone_id, hour "
            f"HAVING sum(created) > 0 OR sum(closed) > 0 OR EXISTS (SELECT FROM metric_hour "
            f"AS m WHERE m.zone_id = d.zone_id AND m.hour = d.hour) "
            f"ORDER BY zone_id, hour "
            f"ON CONFLICT (zone_id, hour) DO UPDATE SET created = h.created + "
            f"EXCLUDED.created, closed = h.closed + EXCLUDED.closed;")


# -- PostgreSQL: statement triggers over transition tables -------------------------------

_PG_CHANGED = ("(SELECT {side}.* FROM old_rows AS o JOIN new_rows AS n "
               "ON n.request_id = o.request_id AND n.zone_id = o.zone_id "
               "WHERE (o.created_at, o.closed_at) IS DISTINCT FROM (n.created_at, n.closed_at))")

_PG_FUNCTIONS = {
    "metric_hour_on_insert": (
        "AFTER INSERT ON request_metric REFERENCING NEW TABLE AS new_rows",
        _upsert(_deltas("new_rows", 1, _PG_HOUR))),
    "metric_hour_on_delete": (
        "AFTER DELETE ON request_metric REFERENCING OLD TABLE AS old_rows",
        _upsert(_deltas("old_rows", -1, _PG_HOUR))),
    "metric_hour_on_update": (
        "AFTER UPDATE ON request_metric "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _upsert(_deltas(_PG_CHANGED.format(side="n") + " AS n", 1, _PG_HOUR)
                + " UNION ALL "
                + _deltas(_PG_CHANGED.format(side="o") + " AS o", -1, _PG_HOUR))),
}


# -- SQLite: row triggers ----------------------------------------------------------------

def _sqlite_count(row: str, column: str) -> str:
    created, closed = (1, 0) if column == "created_at" else (0, 1)
    return (f"INSERT INTO metric_hour (zone_id, hour, created, closed) "
            f"SELECT {row}.zone_id, {_SQLITE_HOUR.format(f'{row}.{column}')}, {created}, "
            f"{closed} WHERE {row}.{column} IS NOT NULL "
            f"ON CONFLICT (zone_id, hour) DO UPDATE SET created = created + {created}, "
            f"closed = closed + {closed};")


def _sqlite_uncount(row: str, column: str) -> str:
    counter = "created" if column == "created_at" else "closed"
    return (f"UPDATE metric_hour SET {counter} = {counter} - 1 "
            f"WHERE zone_id = {row}.zone_id AND hour = {_SQLITE_HOUR.format(f'{row}.{column}')};")


def _sqlite_add(row: str) -> str:
    return _sqlite_count(row, "created_at") + " " + _sqlite_count(row, "closed_at")


def _sqlite_remove(row: str) -> str:
    return _sqlite_uncount(row, "created_at") + " " + _sqlite_uncount(row, "closed_at")


_SQLITE_TRIGGERS = {
    "trg_metric_hour_insert": f"AFTER INSERT ON request_metric BEGIN {_sqlite_add('NEW')} END",
    "trg_metric_hour_delete": f"AFTER DELETE ON request_metric BEGIN {_sqlite_remove('OLD')} END",
    "trg_metric_hour_update": (
        "AFTER UPDATE OF zone_id, created_at, closed_at ON request_metric "
        "WHEN OLD.zone_id IS NOT NEW.zone_id OR OLD.created_at IS NOT NEW.created_at "
        "OR OLD.closed_at IS NOT NEW.closed_at "
        f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END"),
}


def upgrade() -> None:
    op.create_table('metric_hour',
    sa.Column('zone_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hour', backend.models.types.UTCDateTime(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('zone_id', 'hour', name=op.f('pk_metric_hour')),
    sqlite_with_rowid=False
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(f"INSERT INTO metric_hour (zone_id, hour, created, closed) "
               f"SELECT zone_id, hour, sum(created), sum(closed) "
               f"FROM ({_deltas('request_metric', 1, _SQLITE_HOUR if sqlite else _PG_HOUR)}) "
               f"AS d GROUP BY zone_id, hour")
    if sqlite:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        return
    for name, (event, body) in _PG_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN {body}\n RETURN NULL;\nEND $$")
        op.execute(f"CREATE TRIGGER trg_{name} {event} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{name} ON request_metric")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('metric_hour')
