"""Serves the PWA's files: the app shell never cached stale, its assets cached long.

The service worker names its caches after a hash of the app's files, filled in
here as it is served, so any change to the shell makes browsers install a new
worker and offer the update.
"""

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, send_from_directory

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
# Fetched fresh every time so a new release is picked up at once.
ALWAYS_FRESH = {"index.html", "sw.js", "manifest.webmanifest"}
SERVICE_WORKER = "sw.js"
VERSION_MARK = "__SHELL_VERSION__"

web = Blueprint("web", __name__)


@web.get("/")
def index():
    return _send("index.html")


@web.get("/sw.js")
def service_worker():
    folder = _pwa_dir()
    source = (folder / SERVICE_WORKER).read_text(encoding="utf-8")
    response = Response(source.replace(VERSION_MARK, shell_version(folder)),
                        mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@web.get("/<path:filename>")
def asset(filename: str):
    return _send(filename)


def shell_version(folder: Path) -> str:
    """A short hash of the app's files (a few hundred KB: cheap to redo per request)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path == folder / SERVICE_WORKER:
            continue  # its own bytes already tell browsers it changed
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _pwa_dir() -> Path:
    return Path(current_app.config.get("PWA_DIR", PWA_DIR))


def _send(filename: str):
    fresh = filename in ALWAYS_FRESH
    response = send_from_directory(_pwa_dir(), filename, max_age=0 if fresh else 3600)
    if fresh:
        response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(web)
