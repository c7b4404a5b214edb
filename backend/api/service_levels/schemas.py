"""Service levels over HTTP: targets, calendars and priority changes."""

import marshmallow as ma
from marshmallow import validate

from backend.models import Priority
from backend.services.service_levels import UNITS, WEEKDAYS


class PriorityChangeSchema(ma.Schema):
    priority = ma.fields.Enum(Priority, by_value=True, required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class OverrideSchema(ma.Schema):
    value = ma.fields.Integer(required=True, validate=validate.Range(0, 100_000))
    unit = ma.fields.String(load_default="hours", validate=validate.OneOf(UNITS))
    calendar = ma.fields.String(load_default=None, allow_none=True)


class ServiceLevelSchema(ma.Schema):
    value = ma.fields.Integer(required=True, validate=validate.Range(0, 100_000))
    unit = ma.fields.String(load_default="hours", validate=validate.OneOf(UNITS))
    calendar = ma.fields.String(load_default=None, allow_none=True,
                                metadata={"description": "A calendar code; the default "
                                                         "calendar when absent."})
    priority_overrides = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf([p.value for p in Priority])),
        values=ma.fields.Nested(OverrideSchema), load_default=dict)


class CalendarSchema(ma.Schema):
    name = ma.fields.String(load_default="", validate=validate.Length(max=120))
    timezone = ma.fields.String(required=True, metadata={"example": "America/Los_Angeles"})
    hours = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(WEEKDAYS)),
        values=ma.fields.List(ma.fields.List(ma.fields.String(), validate=validate.Length(2, 2))),
        required=True, metadata={"example": {"mon": [["07:00", "17:00"]], "sat": []}})
    holidays = ma.fields.List(ma.fields.String(), load_default=list)
    default = ma.fields.Boolean(load_default=False)
    code = ma.fields.String(dump_only=True)


class OverdueArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    zone = ma.fields.Integer(load_default=None, validate=validate.Range(1),
                             metadata={"description": "Only requests in this zone (its id)."})


# -- answers (documentation only: the views build these dicts themselves) ----------------

class TargetSchema(ServiceLevelSchema):
    calendar = ma.fields.String(allow_none=True)


class ServiceTargetSchema(ma.Schema):
    service_code = ma.fields.String()
    service_name = ma.fields.String()
    target = ma.fields.Nested(TargetSchema, allow_none=True,
                              metadata={"description": "None: the service has no target."})
    from_catalog = ma.fields.Boolean(metadata={
        "description": "True: the catalog's hours on the default calendar."})


class ServiceLevelsSchema(ma.Schema):
    services = ma.fields.List(ma.fields.Nested(ServiceTargetSchema))
    calendars = ma.fields.List(ma.fields.Nested(CalendarSchema))


class LateWorkSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    crew = ma.fields.Function(
        lambda w: {"id": w.crew_id, "name": w.crew_name} if w.crew_id else None,
        metadata={"type": "object", "nullable": True})


class OverdueItemSchema(ma.Schema):
    tracking = ma.fields.String()
    service_code = ma.fields.String()
    service_name = ma.fields.String()
    expected_at = ma.fields.AwareDateTime(allow_none=True)
    priority = ma.fields.String()
    status = ma.fields.String()
    escalated_at = ma.fields.AwareDateTime(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    address = ma.fields.String()
    due_at = ma.fields.AwareDateTime(metadata={"description": "The earliest deadline missed."})
    late_seconds = ma.fields.Integer(metadata={"description": "How long ago that was."})
    reason = ma.fields.String(metadata={"description": "expected_date: the request's service "
                                        "level; work_order_due: a work order's due date."})
    work_order = ma.fields.Nested(LateWorkSchema, allow_none=True, metadata={
        "description": "The open work order to act on (the most overdue, else the oldest)."})


class OverduePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OverdueItemSchema))
