"""Serving something to measure: a fresh database with the demo city, and gunicorn on a
free port.

    with fresh_database("postgresql") as url:
        load_demo(url)
        with gunicorn("backend:create_app()", workers=Workers(3, 4),
                      env={"DATABASE_URL": url}) as server:
            ...  # server.url is "http://127.0.0.1:<port>"; server.cpu_seconds() its CPU use
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "backend" / "gunicorn.conf.py"
PG_ADMIN_URL = os.environ.get("FRONTDOOR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Workers:
    """How gunicorn runs the app: processes × threads (gthread keeps connections alive)."""

    processes: int
    threads: int = 1
    worker_class: str = "gthread"
    # Clients one process takes at most; spreads keep-alive connections over the processes.
    connections: int | None = None

    @classmethod
    def for_clients(cls, clients: int, processes: int, threads: int) -> Workers:
        """Each process capped at its share of ``clients`` (plus one), so all of them serve."""
        return cls(processes, threads, connections=-(-clients // processes) + 1)

    def describe(self) -> str:
        cap = f", at most {self.connections} clients each" if self.connections else ""
        return f"{self.processes} × {self.worker_class}, {self.threads} thread(s){cap}"

    def args(self) -> list[str]:
        cap = ["--worker-connections", str(self.connections)] if self.connections else []
        return ["--workers", str(self.processes), "--threads", str(self.threads),
                "--worker-class", self.worker_class, *cap]


@contextmanager
def scratch_dir(prefix: str = "frontdoor-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def fresh_database(kind: str, folder: Path | None = None) -> Iterator[str]:
    """A new empty database; yields its URL. PostgreSQL ones are dropped afterwards."""
    if kind == "sqlite":
        with scratch_dir() as tmp:
            yield f"sqlite:///{(folder or tmp) / 'bench.db'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    name = f"frontdoor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_demo(database_url: str, data_dir: Path | None = None) -> None:
    """Schema, demo catalog, zones, staff and the 10,000 LA requests, by the real CLI."""
    with scratch_dir() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "FRONTDOOR_DATA_DIR": str(data_dir or tmp),
        }
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "backend", "demo", "load"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"demo load failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn and its live workers: divided by the requests
        served in between, a cost per request that other load on the machine barely moves."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(stat.parent.name) == self.pid or int(fields[1]) == self.pid:
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / tick


@contextmanager
def gunicorn(
    app_spec: str,
    *,
    workers: Workers,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
    extra_args: list[str] | None = None,
    timeout: float = 60,
) -> Iterator[Server]:
    """Serve ``app_spec`` with backend/gunicorn.conf.py, overridden by ``workers`` and with
    no access log (so logging does not count)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        *workers.args(),
        *(extra_args or []),
        app_spec,
    ]
    # Measured clients all come from 127.0.0.1: rate limits would refuse them.
    server_env = {**os.environ, "GUNICORN_ACCESS_LOG": "", "RATELIMIT_ENABLED": "false",
                  **(env or {})}
    with scratch_dir("frontdoor-gunicorn-") as tmp:
        log_path = tmp / "gunicorn.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(process, base + ready_path, timeout, log_path)
            yield Server(base, process.pid)
        finally:
            _stop(process)


def _wait_until_serving(
    process: subprocess.Popen, url: str, timeout: float, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; the status is the scenario's business
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
