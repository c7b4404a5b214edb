"""Work orders over HTTP: create, read, and act on one (with If-Match and an action id)."""

import re

from flask import request
from flask.views import MethodView
from sqlalchemy import ColumnElement, or_, select

from backend.api.blueprint import Blueprint, current_user
from backend.api.workorders.schemas import (
    ActionSchema,
    WorkOrderCreateSchema,
    WorkOrderQueryArgsSchema,
    WorkOrderSchema,
)
from backend.db import session
from backend.errors import Forbidden, InvalidInput, PreconditionRequired
from backend.geo.distance import split_bbox, validate_bbox
from backend.models import ServiceRequest, WorkOrder
from backend.models.people import Role
from backend.services import reports, work_orders, zones

blp = Blueprint("workorders", __name__, url_prefix="/api/v1/workorders",
                description="Work orders: the field work behind a request.")

DISPATCH = (Role.DISPATCHER, Role.ADMIN)
_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,80}$")
IF_MATCH_DOC = {"in": "header", "name": "If-Match", "required": True,
                "schema": {"type": "string"},
                "description": "The ETag (version) of the work order the action is based on."}
KEY_DOC = {"in": "header", "name": "Idempotency-Key", "required": False,
           "schema": {"type": "string"},
           "description": "The client's id for this action (or action_id in the body)."}


def render(work_order: WorkOrder) -> dict:
    return WorkOrderSchema().dump(work_order)


def etag(version: int) -> dict:
    return {"ETag": f'"{version}"'}


@blp.route("")
class WorkOrders(MethodView):
    @blp.requires_role(*DISPATCH)
    @blp.arguments(WorkOrderQueryArgsSchema, location="query")
    @blp.response(200, WorkOrderSchema(many=True))
    def get(self, args):
        """Work orders, newest first, by status, crew, request or zone."""
        statement = select(WorkOrder).order_by(WorkOrder.id.desc())
        if args["status"]:
            statement = statement.where(WorkOrder.status.in_(args["status"]))
        if args["crew_id"] is not None:
            statement = statement.where(WorkOrder.crew_id == args["crew_id"])
        if args["bbox"] is not None:
            statement = statement.where(in_box(args["bbox"]))
        if args["tracking"]:
            found = reports.get_by_tracking_number(session(), args["tracking"])
            statement = statement.where(WorkOrder.request_id == found.id)
        if args["zone"] is not None:
            zone = zones.get_zone(session(), args["zone"])
            statement = statement.where(work_orders.in_zone(zone.id))
        return session().scalars(statement.limit(args["limit"]).offset(args["offset"])).all()

    @blp.requires_role(*DISPATCH)
    @blp.arguments(WorkOrderCreateSchema)
    @blp.response(201, WorkOrderSchema)
    def post(self, fields):
        """Open a work order on a request, optionally assigned to a crew at once."""
        db = session()
        found: ServiceRequest = reports.get_by_tracking_number(db, fields["tracking"])
        crew = work_orders.get_crew(db, fields["crew_id"]) if fields["crew_id"] else None
        created = work_orders.create_work_order(
            db, found, crew=crew, kind=fields["kind"], actor=current_user(),
            instructions=fields["instructions"], due_at=fields["due_at"])
        db.flush()
        return created, 201, etag(created.version)


@blp.route("/<int:work_order_id>")
class WorkOrderById(MethodView):
    @blp.requires_role()
    @blp.response(200, WorkOrderSchema)
    def get(self, work_order_id):
        """One work order; its ETag is the version to send back with an action."""
        found = visible_work_order(work_order_id)
        return found, 200, etag(found.version)


@blp.route("/<int:work_order_id>/actions")
class WorkOrderActions(MethodView):
    @blp.requires_role()
    @blp.arguments(ActionSchema)
    @blp.response(200, description="The work order after the action (a WorkOrder), as it "
                                    "was first answered when the action id is replayed.")
    @blp.alt_response(409, description="The work order changed since the version you sent; "
                                       "the body's details carry its current state.")
    @blp.alt_response(428, description="No If-Match header.")
    @blp.doc(parameters=[IF_MATCH_DOC, KEY_DOC])
    def post(self, fields, work_order_id):
        """accept, start, complete, could_not_complete (crews); assign, reassign, unassign,
        cancel (dispatch). A replayed action id gets the first answer and changes nothing."""
        action = work_orders.Action(
            action=fields["action"], work_order_id=work_order_id,
            action_id=action_id(fields), version=if_match(), notes=fields["notes"],
            reason=fields["reason"], photos=fields["photos"], crew_id=fields["crew_id"],
            worker_id=fields["worker_id"])
        done = work_orders.perform(session(), current_user(), action, render=render)
        headers = etag(done.response["version"])
        if done.replayed:
            headers["Idempotent-Replayed"] = "true"
        return done.response, 200, headers


def in_box(bbox) -> ColumnElement[bool]:
    """Open work orders in the box, found by the spatial index (a box crossing the
    antimeridian is searched as its two halves)."""
    db = session()
    parts = split_bbox(validate_bbox(bbox))
    return or_(*(WorkOrder.id.in_(work_orders.open_in_box_statement(db, part)
                                  .with_only_columns(WorkOrder.id)) for part in parts))


def visible_work_order(work_order_id: int) -> WorkOrder:
    found = work_orders.get_work_order(session(), work_order_id)
    if not work_orders.can_see(current_user(), found):
        raise Forbidden("not_your_work_order", "This work order belongs to another crew.")
    return found


def if_match() -> int:
    raw = request.headers.get("If-Match")
    if raw is None:
        raise PreconditionRequired("if_match_required",
                                   "Send If-Match with the version (ETag) you saw.")
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("invalid_if_match", "If-Match must be the work order's ETag.")
    return int(value)


def action_id(fields: dict) -> str:
    key = request.headers.get("Idempotency-Key") or fields.get("action_id")
    if not key:
        raise InvalidInput("action_id_required",
                           "Send an Idempotency-Key header (or action_id) with every action.")
    if fields.get("action_id") is None and not _KEY.match(key):
        raise InvalidInput("invalid_action_id",
                           "Idempotency-Key must be 8–80 letters, digits or - _ : .")
    return key
