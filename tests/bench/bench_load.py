"""Load with nothing lost, the long run: residents reporting (with photos and replays), a
dispatcher assigning and crews completing, at once, against gunicorn on a database with the
demo city (10,000 LA requests), on SQLite and PostgreSQL. Each database gets a clean run
(throughput and p99 per operation) and a fault run (a worker SIGKILLed at a third, the
whole server killed and restarted at two thirds); after each, every acknowledged write is
checked in the database (tests/load/proof.py).

Rate limits are off in the server under test: every client comes from 127.0.0.1.

    python -m tests.bench load [--quick] [--seconds 30] [--residents 12]
                               [--databases sqlite] [--no-faults]

Exit status is non-zero when anything was lost, doubled or inconsistent, or any answer or
server log line was an error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from tests.bench.serve import DATABASES, fresh_database, load_demo, scratch_dir
from tests.bench.table import print_table
from tests.load.scenario import Outcome, Settings, run_load

CORES = os.cpu_count() or 1


def parse(argv: list[str]) -> tuple[Settings, list[str], bool]:
    parser = argparse.ArgumentParser(prog="python -m tests.bench load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 s runs, 6 residents")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--residents", type=int, default=12)
    parser.add_argument("--crew-threads", type=int, default=2, help="per crew account")
    parser.add_argument("--workers", type=int, default=CORES, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--databases", default=",".join(DATABASES))
    parser.add_argument("--no-faults", action="store_true", help="skip the fault runs")
    args = parser.parse_args(argv)
    seconds, residents = (8.0, 6) if args.quick else (args.seconds, args.residents)
    settings = Settings(seconds=seconds, residents=residents, crew_threads=args.crew_threads,
                        processes=args.workers, threads=args.threads, drain_seconds=60)
    return settings, [d for d in args.databases.split(",") if d], not args.no_faults


def main(argv: list[str]) -> int:
    settings, databases, faults = parse(argv)
    print(f"{CORES} cores; gunicorn {settings.workers().describe()} (rate limits off); "
          f"{settings.residents} residents, 1 dispatcher, {settings.crew_threads} thread(s) "
          f"per crew account; {settings.seconds:g} s per run", flush=True)
    outcomes = []
    for kind in databases:
        for with_faults in (False, True) if faults else (False,):
            outcomes.append(measure(kind, settings, with_faults))
    print()
    rows = [[o.database, "faults" if o.settings.faults else "clean", *row[1:]]
            for o in outcomes for row in o.rows()]
    print_table(["database", "run", "operation", "answered", "per s", "p50 ms", "p99 ms",
                 "retried"], rows)
    print()
    failed = False
    for o in outcomes:
        run = "faults" if o.settings.faults else "clean"
        submissions = o.proof.counted.get("acknowledged submissions", 0)
        print(f"{o.database} {run}: {submissions} reports acknowledged in {o.seconds:.1f} s "
              f"({submissions / o.seconds:.1f}/s); lost {o.proof.lost_count}, doubled "
              f"{o.proof.doubled_count}, inconsistent {o.proof.inconsistent_count}; "
              f"unexpected answers {len(o.ledger.errors)}, server errors {len(o.app_errors)}")
        for fault in o.faults:
            print(f"    {fault}")
        for problem, examples in o.proof.problems().items():
            print(f"    {problem}: {examples}")
        for line in o.ledger.errors[:3] + o.unanswered[:3]:
            print(f"    {line[:300]}")
        for line in o.app_errors[:1]:  # a JSON line with the traceback at its end
            print(f"    server: {line[-1500:]}")
        failed |= bool(o.proof.problems() or o.ledger.errors or o.app_errors or o.unanswered)
    print("nothing lost or doubled" if not failed else "FAILED: see above")
    return 1 if failed else 0


def measure(kind: str, settings: Settings, faults: bool) -> Outcome:
    run = dataclasses.replace(settings, faults=faults)
    with fresh_database(kind) as url, scratch_dir() as data_dir:
        print(f"[{kind}] loading the demo city …", flush=True)
        load_demo(url, data_dir)
        print(f"[{kind}] {'fault' if faults else 'clean'} run …", flush=True)
        outcome = run_load(url, run, data_dir=data_dir)
    print(outcome.report(), flush=True)
    return outcome
