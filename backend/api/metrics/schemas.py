"""Query arguments shared by the metrics and exports, and the metrics' answers."""

import marshmallow as ma
from marshmallow import validate

from backend.api.map.schemas import CommaList
from backend.models import Channel
from backend.services.metrics import GROUPS, MAX_DAYS


class RequestFilterArgs(ma.Schema):
    service = CommaList(metadata={"description": "Service codes, comma-separated."})
    zone = CommaList(metadata={"description": "Zones, as ids or kind:code "
                                              "(e.g. neighbourhood:52), comma-separated; "
                                              "requests in every zone named."})
    channel = CommaList([c.value for c in Channel])
    since = ma.fields.String(metadata={"description": "Created at or after: a date (city time) "
                                                      "or an ISO 8601 time with a zone."})
    until = ma.fields.String(metadata={"description": "Created before (same forms)."})


class BreakdownArgs(RequestFilterArgs):
    by = ma.fields.String(required=True, validate=validate.OneOf(GROUPS))


class HotspotArgs(RequestFilterArgs):
    min_count = ma.fields.Integer(load_default=5, validate=validate.Range(2, 10_000),
                                  metadata={"description": "N: at least this many requests."})
    radius_m = ma.fields.Float(load_default=100.0, allow_nan=False,
                               validate=validate.Range(1, 5000),
                               metadata={"description": "R: within this many metres."})
    days = ma.fields.Integer(load_default=30, validate=validate.Range(1, MAX_DAYS),
                             metadata={"description": "T: over this many days before `until` "
                                                      "(when `since` is not given)."})
    limit = ma.fields.Integer(load_default=200, validate=validate.Range(1, 5000),
                              metadata={"description": "Largest hotspots described."})


class CloseStatsSchema(ma.Schema):
    closed = ma.fields.Integer()
    median_hours = ma.fields.Float(allow_none=True)
    p90_hours = ma.fields.Float(allow_none=True)
    with_target = ma.fields.Integer()
    within_target = ma.fields.Integer()
    within_target_share = ma.fields.Float(allow_none=True)


class SummarySchema(CloseStatsSchema):
    volume = ma.fields.Integer()
    open = ma.fields.Integer()
    overdue = ma.fields.Integer()
    reopen_rate = ma.fields.Float(allow_none=True)
    first_time_fix = ma.fields.Float(allow_none=True)


class PeriodSchema(ma.Schema):
    since = ma.fields.String()
    until = ma.fields.String()
    timezone = ma.fields.String()
    data_first = ma.fields.String(allow_none=True)
    data_last = ma.fields.String(allow_none=True)


class SummaryAnswerSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    summary = ma.fields.Nested(SummarySchema)


class DaySchema(ma.Schema):
    date = ma.fields.String()
    created = ma.fields.Integer()
    closed = ma.fields.Integer()
    backlog = ma.fields.Integer()


class DailyAnswerSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    days = ma.fields.List(ma.fields.Nested(DaySchema))


class GroupSchema(CloseStatsSchema):
    key = ma.fields.String()
    name = ma.fields.String()
    volume = ma.fields.Integer()
    open = ma.fields.Integer()


class BreakdownAnswerSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    by = ma.fields.String()
    groups = ma.fields.List(ma.fields.Nested(GroupSchema))
