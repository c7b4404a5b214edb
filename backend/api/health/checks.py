"""Readiness probes: the database answers SELECT 1; the photo storage takes a write.

Each probe returns a small verdict (ok, milliseconds, and on failure only the error's
class name: connection strings and bucket policies stay in the log, not the answer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend.media.storage import storage_from_settings

log = logging.getLogger(__name__)

# Overwritten by every probe, then deleted: one tiny object, never a growing pile.
PROBE_KEY = "health/readyz-probe.txt"


@dataclass
class Verdict:
    ok: bool
    ms: float
    error: str | None = None
    facts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        body = {"ok": self.ok, "ms": round(self.ms, 1), **self.facts}
        if self.error:
            body["error"] = self.error
        return body


def timed(name: str, probe: Callable[[], dict | None]) -> Verdict:
    started = time.perf_counter()
    try:
        facts = probe() or {}
    except Exception as exc:  # a readiness probe reports every failure, it never raises
        log.warning("readiness check %s failed", name, exc_info=True)
        return Verdict(False, _ms_since(started), error=type(exc).__name__)
    return Verdict(True, _ms_since(started), facts=facts)


def check_database(engine: Engine) -> dict:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()
    return {"dialect": engine.dialect.name}


def check_storage(settings: Mapping) -> dict:
    """Write, read back and delete one small object where photos go."""
    storage = storage_from_settings(settings)
    payload = f"readyz {time.time():.3f}".encode()
    storage.put(PROBE_KEY, payload, "text/plain")
    try:
        if storage.get(PROBE_KEY) != payload:
            raise OSError("the storage returned different bytes than were written")
    finally:
        storage.delete(PROBE_KEY)
    return {"backend": settings["PHOTO_STORAGE"]}


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
