"""GET /healthz: liveness (no database). GET /readyz: readiness (database and photo storage).

A load balancer or systemd watchdog restarts a process whose /healthz fails, and stops
sending traffic to one whose /readyz fails (503) until it recovers.
"""

from flask import current_app, jsonify
from flask.views import MethodView

from backend import db
from backend.api.blueprint import Blueprint
from backend.api.health import checks

blp = Blueprint("health", __name__, url_prefix="",
                description="Liveness and readiness, for load balancers and monitors.")


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.doc(responses={200: {"description": "The process is up."}})
    def get(self):
        """The process answers (touches nothing else)."""
        return _no_store(jsonify(status="ok"))


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.doc(responses={200: {"description": "Database and photo storage both work."},
                        503: {"description": "A dependency failed; see checks."}})
    def get(self):
        """The database answers SELECT 1 and the photo storage takes a write."""
        found = {
            "database": checks.timed("database", lambda: checks.check_database(db.engine())),
            "storage": checks.timed("storage",
                                    lambda: checks.check_storage(current_app.config)),
        }
        ready = all(v.ok for v in found.values())
        body = {"status": "ready" if ready else "not_ready",
                "checks": {name: v.as_dict() for name, v in found.items()}}
        if not ready:
            body.update(code="not_ready", message="A dependency is unavailable.")
        return _no_store(jsonify(body)), 200 if ready else 503


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
