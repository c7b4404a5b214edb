"""Rate limits (flask-limiter) on what anyone on the internet can make us do at cost:
anonymous submissions, photo uploads, sign-in attempts and Open311 submissions.

The limits are settings (``RATE_LIMIT_*``, flask-limiter's syntax, e.g. "10 per minute;
100 per day"); counts live in ``RATELIMIT_STORAGE_URI`` — memory by default, which is per
process, so several processes (gunicorn workers, Lambda) share one Redis
("redis://host:6379/0"). An Open311 key is held to its own ``rate_limit`` per hour.
A refusal is a 429 with Retry-After (seconds) and the usual error body.

Limits are attached to views by endpoint name, so routes stay free of them; an endpoint
that does not exist (yet) is skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from backend.api.blueprint import current_user
from backend.db import session
from backend.errors import DomainError
from backend.services import open311

MESSAGE = "Too many requests: please wait a moment and try again."


@dataclass(frozen=True)
class EndpointLimit:
    endpoint: str
    setting: str | None  # the RATE_LIMIT_* setting; None: the limit comes from `value`
    key: Callable[[], str]
    methods: tuple[str, ...] = ("POST",)
    value: Callable[[], str] | None = None
    only_failures: bool = False  # count only refused attempts (wrong passwords)
    exempt_staff: bool = False


def client_address() -> str:
    return request.remote_addr or "unknown"


def login_username() -> str:
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    return "user:" + (name.strip().lower() if isinstance(name, str) else "")


def open311_key() -> str:
    """The api_key's digest (the key itself never reaches the limits' storage)."""
    given = request.form.get("api_key") or request.args.get("api_key") or ""
    return "key:" + hashlib.sha256(given.strip().encode()).hexdigest()


def open311_key_limit() -> str:
    given = request.form.get("api_key") or request.args.get("api_key")
    return f"{open311.hourly_limit_of(session(), given)} per hour"


LIMITS = (
    EndpointLimit("requests.Requests", "RATE_LIMIT_SUBMIT", client_address, exempt_staff=True),
    EndpointLimit("photos.Photos", "RATE_LIMIT_PHOTOS", client_address, exempt_staff=True),
    # Each direct upload (straight to storage) starts here, so this bounds those too.
    EndpointLimit("photos.DirectUploads", "RATE_LIMIT_PHOTOS", client_address,
                  exempt_staff=True),
    # Direct uploads: receiving the bytes (local mode) and processing them cost the same.
    EndpointLimit("photos.LocalUpload", "RATE_LIMIT_PHOTOS", client_address, exempt_staff=True),
    EndpointLimit("photos.FinishUpload", "RATE_LIMIT_PHOTOS", client_address, exempt_staff=True),
    EndpointLimit("auth.Login", "RATE_LIMIT_LOGIN", client_address),
    EndpointLimit("auth.Login", "RATE_LIMIT_LOGIN_FAILURES", login_username, only_failures=True),
    EndpointLimit("open311.requests", "RATE_LIMIT_OPEN311_ADDRESS", client_address),
    EndpointLimit("open311.requests", None, open311_key, value=open311_key_limit),
)


def init_app(app: Flask) -> None:
    """After every blueprint is registered: wrap the limited views."""
    # If the shared storage (Redis) fails, count in this process's memory meanwhile:
    # residents' reports matter more than exact limits.
    limiter = Limiter(client_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                      key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
                      strategy="moving-window", headers_enabled=False,
                      in_memory_fallback_enabled=True, swallow_errors=True)
    app.extensions["frontdoor.limiter"] = limiter
    if not limiter.enabled:
        return
    for endpoint in dict.fromkeys(rule.endpoint for rule in LIMITS):
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        for rule in (r for r in LIMITS if r.endpoint == endpoint):
            view = limiter.limit(
                rule.value or app.config[rule.setting], key_func=rule.key,
                methods=list(rule.methods), error_message=MESSAGE,
                scope=f"{endpoint}:{rule.setting or rule.key.__name__}",
                deduct_when=_refused if rule.only_failures else None,
                exempt_when=_signed_in_staff if rule.exempt_staff else None)(view)
        app.view_functions[endpoint] = _with_retry_after(view, limiter)


def _with_retry_after(view, limiter: Limiter):
    """Tell the client when to come back (the error handlers copy the exception's headers)."""
    @wraps(view)
    def limited(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except RateLimitExceeded as refused:
            breached = limiter.current_limit
            reset_at = breached.reset_at if breached else time.time() + 60
            refused.retry_after = max(1, int(reset_at - time.time()) + 1)
            raise
    return limited


def _refused(response) -> bool:
    return response.status_code in {401, 403}


def _signed_in_staff() -> bool:
    """Staff (e.g. a call-centre operator keying in phone reports) are not throttled."""
    if not request.headers.get("Authorization"):
        return False
    try:
        return current_user() is not None
    except DomainError:
        return False


def reset(app: Flask | None = None) -> None:
    """Forget every count (tests, or an operator after a false alarm)."""
    limiter = (app or current_app).extensions.get("frontdoor.limiter")
    if limiter is not None and limiter.enabled:
        limiter.reset()
