"""AWS Lambda entry points (named in serverless.yml): one module, one thin function each.

- ``http``: API Gateway HTTP API (payload 2.0) → the Flask app, through apig-wsgi
- ``photo_uploaded``: S3 ``ObjectCreated`` under ``uploads/`` → the photo service
- ``scheduled_command``: an EventBridge schedule → a ``flask --app backend …`` command,
  so a schedule on Lambda runs exactly what cron or a systemd timer runs on a plain server
- ``migrate``: the schema upgrade, invoked once per deploy (never at cold start)

Secrets: on Lambda, ``DATABASE_URL`` and ``SECRET_KEY`` are read from SSM Parameter
Store at cold start, named by ``DATABASE_URL_SSM_PARAMETER`` and
``SECRET_KEY_SSM_PARAMETER``; they never appear in the template or the function's
configuration. Everything heavy (boto3, the photo pipeline) is imported by the
handler that needs it, so the HTTP function starts with Flask, SQLAlchemy and the API.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import shlex
from typing import Any
from urllib.parse import unquote_plus

log = logging.getLogger(__name__)

# Environment variable → the environment variable naming its SSM parameter.
SSM_SECRETS = {"DATABASE_URL": "DATABASE_URL_SSM_PARAMETER",
               "SECRET_KEY": "SECRET_KEY_SSM_PARAMETER"}

# Sent as text; anything else (photos, icons) is base64-encoded for API Gateway.
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
              "application/manifest+json", "application/geo+json", "application/problem+json",
              "application/vnd.oai.openapi", "image/svg+xml")

_apps: dict[bool, Any] = {}
_http_handler = None


def app(*, commands: bool = False):
    """The Flask app of this Lambda instance, made on first use and kept while it lives.

    Only scheduled commands need the `flask` command groups; the other functions start
    without them (and without the modules only they import).
    """
    if commands not in _apps:
        from backend import create_app

        with start_without_gc():
            load_secrets()
            _apps[commands] = create_app(commands=commands)
    return _apps[commands]


@contextlib.contextmanager
def start_without_gc():
    """Make the app without the cyclic garbage collector, then freeze what was made.

    A cold start creates some 180,000 objects that live as long as the instance (modules,
    classes, mappers, schemas) and next to no garbage, yet the collector scanned them
    over and over while they were being made: over a quarter of the start-up time. Frozen, they
    are left out of every later collection too. The little garbage made meanwhile (some
    7,000 objects, cycles left by imports) is kept for the life of the instance.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def http_handler():
    """apig-wsgi around the app: made once per instance (this is the cold start)."""
    global _http_handler
    if _http_handler is None:
        from apig_wsgi import make_lambda_handler

        # Responses that are not text (photos) go back base64-encoded, as API Gateway needs.
        _http_handler = make_lambda_handler(app(), binary_support=True,
                                            non_binary_content_type_prefixes=TEXT_TYPES)
    return _http_handler


def http(event: dict, context: Any) -> dict:
    """API Gateway HTTP API, payload format 2.0 (binary bodies arrive base64-encoded)."""
    return http_handler()(event, context)


def photo_uploaded(event: dict, context: Any) -> dict:
    """Process each photo a browser uploaded straight to the bucket.

    A photo the service refuses (not a photo, too large, unknown key) is logged and
    skipped: retrying cannot fix it (the service deletes a refused upload; the bucket's
    lifecycle rule removes any left behind). Any other failure is raised after the rest
    of the batch, so Lambda retries the event.
    """
    from backend import db
    from backend.errors import DomainError
    from backend.services import photos

    flask_app = app()
    processed, refused, failed = 0, 0, []
    for record in event.get("Records", []):
        key = upload_key(record)
        with flask_app.app_context():
            try:
                photos.process_direct_upload(db.session(), photo_storage(flask_app.config), key,
                                             limits=photos.limits_from_settings(flask_app.config))
                db.session().commit()
                processed += 1
            except DomainError as refusal:
                log.warning("upload refused", extra={"key": key, "code": refusal.code})
                refused += 1
            except Exception:
                log.exception("upload processing failed", extra={"key": key})
                failed.append(key)
            finally:
                db.close_session()
    summary = {"processed": processed, "refused": refused, "failed": len(failed)}
    log.info("uploads handled", extra=summary)
    if failed:
        raise RuntimeError(f"{len(failed)} upload(s) failed; the event will be retried")
    return summary


def upload_key(record: dict) -> str:
    """The object key of one S3 event record (S3 sends it URL-encoded, spaces as '+')."""
    if record.get("eventSource") != "aws:s3" or \
            not record.get("eventName", "").startswith("ObjectCreated:"):
        raise ValueError(f"Not an S3 ObjectCreated record: {record.get('eventName')!r}")
    return unquote_plus(record["s3"]["object"]["key"])


def photo_storage(settings):
    """Where photos are kept, as the settings say (the same storage the API uses)."""
    from backend.media.storage import storage_from_settings

    return storage_from_settings(settings)


def scheduled_command(event: dict, context: Any) -> dict:
    """Run the CLI command in the schedule's input, e.g. {"command": "outbox send"}."""
    from flask.cli import ScriptInfo

    words = shlex.split(event["command"]) if isinstance(event.get("command"), str) \
        else list(event.get("command") or [])
    if not words:
        raise ValueError('The schedule must give a command, e.g. {"command": "outbox send"}.')
    flask_app = app(commands=True)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        flask_app.cli.main(args=words, prog_name="flask", standalone_mode=False,
                           obj=ScriptInfo(create_app=lambda: flask_app))
    lines = [line for line in output.getvalue().splitlines() if line.strip()]
    log.info("scheduled command finished", extra={"command": words, "output": lines})
    return {"command": words, "output": lines}


def migrate(event: dict, context: Any) -> dict:
    """Upgrade the schema to the newest version: `sls invoke -f migrate` after a deploy."""
    from backend import schema
    from backend.config import Config

    load_secrets()
    target = (event or {}).get("revision", "head")
    schema.upgrade(Config.from_env().DATABASE_URL, target)
    log.info("schema upgraded", extra={"revision": target})
    return {"upgraded_to": target}


def load_secrets() -> None:
    """Fill DATABASE_URL and SECRET_KEY from SSM when their parameter names are set."""
    wanted = {os.environ[name_var]: target for target, name_var in SSM_SECRETS.items()
              if os.environ.get(name_var) and not os.environ.get(target)}
    if not wanted:
        return
    import boto3

    answer = boto3.client("ssm").get_parameters(Names=list(wanted), WithDecryption=True)
    if answer.get("InvalidParameters"):
        raise RuntimeError(f"SSM parameters not found: {answer['InvalidParameters']}")
    for parameter in answer["Parameters"]:
        os.environ[wanted[parameter["Name"]]] = parameter["Value"]
