"""gunicorn settings for a plain server (override any of them on the command line).

Threaded workers (gthread) keep client connections alive and overlap database waits;
the environment sets the counts: WEB_CONCURRENCY processes (default: one per core; a
spare process only adds queueing behind the one a core is running: measured on 2 cores,
p99 of a read 25 ms with 2 processes against 35-190 ms with 3) × GUNICORN_THREADS
threads (default 4). Each process takes at most
GUNICORN_WORKER_CONNECTIONS clients (default twice its threads): with gthread, whichever
process accepts first would otherwise hold every keep-alive connection and leave the
other cores idle (measured: half the throughput on 2 cores). GUNICORN_ACCESS_LOG is where the access
log goes ("-" for stdout, the default; empty to turn it off). Every line gunicorn writes,
access and error log alike, is one JSON object, as the app's own lines are.
"""

import gc
import multiprocessing
import os

from gunicorn.glogging import Logger

from backend.logging_setup import REQUEST_ID_HEADER, JsonFormatter

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", threads * 2))
timeout = 30  # a request running longer is stuck: the worker is restarted
graceful_timeout = 20  # on restart or deploy, in-flight requests get this long to finish
keepalive = 5
# Recycle workers now and then (bounded memory growth), but rarely: a new worker spends
# about a CPU-second importing the app, and meanwhile the other requests wait for the core.
max_requests = 50_000
max_requests_jitter = 5_000  # ...not all at once
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"


class JsonLogger(Logger):
    """gunicorn's error log and access log as JSON lines, the access line with the request id."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        headers = {name.lower(): value for name, value in resp.headers}
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        self.access_log.info("request", extra={
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": headers.get(REQUEST_ID_HEADER.lower()),
        })


logger_class = JsonLogger


def post_worker_init(worker):
    """The app is loaded: what it made lives as long as the worker, so the cyclic garbage
    collector stops scanning it (its full passes then take microseconds, not tens of ms)."""
    gc.collect()
    gc.freeze()
