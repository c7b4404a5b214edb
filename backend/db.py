"""The database: engine, one session per request, and the unit of work.

``session()`` gives the session of the current request (or CLI command). The
request commits once, after the view succeeded (see ``backend.app``); models
and services never commit.

SQLite runs in WAL mode with a busy timeout. Write requests read without a
transaction until their first write, which opens one with ``BEGIN IMMEDIATE``:
concurrent writers then queue for the lock instead of failing on a stale
snapshot, and hold it only from their first write to their commit (the reads
before it see the latest committed data, as PostgreSQL's READ COMMITTED does).
They queue on a file lock beside the database (``WriterQueue``), which wakes the
next writer the moment the lock is free; SQLite's own busy handler sleeps in
steps of up to 100 ms and, with a dozen writers, left the lock idle most of the
time (measured: 50 submissions per second, p99 3.4 s).

PostgreSQL connections are checked with a ping only when they come back from a
pause (``IDLE_BEFORE_PING_S``), when a restart or an idle timeout may have cut
them; a busy server reuses its connections without the extra round trip.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import MetaData, create_engine, event, exc, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Per connection; the memory map is the operating system's page cache, shared by all.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-16000",  # KiB: 16 MB of pages kept by each connection
    "PRAGMA mmap_size=268435456",  # read up to 256 MB of the file without copying it
    "PRAGMA temp_store=MEMORY",
)
IDLE_BEFORE_PING_S = 10.0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **options) -> Engine:
    if url.startswith("sqlite"):
        _make_parent_folder(url)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               **options)
        _tune_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if "poolclass" not in options:
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            # One request at a time per Lambda instance: one connection, kept between
            # invocations (pinged after a pause), renewed before idle timeouts cut it.
            options.setdefault("pool_size", 1)
            options.setdefault("max_overflow", 0)
            options.setdefault("pool_recycle", 280)
        options.setdefault("pool_size", 5)
        options.setdefault("max_overflow", 10)
    engine = create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat unused for a while; a dead one
    is replaced by the pool (DisconnectionError makes it connect afresh)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        record.record_info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.record_info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"connection lost while idle: {error}") from error


def _make_parent_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine: Engine) -> None:
    queue = writer_queue(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    def begin_immediate(dbapi_connection, held: dict) -> None:
        if queue is not None and not held.get("writer"):
            queue.acquire()
            held["writer"] = True
        dbapi_connection.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # sqlite_begin: DEFERRED (reads), IMMEDIATE, or ON_WRITE (IMMEDIATE at the first
        # statement that is not a SELECT; until then each read stands alone).
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        held = connection.connection.record_info
        if mode == "ON_WRITE":
            held["begin_on_write"] = True
        elif mode == "IMMEDIATE":
            begin_immediate(connection.connection.dbapi_connection, held)
        else:
            connection.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "before_cursor_execute")
    def on_statement(connection, cursor, statement, _parameters, _context, _executemany):
        held = connection.connection.record_info
        if held.get("begin_on_write") and not _is_select(statement):
            del held["begin_on_write"]
            begin_immediate(connection.connection.dbapi_connection, held)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection):
        connection.connection.record_info.pop("begin_on_write", None)

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        # After the commit or rollback: a session hands its connection back at once.
        record.record_info.pop("begin_on_write", None)
        if record.record_info.pop("writer", False):
            queue.release()


def _is_select(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT"


class WriterQueue:
    """One SQLite file's writers, one at a time: threads of a process take turns on a lock,
    then the process holds an exclusive flock on ``<database>-writer.lock`` until its write
    transaction ends. The kernel wakes the next waiter as soon as the lock is free."""

    def __init__(self, database: Path):
        self.path = database.with_name(database.name + "-writer.lock")
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    def acquire(self) -> None:
        # A thread already writing through another connection would wait for itself
        # forever: give up after the busy timeout, as SQLite itself would.
        if not self._threads.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_UN)
        self._threads.release()

    def _file(self) -> int:
        # Opened again in each process: a descriptor shared over fork shares its flock.
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd


_writer_queues: dict[Path, WriterQueue] = {}
_writer_queues_lock = threading.Lock()


def writer_queue(database: str | None) -> WriterQueue | None:
    """The queue of this database file (one per file and process); None in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).resolve()
    with _writer_queues_lock:
        return _writer_queues.setdefault(path, WriterQueue(path))


def is_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


# -- wiring into Flask ------------------------------------------------------

def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["frontdoor.db"] = {
        "engine": engine,
        "read": sessionmaker(engine, expire_on_commit=False),
        "write": sessionmaker(engine.execution_options(sqlite_begin="ON_WRITE"),
                              expire_on_commit=False),
    }
    app.teardown_appcontext(close_session)


def engine() -> Engine:
    return current_app.extensions["frontdoor.db"]["engine"]


def session() -> Session:
    """The session of the current request or command, made on first use."""
    if "db_session" not in g:
        makers = current_app.extensions["frontdoor.db"]
        g.db_session = makers["write" if g.get("db_writes", True) else "read"]()
    return g.db_session


def set_write_intent(writes: bool) -> None:
    """Declare, before the first query, whether this unit of work will write."""
    g.db_writes = writes


def read_only(db: Session) -> Session:
    """Declare, before its first query, that this unit of work only reads. On PostgreSQL
    its statements then run in autocommit, saving the BEGIN and COMMIT round trips; each
    sees the latest commits, as it would inside a READ COMMITTED transaction anyway. SQLite
    keeps its read transaction (one snapshot for every read, at no cost)."""
    if not db.in_transaction() and db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return db


def commit_if_used() -> None:
    if has_app_context() and "db_session" in g:
        g.db_session.commit()


def close_session(_exc=None) -> None:
    db = g.pop("db_session", None)
    if db is not None:
        db.close()  # rolls back anything not committed
