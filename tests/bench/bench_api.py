"""The API under load: submitting a report (no photo) and reading one by tracking number,
through gunicorn, on SQLite and on PostgreSQL, each beside a minimal Flask JSON endpoint
served by the same gunicorn settings in the same run.

Targets: reading ≥ 0.5× and submitting ≥ 0.15× the minimal endpoint's throughput,
p99 ≤ 25 ms, no errors. ``python -m tests.bench api [--quick] [--databases sqlite]``
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.request
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.db import make_engine
from backend.models import ServiceRequest
from tests.bench import load
from tests.bench.serve import (
    DATABASES,
    Server,
    Workers,
    fresh_database,
    gunicorn,
    load_demo,
    scratch_dir,
)
from tests.bench.table import print_table

CORES = os.cpu_count() or 1
MINIMAL_APP = "tests.bench.minimal_app:create_app()"
FRONTDOOR_APP = "backend:create_app()"
REPORT = {
    "service_code": "graffiti-removal",
    "lat": 34.0537,
    "lon": -118.2427,
    "address": "200 N Spring St",
    "description": "Tags on the wall by the bus stop.",
    "attributes": {"surface": "wall", "offensive": "no"},
}
TARGETS = {"get by tracking number": 0.5, "submit report": 0.15}
MAX_P99_MS = 25.0
TRACKING_SAMPLE = 2000


@dataclass
class Settings:
    seconds: float
    warmup: float
    connections: int
    workers: Workers
    databases: list[str]


def parse(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m tests.bench api", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s per scenario, 1 s warm-up")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--connections", type=int, default=8 * CORES)
    parser.add_argument("--workers", type=int, default=CORES, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--databases", default=",".join(DATABASES))
    args = parser.parse_args(argv)
    seconds, warmup = (3.0, 1.0) if args.quick else (args.seconds, args.warmup)
    return Settings(
        seconds=seconds,
        warmup=warmup,
        connections=args.connections,
        workers=Workers.for_clients(args.connections, args.workers, args.threads),
        databases=[d for d in args.databases.split(",") if d],
    )


def main(argv: list[str]) -> int:
    settings = parse(argv)
    load.ensure_wrk()
    print(
        f"{CORES} cores; gunicorn {settings.workers.describe()}, no access log; wrk "
        f"{settings.connections} keep-alive connections, {settings.warmup:g} s warm-up + "
        f"{settings.seconds:g} s per scenario",
        flush=True,
    )
    rows, misses = [], []
    for kind in settings.databases:
        results = measure_database(kind, settings)
        minimal = results["minimal endpoint"]
        for scenario, result in results.items():
            ratio = result.requests_per_s / minimal.requests_per_s
            rows.append(
                [
                    kind,
                    scenario,
                    result.requests_per_s,
                    ratio,
                    result.p50_ms,
                    result.p99_ms,
                    result.errors,
                ]
            )
            misses += missed_targets(kind, scenario, result, ratio)
    print()
    print_table(
        ["database", "scenario", "req/s", "ratio to minimal", "p50 ms", "p99 ms", "errors"], rows
    )
    print()
    for miss in misses:
        print(f"MISSED  {miss}")
    if not misses:
        print(
            f"all targets met (read ≥ {TARGETS['get by tracking number']}×, submit ≥ "
            f"{TARGETS['submit report']}×, p99 ≤ {MAX_P99_MS:g} ms, no errors)"
        )
    return 1 if misses else 0


def measure_database(kind: str, settings: Settings) -> dict[str, load.Result]:
    with fresh_database(kind) as url, scratch_dir() as data_dir:
        print(f"[{kind}] loading the demo city …", flush=True)
        load_demo(url, data_dir)
        trackings = sample_tracking_numbers(url)
        results = {}
        with gunicorn(MINIMAL_APP, workers=settings.workers, ready_path="/ok") as server:
            results["minimal endpoint"] = measure(server, load.Scenario.get(["/ok"]), settings)
        paths = [f"/api/v1/requests/{t}" for t in trackings]
        env = {"DATABASE_URL": url, "FRONTDOOR_DATA_DIR": str(data_dir)}
        with gunicorn(
            FRONTDOOR_APP, workers=settings.workers, env=env, ready_path=paths[0]
        ) as server:
            check_answers(server.url, paths[0])
            results["get by tracking number"] = measure(server, load.Scenario.get(paths), settings)
            submit = load.Scenario.post_json(
                "/api/v1/requests", REPORT, unique_idempotency_keys=True
            )
            results["submit report"] = measure(server, submit, settings)
        for scenario, result in results.items():
            print(
                f"[{kind}] {scenario}: {result.requests_per_s:,.0f} req/s, "
                f"p99 {result.p99_ms:.1f} ms, {result.errors} errors, server CPU "
                f"{_ms(result.cpu_ms_per_request)} per request",
                flush=True,
            )
        return results


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def measure(server: Server, scenario: load.Scenario, settings: Settings) -> load.Result:
    """A warm-up run (discarded: imports, connection pools, caches), then the measured one."""
    load.run(server, scenario, seconds=settings.warmup, connections=settings.connections)
    return load.run(
        server, scenario.fresh(), seconds=settings.seconds, connections=settings.connections
    )


def sample_tracking_numbers(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    select(ServiceRequest.tracking).order_by(func.random()).limit(TRACKING_SAMPLE)
                )
            )
    finally:
        engine.dispose()


def check_answers(base: str, get_path: str) -> None:
    """One of each request, checked by hand, so the load runs measure success, not errors."""
    with urllib.request.urlopen(base + get_path, timeout=10) as answer:
        read_ok = answer.status == 200
    post = urllib.request.Request(
        base + "/api/v1/requests",
        data=json.dumps(REPORT).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(post, timeout=10) as answer:
        submit_ok = answer.status == 201 and bool(json.load(answer).get("tracking"))
    if not (read_ok and submit_ok):
        raise RuntimeError("the app does not answer a read with 200 and a report with 201")


def missed_targets(kind: str, scenario: str, result: load.Result, ratio: float) -> list[str]:
    misses = []
    if result.errors:
        misses.append(f"{kind} {scenario}: {result.errors} errors {result.error_counts}")
    if scenario in TARGETS:
        if ratio < TARGETS[scenario]:
            misses.append(
                f"{kind} {scenario}: {ratio:.2f}× the minimal endpoint "
                f"(target ≥ {TARGETS[scenario]}×)"
            )
        if result.p99_ms > MAX_P99_MS:
            misses.append(
                f"{kind} {scenario}: p99 {result.p99_ms:.1f} ms (target ≤ {MAX_P99_MS:g} ms)"
            )
    return misses
