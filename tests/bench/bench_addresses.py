"""Address autocomplete and reverse lookup with many address points.

``python -m tests.bench addresses --url DATABASE_URL [--count 500000]`` adds synthetic
points (the demo's real LA street names, plus as many made-up ones again, numbered 1–20,000
and placed across the city) unless the table already holds ``--count``, then times typed
prefixes, typos and reverse lookups through the service layer.
"""

import argparse
import csv
import gzip
import random
import statistics
import time

from sqlalchemy import func, select

from backend import create_app, db, demo
from backend.config import Config
from backend.models import Address
from backend.services import addresses
from tests.bench.table import print_table

BOX = (-118.66, 33.71, -118.16, 34.33)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench addresses")
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args(argv)
    app = create_app(Config(DATABASE_URL=args.url))
    rng = random.Random(3)
    with gzip.open(demo.REQUESTS_CSV, "rt", encoding="utf-8", newline="") as file:
        streets = sorted({addresses.parse(r["address"]).street for r in csv.DictReader(file)}
                         - {""})
    streets += [f"{s.split()[0]} {s.split()[-1][::-1]}ton {s.split()[-1]}" for s in streets]
    with app.app_context():
        session = db.session()
        have = session.scalar(select(func.count(Address.id)))
        if have < args.count:
            started = time.perf_counter()
            rows = ({"address": f"{rng.randint(1, 20_000)} {rng.choice(streets).upper()}",
                     "lat": rng.uniform(BOX[1], BOX[3]), "lon": rng.uniform(BOX[0], BOX[2])}
                    for _ in range(int((args.count - have) * 1.2)))
            report = addresses.import_addresses(session, rows)
            session.commit()
            print(f"imported {report.imported} in {time.perf_counter() - started:.0f} s")
        total = session.scalar(select(func.count(Address.id)))
        sample = list(session.scalars(select(Address).order_by(func.random()).limit(args.queries)))
        cases = {
            "street prefix (4 letters)": [_core(a)[:4] for a in sample],
            "number + street": [f"{a.number} {_core(a)}" for a in sample],
            "number + street typo": [f"{a.number} {_typo(_core(a), rng)}" for a in sample],
        }
        rows = []
        for name, queries in cases.items():
            times, hits = [], 0
            for q, a in zip(queries, sample, strict=True):
                started = time.perf_counter()
                found = addresses.autocomplete(session, q, limit=10)
                times.append((time.perf_counter() - started) * 1000)
                hits += any(s.address.id == a.id for s in found) or name.startswith("street")
            rows.append([name, len(times), hits / len(times), *_percentiles(times)])
        times = []
        for a in sample:
            started = time.perf_counter()
            addresses.nearest(session, a.lon + 0.0003, a.lat, max_distance_m=2000)
            times.append((time.perf_counter() - started) * 1000)
        rows.append(["nearest address", len(times), 1.0, *_percentiles(times)])
        db.close_session()
    print(f"{total:,} addresses, {len(streets):,} street names")
    print_table(["query", "n", "found share", "p50 ms", "p99 ms"], rows)
    app.extensions["frontdoor.db"]["engine"].dispose()
    return 0


def _core(address: Address) -> str:
    return address.street.name.split(" ", 1)[-1] if address.street.name[:2] in {
        "n ", "s ", "e ", "w "} else address.street.name


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, max(2, len(text) - 1))
    return text[:i] + text[i + 1:]  # one letter dropped


def _percentiles(times: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(times, n=100)
    return q[49], q[98]
