"""The plain server's gunicorn settings: one process per core, and a worker's start-up
objects kept out of the garbage collector's passes."""

import gc
import os
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "backend" / "gunicorn.conf.py"


def load_settings(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_one_process_per_core_unless_told(monkeypatch):
    assert load_settings(monkeypatch)["workers"] == os.cpu_count()
    assert load_settings(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


def test_a_loaded_worker_freezes_what_the_app_made(monkeypatch):
    settings = load_settings(monkeypatch)
    made_at_start = [[n] for n in range(1000)]
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() >= len(made_at_start)
    finally:
        gc.unfreeze()
