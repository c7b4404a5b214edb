"""A crew's day over HTTP: its work nearest first, a visiting order, work nearby."""

import marshmallow as ma
from marshmallow import validate

from backend.api.workorders.schemas import LocatedWorkOrderSchema
from backend.geo import validate_point


class NearField(ma.fields.String):
    """``lat,lon`` (as a map shows it) → (lon, lat)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        parts = text.split(",")
        if len(parts) != 2:
            raise ma.ValidationError("Give near as lat,lon.")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise ma.ValidationError("Give near as lat,lon (two numbers).") from None
        return validate_point(lon, lat)


class CrewDayArgsSchema(ma.Schema):
    near = NearField(load_default=None, metadata={"description": "lat,lon; else the last ping"})
    radius_m = ma.fields.Float(load_default=10_000, validate=validate.Range(1, 100_000))
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, 200))


class CrewDaySchema(ma.Schema):
    mine = ma.fields.List(ma.fields.Nested(LocatedWorkOrderSchema))
    unassigned = ma.fields.List(ma.fields.Nested(LocatedWorkOrderSchema))
    tour = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Ids of my work orders in a suggested visiting order."})
    tour_m = ma.fields.Float(allow_none=True)
    origin = ma.fields.Function(
        lambda d: None if d.origin is None else {"lon": d.origin[0], "lat": d.origin[1]})


class PingSchema(ma.Schema):
    lat = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    accuracy_m = ma.fields.Float(load_default=None, validate=validate.Range(0, 100_000))
    recorded_at = ma.fields.AwareDateTime(load_default=None)


class PingAnswerSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    recorded_at = ma.fields.AwareDateTime()
