"""Work orders as staff see them (crews and dispatch). Residents never get this view: it
names crews and carries their notes."""

import marshmallow as ma
from marshmallow import validate

from backend.api.map.schemas import BBoxField
from backend.models import WorkStatus
from backend.services.work_lifecycle import ACTIONS


class CrewRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class WorkerRefSchema(ma.Schema):
    id = ma.fields.Integer()
    display_name = ma.fields.String()


class WorkRequestSchema(ma.Schema):
    """The request behind the job: what a crew needs to find and fix it."""

    tracking = ma.fields.String()
    service_code = ma.fields.Function(lambda r: r.service.code)
    service_name = ma.fields.Function(lambda r: r.service.name)
    status = ma.fields.Function(lambda r: r.status.value)
    description = ma.fields.String()
    address = ma.fields.String()
    attributes = ma.fields.Dict()
    proof_required = ma.fields.Function(lambda r: bool(r.service.proof_required), metadata={
        "description": "Completing needs a photo of the finished work."})


class WorkOrderSchema(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer(metadata={"description": "Send it back as If-Match."})
    kind = ma.fields.String()
    status = ma.fields.Enum(WorkStatus, by_value=True)
    priority = ma.fields.Function(lambda w: w.priority.value)
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    request = ma.fields.Nested(WorkRequestSchema)
    crew = ma.fields.Nested(CrewRefSchema, allow_none=True)
    worker = ma.fields.Nested(WorkerRefSchema, allow_none=True)
    instructions = ma.fields.String()
    notes = ma.fields.String()
    reason = ma.fields.String()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    closed_at = ma.fields.AwareDateTime(allow_none=True)


class LocatedWorkOrderSchema(ma.Schema):
    """A work order in a crew's list: what to find and fix it, and how far it is (metres).
    Kept short, as lists are fetched often on slow links; GET the work order for the rest."""

    id = ma.fields.Function(lambda x: x.work_order.id)
    version = ma.fields.Function(lambda x: x.work_order.version)
    status = ma.fields.Function(lambda x: x.work_order.status.value)
    kind = ma.fields.Function(lambda x: x.work_order.kind)
    priority = ma.fields.Function(lambda x: x.work_order.priority.value)
    lat = ma.fields.Function(lambda x: x.work_order.lat)
    lon = ma.fields.Function(lambda x: x.work_order.lon)
    distance_m = ma.fields.Function(
        lambda x: None if x.distance_m is None else round(x.distance_m, 1))
    tracking = ma.fields.Function(lambda x: x.work_order.request.tracking)
    service_code = ma.fields.Function(lambda x: x.work_order.request.service.code)
    service_name = ma.fields.Function(lambda x: x.work_order.request.service.name)
    address = ma.fields.Function(lambda x: x.work_order.request.address)
    description = ma.fields.Function(lambda x: x.work_order.request.description)
    due_at = ma.fields.Function(
        lambda x: x.work_order.due_at.isoformat() if x.work_order.due_at else None)
    proof_required = ma.fields.Function(
        lambda x: bool(x.work_order.request.service.proof_required))
    self_assign = ma.fields.Function(
        lambda x: bool(x.work_order.request.service.crews_self_assign), metadata={
            "description": "Crews may take this work themselves (accept while unassigned)."})


class WorkOrderCreateSchema(ma.Schema):
    tracking = ma.fields.String(required=True, validate=validate.Length(1, 12))
    kind = ma.fields.String(load_default="repair", validate=validate.Length(1, 24))
    crew_id = ma.fields.Integer(load_default=None)
    instructions = ma.fields.String(load_default="", validate=validate.Length(max=4000))
    due_at = ma.fields.AwareDateTime(load_default=None)


class WorkOrderQueryArgsSchema(ma.Schema):
    status = ma.fields.List(ma.fields.Enum(WorkStatus, by_value=True), load_default=list)
    bbox = BBoxField(load_default=None, metadata={
        "description": "min_lon,min_lat,max_lon,max_lat: open work orders in this box only."})
    crew_id = ma.fields.Integer(load_default=None)
    tracking = ma.fields.String(load_default=None)
    zone = ma.fields.Integer(load_default=None, metadata={
        "description": "Only work on requests in this zone (its id, from /api/v1/zones)."})
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(0))


class ActionFieldsSchema(ma.Schema):
    """What every action may carry; which fields matter depends on the action."""

    action = ma.fields.String(required=True, validate=validate.OneOf(sorted(ACTIONS)))
    notes = ma.fields.String(load_default="", validate=validate.Length(max=4000))
    reason = ma.fields.String(load_default="", validate=validate.Length(max=4000))
    photos = ma.fields.List(ma.fields.String(validate=validate.Length(1, 32)),
                            load_default=list,
                            metadata={"description": "Proof photo ids from POST /api/v1/photos."})
    crew_id = ma.fields.Integer(load_default=None, metadata={"description": "assign, reassign"})
    worker_id = ma.fields.Integer(load_default=None)


ACTION_ID = validate.Regexp(r"^[A-Za-z0-9_\-:.]{8,80}$",
                            error="Action ids are 8–80 letters, digits or - _ : .")


class ActionSchema(ActionFieldsSchema):
    action_id = ma.fields.String(load_default=None, validate=ACTION_ID, metadata={
        "description": "Or the Idempotency-Key header: made once per action on the client."})
