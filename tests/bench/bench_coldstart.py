"""Cold start of the Lambda HTTP function: import + app creation, in fresh processes.

Each step runs in a new Python process (as a new Lambda instance would), several times;
the table shows medians. The floor is a process that only does ``import flask``, in
the same run, so a busy machine moves both alike. Target: the HTTP handler ready in
≤ 300 ms. Also shown: the first request after that (liveness, and readiness on each
database), the full app with the `flask` commands (the plain server's path), and what
reading the secrets from SSM adds on Lambda (importing boto3 and making a client).

Every probe but one reads bytecode that an earlier run wrote. The Lambda artefact holds
none (and /var/task is read-only, so Python cannot keep what it compiles): "as packaged
for Lambda" is the HTTP handler made with bytecode for the standard library only, the
app and every library compiled from source, as each new Lambda instance does.

    python -m tests.bench coldstart [--runs 7] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from tests.bench.table import print_table

ROOT = Path(__file__).resolve().parents[2]
TARGET_MS = 300.0
HEAVY = ("boto3", "botocore", "PIL", "pillow_heif", "shapely", "numpy", "alembic", "argon2")
PG_URL = os.environ.get("FRONTDOOR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

# Each probe prints {"ms": ..., "heavy": [...]}; the clock starts before the first import.
PRELUDE = "import time, json, sys; t0 = time.perf_counter()\n"
REPORT = ("print(json.dumps({'ms': (time.perf_counter() - t0) * 1000, "
          f"'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n")

HEALTHZ_EVENT = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/healthz", "rawQueryString": "",
    "headers": {"host": "api.example.org", "x-forwarded-proto": "https",
                "x-forwarded-port": "443"},
    "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName":
                       "api.example.org", "http": {"method": "GET", "path": "/healthz",
                                                   "protocol": "HTTP/1.1",
                                                   "sourceIp": "192.0.2.1",
                                                   "userAgent": "bench"},
                       "requestId": "bench", "routeKey": "$default", "stage": "$default",
                       "time": "01/Jan/2025:00:00:00 +0000", "timeEpoch": 0},
    "isBase64Encoded": False,
}


def _request(path: str) -> str:
    event = json.loads(json.dumps(HEALTHZ_EVENT))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return (f"answer = h.http({event!r}, None)\n"
            "assert answer['statusCode'] == 200, answer\n")


READY = "import backend.lambda_handlers as h\nh.http_handler()\n"
AS_PACKAGED = "  as packaged for Lambda (no bytecode)"
PROBES = {
    "import flask (floor)": "import flask\n",
    "HTTP handler ready": READY,
    AS_PACKAGED: READY,
    "  + first GET /healthz": "import backend.lambda_handlers as h\n" + _request("/healthz"),
    "  + first GET /readyz": "import backend.lambda_handlers as h\n" + _request("/readyz"),
    "full app with commands": "from backend import create_app\ncreate_app()\n",
    "SSM client (Lambda only)": "import boto3\nboto3.client('ssm', region_name='us-east-1')\n",
}
PER_DATABASE = {"  + first GET /readyz"}


def run_probe(code: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-c", PRELUDE + code + REPORT], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"probe failed:\n{code}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def environment(database_url: str, data_dir: str) -> dict[str, str]:
    # Any value of PYTHONDONTWRITEBYTECODE, "0" too, stops Python writing bytecode: without
    # it, the first probe writes what the next ones read (files edited since the last
    # write would otherwise be compiled again in every probe).
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_SSM_PARAMETER") and k not in {"DATABASE_URL", "SECRET_KEY"}
           and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(DATABASE_URL=database_url, FRONTDOOR_DATA_DIR=data_dir, PHOTO_STORAGE="local",
               AWS_LAMBDA_FUNCTION_NAME="frontdoor-bench-api", LOG_LEVEL="WARNING")
    return env


def standard_library_bytecode_only(env: dict[str, str], cache_dir: str) -> dict[str, str]:
    """``env`` with bytecode for the standard library only, as Lambda's runtime has it."""
    run_probe(READY, dict(env, PYTHONPYCACHEPREFIX=cache_dir))  # writes all it imports
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    for cached in Path(cache_dir).rglob("*.pyc"):
        source_dir = Path("/", cached.parent.relative_to(cache_dir))
        if not source_dir.is_relative_to(stdlib) or \
                {"site-packages", "dist-packages"} & set(source_dir.parts):
            cached.unlink()
    return dict(env, PYTHONPYCACHEPREFIX=cache_dir, PYTHONDONTWRITEBYTECODE="1")


def measure(runs: int, databases: list[str]) -> list[list[object]]:
    rows = []
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as cache:
        urls = {"sqlite": f"sqlite:///{data_dir}/bench.db", "postgresql": PG_URL}
        base_env = environment(urls["sqlite"], data_dir)
        run_probe(READY, base_env)  # writes the bytecode the other probes read
        packaged_env = standard_library_bytecode_only(base_env, cache)
        floor = None
        for name, code in PROBES.items():
            for database in (databases if name in PER_DATABASE else [None]):
                env = environment(urls[database], data_dir) if database else base_env
                env = packaged_env if name == AS_PACKAGED else env
                results = [run_probe(code, env) for _ in range(runs)]
                median = statistics.median(r["ms"] for r in results)
                floor = median if floor is None else floor
                label = f"{name} ({database})" if database else name
                rows.append([label, median, min(r["ms"] for r in results),
                             median - floor, ", ".join(results[-1]["heavy"]) or "-"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_coldstart")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    rows = measure(runs, [d for d in args.databases.split(",") if d])
    print(f"fresh processes, {runs} runs each, milliseconds (median, best, median − floor)")
    print_table(["step", "median ms", "best ms", "over floor", "heavy modules loaded"], rows)
    ready = next(r[1] for r in rows if r[0] == "HTTP handler ready")
    verdict = "met" if ready <= TARGET_MS else "MISSED"
    print(f"HTTP handler ready: {ready:.0f} ms (target ≤ {TARGET_MS:.0f} ms): {verdict}")
    return 0 if ready <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
