"""The city's settings as submissions read them, kept in memory by each process.

A submission needs its service (with questions and department), the routing rules and the
service levels: read from the database each time, they cost more than the rest of the
submission. Each process keeps them instead, filed under the settings' *version*: a random
number stored in ``sync_counter`` under the name "settings" and replaced, in the same
transaction, by any change to a settings table (``SETTINGS_TABLES``) made through a
Session, whether by flushing objects or by an UPDATE/DELETE/INSERT statement. A reader
checks that one row (once per transaction) and rebuilds what it keeps when it differs, so
an edit made by any process is seen by all of them from its commit on.

Raw SQL on a bare connection does not replace the version; nothing in the app writes the
settings that way. Kept objects are loaded by a session of their own (so no request's
rollback can expire them) and are never changed; ``adopt`` gives a request its own copy.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from itertools import chain
from typing import TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from backend.models import SyncCounter

SETTINGS_TABLES = frozenset({"service", "service_attribute", "department", "crew",
                             "routing_rule", "service_level", "work_calendar"})
VERSION_NAME = "settings"
_MEMO = "frontdoor.settings_version"
_counter = SyncCounter.__table__
_READ_VERSION = select(_counter.c.value).where(_counter.c.name == VERSION_NAME)

T = TypeVar("T")
# database URL → (version, {name: value})
_kept: dict[str, tuple[int, dict[str, object]]] = {}


def cached(db: Session, name: str, build: Callable[[Session], T]) -> T:
    """What ``build`` returns for the settings as they are now: kept from an earlier call
    while the version is unchanged. ``build`` gets a session of its own on the same
    connection (and transaction); what it returns must not be attached to ``db``.
    Stores a first version when there is none, so call it from units of work that write."""
    version = _version(db)
    key = str(db.get_bind().url)
    kept = _kept.get(key)
    if kept is None or kept[0] != version:
        kept = _kept[key] = (version, {})
    values = kept[1]
    if name not in values:
        with Session(bind=db.connection(), expire_on_commit=False) as loader:
            values[name] = build(loader)
    return values[name]


def adopt(db: Session, kept: T) -> T:
    """The request's own copy of a kept object (and of what it has loaded), without a query."""
    return db.merge(kept, load=False)


def replace_version(db: Session) -> int:
    """Give the settings a new version (in the caller's transaction)."""
    version = secrets.randbits(62)
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(_counter).values(name=VERSION_NAME, value=version)
    db.connection().execute(statement.on_conflict_do_update(
        index_elements=[_counter.c.name], set_={"value": version}))
    db.info[_MEMO] = (db.get_transaction(), version)
    return version


def _version(db: Session) -> int:
    memo = db.info.get(_MEMO)
    transaction = db.get_transaction()
    if memo is not None and memo[0] is transaction and transaction is not None:
        return memo[1]
    version = db.connection().execute(_READ_VERSION).scalar()
    if version is None:  # a fresh or emptied table: any new number differs from all kept
        return replace_version(db)
    db.info[_MEMO] = (db.get_transaction(), version)
    return version


# -- every change to the settings replaces the version --------------------------------

@event.listens_for(Session, "after_flush")
def _after_flush(db: Session, _context) -> None:
    changed = chain(db.new, db.dirty, db.deleted)
    if any(getattr(obj, "__tablename__", None) in SETTINGS_TABLES for obj in changed):
        replace_version(db)


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in SETTINGS_TABLES:
        replace_version(state.session)
