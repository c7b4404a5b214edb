"""Where one request's time goes: SQL statements per request and a cProfile of many, run
in-process through Flask's test client (no server, no load generator), so the figures
repeat even on a busy machine, unlike wall-clock throughput.

    python -m tests.bench.profile_requests get --database postgresql -n 300
    python -m tests.bench.profile_requests submit --url sqlite:////tmp/demo.db --sql
    python -m tests.bench.profile_requests nearby --hooks  # calls by hook, view, Flask

Scenarios: ``get`` (a request by tracking number), ``submit`` (a report, no photo, a new
Idempotency-Key each time), ``nearby`` (50 open requests within 2 km), ``duplicates`` (the
check before a graffiti report), ``minimal`` (the
reference endpoint of tests/bench/minimal_app.py). Without ``--url`` a fresh database of
the given kind is filled with the demo city first.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack

from sqlalchemy import event, select

from tests.bench.bench_api import REPORT
from tests.bench.serve import fresh_database, load_demo, scratch_dir

SCENARIOS = ("get", "submit", "nearby", "duplicates", "minimal")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile_requests",
                                     description=__doc__)
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--url", help="a database already holding the demo city")
    parser.add_argument("-n", type=int, default=300, help="requests profiled")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--hooks", action="store_true",
                        help="calls per request by request hook, view and Flask's own steps")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.url
        if not url and args.scenario != "minimal":
            url = stack.enter_context(fresh_database(args.database))
            print(f"loading the demo city into {args.database} …", flush=True)
            load_demo(url)
        data_dir = stack.enter_context(scratch_dir())
        profile(args, url, data_dir)
    return 0


def profile(args, url: str | None, data_dir) -> None:
    client, engine = make_client(args.scenario, url, data_dir)
    send = request_maker(args.scenario, client, engine)
    statements: list[str] = []
    if engine is not None:
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, sql, *_: statements.append(sql))
    for _ in range(20):  # warm caches, pools and lazy imports
        send()
    statements.clear()
    send()
    one_request = list(statements)
    statements.clear()
    plain_started = time.perf_counter()
    for _ in range(args.n):
        send()
    plain = (time.perf_counter() - plain_started) / args.n * 1000
    statements.clear()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        send()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.scenario}: {plain:.2f} ms per request ({elapsed / args.n * 1000:.2f} ms under "
          f"the profiler); {len(statements) / args.n:.1f} SQL statements per request")
    for verb, count in Counter(s.split(None, 1)[0].upper() for s in one_request).items():
        print(f"  {verb:8} {count}")
    if args.sql:
        for sql in one_request:
            print("---\n" + " ".join(sql.split())[:400])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    # Function calls per request: the steadiest figure on a busy machine.
    print(f"  {stats.total_calls / args.n:,.0f} Python function calls per request")
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    if args.hooks:
        print_calls_by_part(client.application, send, args.n)


# Flask's own steps, named by the function that runs them; the app's hooks are added.
FLASK_PARTS = {
    "FlaskClient.open": "test client (not the app)",
    "Flask.wsgi_app": "Flask: routing, request and response objects",
    "RequestContext.push": "Flask: request context push",
    "RequestContext.pop": "Flask: request context pop",
    "Flask.preprocess_request": "Flask: before-request dispatch",
    "Flask.process_response": "Flask: after-request dispatch",
    "Flask.dispatch_request": "view",
    "jsonify": "jsonify",
    "Flask.make_response": "make_response",
}


def print_calls_by_part(app, send, n: int) -> None:
    """Each call (Python or C) counted once, for the innermost part on the stack."""
    parts = dict(FLASK_PARTS)
    hooks = [*app.before_request_funcs.values(), *app.after_request_funcs.values(),
             *app.teardown_request_funcs.values(), app.teardown_appcontext_funcs]
    for hook in (h for group in hooks for h in group):
        hook = getattr(hook, "__func__", hook)
        parts[hook.__qualname__] = f"hook {hook.__module__}.{hook.__name__}"
    interface = type(app.session_interface).__name__
    parts[f"{interface}.open_session"] = parts[f"{interface}.save_session"] = "cookie session"
    counts: Counter = Counter()

    def count(frame, event, _arg) -> None:
        if event not in ("call", "c_call"):
            return
        while frame is not None:
            part = parts.get(frame.f_code.co_qualname)
            if part:
                counts[part] += 1
                return
            frame = frame.f_back
        counts["outside"] += 1

    sys.setprofile(count)
    try:
        for _ in range(n):
            send()
    finally:
        sys.setprofile(None)
    print(f"calls per request by part ({sum(counts.values()) / n:,.0f} in all):")
    for part, calls in counts.most_common():
        print(f"  {calls / n:8.1f}  {part}")


def make_client(scenario: str, url: str | None, data_dir):
    if scenario == "minimal":
        from tests.bench.minimal_app import create_app as minimal_app

        return minimal_app().test_client(), None
    from backend import create_app
    from backend.config import Config

    os.environ.setdefault("RATELIMIT_ENABLED", "false")  # measure the work, not the limiter
    app = create_app(Config.from_env(DATABASE_URL=url, PHOTO_DIR=str(data_dir)),
                     commands=False)
    return app.test_client(), app.extensions["frontdoor.db"]["engine"]


def request_maker(scenario: str, client, engine):
    if scenario == "minimal":
        return lambda: _ok(client.get("/ok"))
    if scenario == "submit":
        return lambda: _ok(client.post("/api/v1/requests", json=REPORT,
                                       headers={"Idempotency-Key": uuid.uuid4().hex}))
    if scenario == "get":
        paths = [f"/api/v1/requests/{t}" for t in _trackings(engine)]
        return lambda: _ok(client.get(random.choice(paths)))
    rng = random.Random(7)
    if scenario == "duplicates":
        return lambda: _ok(client.get(
            f"/api/v1/requests/duplicates?lat={34.05 + rng.uniform(-0.05, 0.05):.6f}"
            f"&lon={-118.25 + rng.uniform(-0.05, 0.05):.6f}&service=graffiti-removal"))
    return lambda: _ok(client.get(
        f"/api/v1/requests/nearby?lat={34.05 + rng.uniform(-0.05, 0.05):.6f}"
        f"&lon={-118.25 + rng.uniform(-0.05, 0.05):.6f}&radius=2000&limit=50"))


def _trackings(engine) -> list[str]:
    from backend.models import ServiceRequest

    with engine.connect() as connection:
        return list(connection.scalars(select(ServiceRequest.tracking).limit(2000)))


def _ok(response) -> None:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")


if __name__ == "__main__":
    raise SystemExit(main())
