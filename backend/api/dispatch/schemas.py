"""Dispatch over HTTP: assigning by list or by map, crew positions, crew suggestions."""

import marshmallow as ma
from marshmallow import validate

from backend.api.workorders.schemas import CrewRefSchema, WorkerRefSchema
from backend.models import Priority


class AssignSchema(ma.Schema):
    work_orders = ma.fields.List(ma.fields.Integer(), required=True,
                                 validate=validate.Length(1, 5000))
    crew_id = ma.fields.Integer(load_default=None)
    worker_id = ma.fields.Integer(load_default=None)
    versions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              load_default=dict, metadata={
                                  "description": "Work-order id → version seen; a work order "
                                                 "changed since is skipped (version_conflict)."})
    note = ma.fields.String(load_default="", validate=validate.Length(max=4000))


class AssignAreaSchema(ma.Schema):
    polygon = ma.fields.Dict(load_default=None,
                             metadata={"description": "GeoJSON Polygon or MultiPolygon."})
    bbox = ma.fields.List(ma.fields.Float(allow_nan=False), load_default=None,
                          metadata={"description": "min_lon, min_lat, max_lon, max_lat"})
    crew_id = ma.fields.Integer(load_default=None)
    worker_id = ma.fields.Integer(load_default=None)
    services = ma.fields.List(ma.fields.String(), load_default=list)
    priorities = ma.fields.List(ma.fields.Enum(Priority, by_value=True), load_default=list)
    older_than_hours = ma.fields.Float(load_default=None, validate=validate.Range(0))
    zone = ma.fields.Integer(load_default=None, metadata={
        "description": "Only work on requests in this zone (its id, from /api/v1/zones)."})
    include_assigned = ma.fields.Boolean(load_default=False, metadata={
        "description": "Also take open work already given to another crew."})
    note = ma.fields.String(load_default="", validate=validate.Length(max=4000))


class SkippedSchema(ma.Schema):
    id = ma.fields.Integer()
    reason = ma.fields.String(metadata={"description": "in_progress, already_assigned, "
                                        "assigned_to_another_crew, already_accepted, "
                                        "version_conflict, not_found …"})
    status = ma.fields.String()
    version = ma.fields.Integer()


class AssignReportSchema(ma.Schema):
    assigned_count = ma.fields.Function(lambda r: len(r.assigned))
    assigned = ma.fields.List(ma.fields.Integer())
    skipped_count = ma.fields.Function(lambda r: len(r.skipped))
    skipped = ma.fields.List(ma.fields.Nested(SkippedSchema))


class CrewSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    department_id = ma.fields.Integer(allow_none=True)


class PositionSchema(ma.Schema):
    user = ma.fields.Nested(WorkerRefSchema)
    crew = ma.fields.Nested(CrewRefSchema, allow_none=True)
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    accuracy_m = ma.fields.Float(allow_none=True)
    recorded_at = ma.fields.AwareDateTime()
    received_at = ma.fields.AwareDateTime()


class CrewSuggestionSchema(ma.Schema):
    crew = ma.fields.Nested(CrewRefSchema)
    distance_m = ma.fields.Function(lambda s: round(s.distance_m, 1))
    member = ma.fields.Nested(WorkerRefSchema)
    position_at = ma.fields.AwareDateTime()
    open_work_orders = ma.fields.Integer()
