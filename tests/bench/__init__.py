"""Benchmarks: the app served by gunicorn under concurrent load, measured against a
minimal Flask endpoint served the same way.

Run them all with ``python -m tests.bench`` (or ``make bench``), or one by name:
``python -m tests.bench api --quick``. Each ``bench_<name>.py`` in this folder
defines ``main(argv: list[str]) -> int``; flags after the names go to every benchmark.

Shared building blocks, for new benchmarks:

- ``serve.fresh_database(kind)``: a new, empty SQLite or PostgreSQL database, dropped
  afterwards; ``serve.load_demo(url)`` fills it with the demo city.
- ``serve.gunicorn(app_spec, ...)``: the app served on a free port, stopped afterwards.
- ``load.run(url, scenario, ...)``: drive a URL with wrk and return throughput,
  latency percentiles and errors.
- ``table.print_table(headers, rows)``: an aligned text table.

This folder is not collected by pytest.
"""
