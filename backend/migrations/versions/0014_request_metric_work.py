"""request metric work: each request's work orders and reopening, kept on its metric rows

Revision ID: 0014_request_metric_work
Revises: 0013_metric_hour
Create Date: 2026-12-08

First-time fix and the reopen rate read two more figures of each request: how many of its
work orders were not cancelled (``work_orders``) and whether it was ever reopened
(``reopened``: a status event to "reopened"). They go on every request_metric row of the
request, inside the covering indexes, so the headline numbers stay one index-only pass
instead of grouping every work order and probing every event.

Triggers keep them exact in the writing transaction by recounting the requests a statement
touched: on work_order (a row added or removed, its status crossing "cancelled", or moved to
another request), on event (a "reopened" event added, removed or changed), and on
request_metric itself (a zone row added later copies them). Recounting, rather than adding
and subtracting, cannot drift. On PostgreSQL they run once per statement over the
transition tables and only write rows whose figures change; on SQLite once per row.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_request_metric_work'
down_revision = '0013_metric_hour'
branch_labels = None
depends_on = None

_OLD_INDEXES = {  # 0011's
    "ix_request_metric_period": ["zone_id", "created_at", "service_id", "channel", "status",
                                 "closed_at", "expected_at", "close_seconds", "request_id"],
    "ix_request_metric_close": ["zone_id", "close_seconds", "created_at", "service_id",
                                "channel", "status", "closed_at", "expected_at", "request_id"],
    "ix_request_metric_service_close": ["zone_id", "service_id", "close_seconds", "created_at",
                                        "channel", "status", "closed_at", "expected_at",
                                        "request_id"],
}
_FIGURES = ["work_orders", "reopened"]
# The same columns with the two figures before request_id (kept last for lookups by it).
INDEXES = {name: columns[:-1] + _FIGURES + columns[-1:]
           for name, columns in _OLD_INDEXES.items()}


def _work_orders(request: str) -> str:
    return (f"(SELECT count(*) FROM work_order AS w WHERE w.request_id = {request} "
            f"AND w.status <> 'cancelled')")


def _reopened(request: str) -> str:
    return (f"EXISTS (SELECT 1 FROM event AS e WHERE e.request_id = {request} "
            f"AND e.new_status = 'reopened')")


# -- SQLite: row triggers ----------------------------------------------------------------

def _sqlite_recount(figure: str, count: str, requests: str) -> str:
    return (f"UPDATE request_metric SET {figure} = {count} "
            f"WHERE request_id IN ({requests}) AND {figure} IS NOT {count};")


_COUNTS = {"work_orders": _work_orders("request_metric.request_id"),
           "reopened": _reopened("request_metric.request_id")}
_COUNTED_ORDER = "coalesce({0}.status, '') <> 'cancelled'"
_REOPENING = "coalesce({0}.new_status, '') = 'reopened'"

_SQLITE_TRIGGERS = {
    "trg_request_metric_work_insert":
        f"AFTER INSERT ON work_order WHEN {_COUNTED_ORDER.format('NEW')} BEGIN "
        f"{_sqlite_recount('work_orders', _COUNTS['work_orders'], 'NEW.request_id')} END",
    "trg_request_metric_work_update":
        f"AFTER UPDATE OF status, request_id ON work_order "
        f"WHEN ({_COUNTED_ORDER.format('OLD')}) IS NOT ({_COUNTED_ORDER.format('NEW')}) "
        f"OR OLD.request_id IS NOT NEW.request_id BEGIN "
        f"{_sqlite_recount('work_orders', _COUNTS['work_orders'], 'OLD.request_id, NEW.request_id')}"
        f" END",
    "trg_request_metric_work_delete":
        f"AFTER DELETE ON work_order WHEN {_COUNTED_ORDER.format('OLD')} BEGIN "
        f"{_sqlite_recount('work_orders', _COUNTS['work_orders'], 'OLD.request_id')} END",
    "trg_request_metric_reopen_insert":
        f"AFTER INSERT ON event WHEN {_REOPENING.format('NEW')} BEGIN "
        f"{_sqlite_recount('reopened', _COUNTS['reopened'], 'NEW.request_id')} END",
    "trg_request_metric_reopen_update":
        f"AFTER UPDATE OF new_status, request_id ON event "
        f"WHEN ({_REOPENING.format('OLD')}) IS NOT ({_REOPENING.format('NEW')}) "
        f"OR OLD.request_id IS NOT NEW.request_id BEGIN "
        f"{_sqlite_recount('reopened', _COUNTS['reopened'], 'OLD.request_id, NEW.request_id')}"
        f" END",
    "trg_request_metric_reopen_delete":
        f"AFTER DELETE ON event WHEN {_REOPENING.format('OLD')} BEGIN "
        f"{_sqlite_recount('reopened', _COUNTS['reopened'], 'OLD.request_id')} END",
    # A zone row added to a request that already has work: copy its figures.
    "trg_request_metric_work_zone_insert":
        f"AFTER INSERT ON request_metric WHEN NEW.zone_id <> 0 BEGIN "
        f"UPDATE request_metric SET work_orders = {_COUNTS['work_orders']}, "
        f"reopened = {_COUNTS['reopened']} "
        f"WHERE request_id = NEW.request_id AND zone_id = NEW.zone_id "
        f"AND ({_COUNTS['work_orders']} > 0 OR {_COUNTS['reopened']}); END",
}


# -- PostgreSQL: statement triggers over transition tables -------------------------------

def _pg_recount(figure: str, count, requests: str) -> str:
    return (f"UPDATE request_metric AS m SET {figure} = c.figure "
            f"FROM (SELECT t.request_id, {count('t.request_id')} AS figure "
            f"FROM ({requests}) AS t) AS c "
            f"WHERE m.request_id = c.request_id AND m.{figure} IS DISTINCT FROM c.figure;")


def _both(condition: str) -> str:
    """Requests of updated rows whose old or new side matters (a change of either kind)."""
    return (f"SELECT o.request_id FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
            f"WHERE ({condition.format('o')}) IS DISTINCT FROM ({condition.format('n')}) "
            f"OR o.request_id <> n.request_id "
            f"UNION SELECT n.request_id FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
            f"WHERE ({condition.format('o')}) IS DISTINCT FROM ({condition.format('n')}) "
            f"OR o.request_id <> n.request_id")


def _pg_recounters(name: str, table: str, figure: str, count, condition: str) -> dict:
    """The insert, update and delete triggers that recount ``figure`` for ``table``."""
    def touched(rows: str) -> str:
        return f"SELECT DISTINCT request_id FROM {rows} WHERE {condition.format(rows)}"

    return {
        f"request_metric_on_{name}_insert": (
            f"AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
            _pg_recount(figure, count, touched("new_rows"))),
        f"request_metric_on_{name}_update": (
            f"AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _pg_recount(figure, count, _both(condition))),
        f"request_metric_on_{name}_delete": (
            f"AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
            _pg_recount(figure, count, touched("old_rows"))),
    }


_PG_FUNCTIONS = {
    **_pg_recounters("work", "work_order", "work_orders", _work_orders, _COUNTED_ORDER),
    **_pg_recounters("reopen", "event", "reopened", _reopened, _REOPENING),
    "request_metric_on_work_zone_insert": (
        "AFTER INSERT ON request_metric REFERENCING NEW TABLE AS new_rows",
        f"UPDATE request_metric AS m SET work_orders = {_work_orders('m.request_id')}, "
        f"reopened = {_reopened('m.request_id')} FROM new_rows AS n "
        f"WHERE n.zone_id <> 0 AND m.request_id = n.request_id AND m.zone_id = n.zone_id "
        f"AND ({_work_orders('n.request_id')} > 0 OR {_reopened('n.request_id')});"),
}


def _table_of(event: str) -> str:
    return event.split(" ON ")[1].split()[0]


def upgrade() -> None:
    for name in _OLD_INDEXES:
        op.drop_index(name, table_name='request_metric')
    op.add_column('request_metric', sa.Column('work_orders', sa.Integer(), nullable=False,
                                              server_default='0'))
    op.add_column('request_metric', sa.Column('reopened', sa.Boolean(), nullable=False,
                                              server_default=sa.false()))
    # Before the indexes: only requests with work or a reopening change (probed by their
    # indexes; an IN list of every work order would not fit a hash and rescan per row).
    op.execute(f"UPDATE request_metric SET work_orders = {_COUNTS['work_orders']}, "
               f"reopened = {_COUNTS['reopened']} "
               f"WHERE EXISTS (SELECT 1 FROM work_order AS w "
               f"WHERE w.request_id = request_metric.request_id) "
               f"OR {_COUNTS['reopened']}")
    for name, columns in INDEXES.items():
        op.create_index(name, 'request_metric', columns)
    if op.get_bind().dialect.name == "sqlite":
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
        for name, (event, _body) in _PG_FUNCTIONS.items():
            op.execute(f"DROP TRIGGER IF EXISTS trg_{name} ON {_table_of(event)}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for name in INDEXES:
        op.drop_index(name, table_name='request_metric')
    op.drop_column('request_metric', 'reopened')
    op.drop_column('request_metric', 'work_orders')
    for name, columns in _OLD_INDEXES.items():
        op.create_index(name, 'request_metric', columns)
