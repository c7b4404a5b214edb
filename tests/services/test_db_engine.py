"""The engine's tuning: SQLite writers queue on a file lock and take turns; PostgreSQL
connections are pinged only after a pause, and one cut while idle is replaced."""

import threading
import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from backend import db
from backend.db import make_engine


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, who TEXT)")
    yield engine
    engine.dispose()


def writer(engine):
    return sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"))


def test_sqlite_pragmas(sqlite_engine):
    with sqlite_engine.connect() as connection:
        def pragma(name):
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()
        assert pragma("journal_mode") == "wal" and pragma("foreign_keys") == 1
        assert pragma("cache_size") == -16000 and pragma("mmap_size") == 268435456


def test_sqlite_writers_take_turns_and_a_failed_one_lets_go(sqlite_engine):
    first_inside, second_done = threading.Event(), threading.Event()
    order = []

    def first():
        with writer(sqlite_engine)() as session:
            session.execute(text("INSERT INTO note (who) VALUES ('first')"))
            first_inside.set()
            time.sleep(0.3)  # the second writer must wait here, not fail
            order.append("first")
            session.commit()

    def second():
        first_inside.wait(5)
        with writer(sqlite_engine)() as session:
            session.execute(text("INSERT INTO note (who) VALUES ('second')"))
            order.append("second")
            session.commit()
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert second_done.is_set() and order == ["first", "second"]

    with pytest.raises(RuntimeError), writer(sqlite_engine)() as session:
        session.execute(text("INSERT INTO note (who) VALUES ('rolled back')"))
        raise RuntimeError("the view failed")
    with writer(sqlite_engine)() as session:  # would wait forever if the lock were kept
        session.execute(text("INSERT INTO note (who) VALUES ('third')"))
        session.commit()
    with sqlite_engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT who FROM note ORDER BY id").scalars().all()
    assert rows == ["first", "second", "third"]


def test_sqlite_writer_lock_is_one_per_file(tmp_path):
    path = str(tmp_path / "same.db")
    assert db.writer_queue(path) is db.writer_queue(path)
    assert db.writer_queue(":memory:") is None


def test_postgres_pings_only_after_a_pause(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL connection pool")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or real_ping(c))
    try:
        for _ in range(3):
            with engine.connect() as connection:
                first_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert pings == []  # a busy pool reuses its connection as is

        # A restart or an idle timeout cuts the pooled connection.
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [first_pid])
        monkeypatch.setattr(db, "IDLE_BEFORE_PING_S", 0.0)
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert pings and pid != first_pid
    finally:
        engine.dispose()


def test_sqlite_write_sessions_take_the_lock_at_their_first_write(sqlite_engine):
    """A write session reads without holding the writers' lock; its first write takes it."""
    queue = db.writer_queue(sqlite_engine.url.database)
    on_write = sessionmaker(sqlite_engine.execution_options(sqlite_begin="ON_WRITE"))
    with on_write() as session:
        assert session.execute(text("SELECT count(*) FROM note")).scalar() == 0
        with writer(sqlite_engine)() as other:  # not blocked by the reading session
            other.execute(text("INSERT INTO note (who) VALUES ('other')"))
            other.commit()
        assert session.execute(text("SELECT count(*) FROM note")).scalar() == 1
        session.execute(text("INSERT INTO note (who) VALUES ('mine')"))
        assert not queue._threads.acquire(blocking=False)  # held until the commit
        session.commit()
    assert queue._threads.acquire(blocking=False)
    queue._threads.release()
    with on_write() as session:  # a session that never writes leaves no transaction open
        session.execute(text("SELECT 1"))
        session.commit()
    with sqlite_engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT who FROM note ORDER BY id").scalars().all()
    assert rows == ["other", "mine"]


def test_read_only_units_skip_begin_and_commit_on_postgres(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL transactions")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)

    def autocommit(session):
        return session.connection().connection.dbapi_connection.autocommit

    try:
        with Session(engine) as session:
            db.read_only(session)
            assert session.execute(text("SELECT 1")).scalar() == 1 and autocommit(session)
            session.commit()
        with Session(engine) as session:  # the pooled connection is back to transactions
            assert autocommit(session) is False
    finally:
        engine.dispose()
