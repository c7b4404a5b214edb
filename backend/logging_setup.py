"""Structured logs: one JSON object per line, every line carrying the request id.

The request id is the client's ``X-Request-Id`` when it sent a sane one, else API
Gateway's own request id (on Lambda, so the gateway's access log and ours match),
else a fresh random one. It is echoed back in the response's ``X-Request-Id`` header,
so a failure someone reports can be matched to its log lines.

``LOG_LEVEL`` (environment) sets the level; INFO by default. Log lines never carry
photo bytes or a resident's contact details: callers pass ids, not payloads.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-Id"
# Accepted from clients as is: short, printable, nothing that could forge a log line.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@=+/-]{1,128}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                       default=None)
# Attributes every LogRecord has; anything else on a record was passed as ``extra``.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, any ``extra`` fields, then the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": vars(record).get("request_id") or current_request_id(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _JsonHandler(logging.StreamHandler):
    """Marks the handler this module installed, so configuring twice changes nothing."""


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(value: str | None) -> contextvars.Token:
    """Set the id the log lines of this thread carry (for work outside a request, e.g. a job)."""
    return _request_id.set(value)


def unbind_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def configure_logging(level: str | None = None, stream=None) -> None:
    """JSON lines on the root logger.

    Leaves alone a root logger someone else already set up (a test runner, a
    ``--log-config``), except on Lambda, whose runtime installs a plain-text handler
    that is replaced here so CloudWatch receives JSON.
    """
    root = logging.getLogger()
    root.setLevel((level or os.environ.get("LOG_LEVEL", "INFO")).upper())
    # Pillow's debug lines print photos' metadata (EXIF Artist, Copyright: people's names),
    # so they stay off even when everything else is at DEBUG.
    logging.getLogger("PIL").setLevel(logging.INFO)
    if any(isinstance(h, _JsonHandler) for h in root.handlers):
        return
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        for handler in list(root.handlers):
            root.removeHandler(handler)
    elif root.handlers:
        return
    handler = _JsonHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)


# -- wiring into Flask ------------------------------------------------------

def init_app(app: Flask) -> None:
    """Register before any other request hook, so even a refused request has an id."""
    configure_logging()
    app.before_request(_start_request)
    app.after_request(_echo_request_id)
    app.teardown_request(_end_request)


def _start_request() -> None:
    environ = request.environ
    sent = environ.get("HTTP_X_REQUEST_ID", "")  # the X-Request-Id header, as WSGI names it
    request_id = sent if _SAFE_REQUEST_ID.fullmatch(sent) else _gateway_request_id(environ)
    request_id = request_id or uuid.uuid4().hex
    context = g._get_current_object()  # one proxy lookup for both
    context.request_id = request_id
    context.request_id_token = bind_request_id(request_id)


def _gateway_request_id(environ) -> str | None:
    context = environ.get("apig_wsgi.request_context") or {}
    found = context.get("requestId")
    return found if isinstance(found, str) and _SAFE_REQUEST_ID.fullmatch(found) else None


def _echo_request_id(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is not None:
        response.headers.set(REQUEST_ID_HEADER, request_id)
    return response


def _end_request(_exc=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        unbind_request_id(token)
