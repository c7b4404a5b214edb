"""``python -m tests.bench [name ...] [flags]``: run every benchmark, or the ones named.

A name is the part after ``bench_`` (``api`` runs ``bench_api.py``). Everything from
the first flag on (``--quick``, ``--databases sqlite``) is passed to each benchmark's
``main``. Exit status is non-zero
when any benchmark missed its targets or failed.
"""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    first_flag = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, flags = argv[:first_flag], argv[first_flag:]
    known = available()
    if not names and {"-h", "--help"} & set(flags):
        print(__doc__.strip())
        print("benchmarks:", ", ".join(known))
        return 0
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; there are: {', '.join(known)}", file=sys.stderr)
        return 2
    status = 0
    for name in names or known:
        print(f"== bench {name} ==", flush=True)
        module = importlib.import_module(f"tests.bench.bench_{name}")
        status |= module.main(flags) or 0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
