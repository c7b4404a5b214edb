"""Structured logs: JSON lines carrying the request id, in the app and under real gunicorn."""

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backend import logging_setup
from backend.logging_setup import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_lines():
    """JSON lines written by the 'backend' loggers during the test, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("backend")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_every_line_of_a_request_carries_its_id(database_url, tmp_path, log_lines):
    from backend import create_app
    from backend.config import Config

    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    app = create_app(Config(DATABASE_URL=database_url, PHOTO_DIR=str(blocker), TESTING=True),
                     commands=False)
    try:
        answer = app.test_client().get("/readyz", headers={"X-Request-Id": "desk-42"})
    finally:
        app.extensions["frontdoor.db"]["engine"].dispose()
    assert answer.status_code == 503
    assert answer.headers["X-Request-Id"] == "desk-42"
    lines = log_lines()
    assert lines, "the failed readiness check is logged"
    assert {line["request_id"] for line in lines} == {"desk-42"}
    assert lines[0]["level"] == "WARNING" and "Traceback" in lines[0]["exception"]
    assert logging_setup.current_request_id() is None  # unbound once the request ended


@pytest.mark.parametrize("sent", ["", "a" * 129, "forged line with spaces", 'quote"s', "ünïcode"])
def test_unusable_request_ids_are_replaced(client, sent):
    answer = client.get("/healthz", headers={"X-Request-Id": sent})
    given = answer.headers["X-Request-Id"]
    assert given != sent and len(given) == 32 and given.isalnum()


def test_a_line_has_time_level_logger_message_and_extras():
    record = logging.LogRecord("backend.x", logging.INFO, __file__, 1, "sent %d", (3,), None)
    record.channel = "email"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sent 3" and line["channel"] == "email"
    assert line["level"] == "INFO" and line["logger"] == "backend.x"
    assert line["time"].endswith("+00:00") and line["request_id"] is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn_server(database_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PHOTO_DIR": str(tmp_path),
           "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "backend/gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "backend:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
        yield base, log_path
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_gunicorn_writes_json_access_lines_with_the_request_id(gunicorn_server):
    base, log_path = gunicorn_server
    call = urllib.request.Request(f"{base}/readyz?probe=1", headers={"X-Request-Id": "lb-9"})
    with urllib.request.urlopen(call, timeout=10) as answer:
        assert answer.status == 200 and answer.headers["X-Request-Id"] == "lb-9"
    time.sleep(0.3)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"
              and line.get("request_id") == "lb-9"]
    assert len(access) == 1, lines
    assert access[0] | {"duration_ms": 0, "bytes": 0, "time": "", "user_agent": ""} == {
        "time": "", "level": "INFO", "logger": "gunicorn.access", "message": "request",
        "request_id": "lb-9", "method": "GET", "path": "/readyz", "query": "probe=1",
        "status": 200, "bytes": 0, "duration_ms": 0, "remote": "127.0.0.1", "user_agent": ""}
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # startup lines too
