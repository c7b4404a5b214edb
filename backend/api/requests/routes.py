"""Reporting a problem and following it by tracking number."""

import hashlib
import json
import re

from flask import current_app, jsonify, request
from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.requests.schemas import (
    PublicRequestSchema,
    ReportCreateSchema,
    StatusChangeSchema,
)
from backend.db import read_only, session
from backend.errors import Forbidden, InvalidInput, Unauthorized
from backend.models import Channel, Role
from backend.services import lifecycle, public_view, reports

blp = Blueprint("requests", __name__, url_prefix="/api/v1/requests",
                description="Service requests: report a problem, then track it.")

STAFF = (Role.DISPATCHER, Role.ADMIN)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,80}$")


@blp.route("")
class Requests(MethodView):
    @blp.arguments(ReportCreateSchema())
    @blp.response(201, PublicRequestSchema)
    @blp.alt_response(200, schema=PublicRequestSchema,
                      description="A replay of an earlier submission: the same request.")
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string"},
                          "description": "Made once per report on the client; replays with "
                                         "the same key return the same request."}])
    def post(self, fields):
        """Report a problem. The answer carries the tracking number. A dispatcher taking a
        call sends ``channel: phone`` and the caller's contact details."""
        _check_channel(fields["channel"])
        key = _idempotency_key()
        rules = reports.Rules(max_description=current_app.config["MAX_DESCRIPTION_CHARS"],
                              boundary_kind=current_app.config["BOUNDARY_ZONE_KIND"])
        created_request, created = reports.submit_report(
            session(), reports.Report(**fields), rules=rules, idempotency_key=key,
            body_hash=_body_hash() if key else None, actor=current_user())
        return jsonify(public_view.of_request(created_request)), 201 if created else 200


@blp.route("/<tracking>")
class RequestByTracking(MethodView):
    @blp.response(200, PublicRequestSchema)
    def get(self, tracking):
        """The public view of a report: status, timeline, photos. Never contact details."""
        return jsonify(public_view.by_tracking_number(read_only(session()), tracking))


@blp.route("/<tracking>/status")
class RequestStatus(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(StatusChangeSchema())
    @blp.response(200, PublicRequestSchema)
    def post(self, change, tracking):
        """Move a report along its lifecycle; the change joins its timeline."""
        found = reports.get_by_tracking_number(session(), tracking)
        lifecycle.move(session(), found, change["status"], actor=current_user(),
                       note=change["note"], public=change["public"])
        return jsonify(public_view.of_request(found))


def _check_channel(channel: str) -> None:
    """Only staff enter reports taken on the phone: a resident's own report is the app's,
    and the channel counts in the city's figures."""
    if channel != Channel.PHONE:
        return
    user = current_user()
    if user is None:
        raise Unauthorized("not_signed_in", "Only signed-in dispatchers enter phone reports.")
    if user.role not in STAFF:
        raise Forbidden("forbidden", "Only dispatchers enter phone reports.")


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("invalid_idempotency_key",
                           "Idempotency-Key must be 8–80 letters, digits or - _ : .")
    return key


def _body_hash() -> str:
    canonical = json.dumps(request.get_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
