"""Query arguments and answers of the map endpoints."""

import marshmallow as ma
from marshmallow import validate

from backend.models import Priority, Status
from backend.services.clusters import status_words
from backend.services.nearby import MAX_IN_BOX, MAX_NEARBY

STATUS_CHOICES = ["open", "closed", *(s.value for s in Status)]


class CommaList(ma.fields.String):
    """``a,b,c`` in a query string, as a list of stripped, non-empty words."""

    def __init__(self, choices=None, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        words = [w.strip() for w in super()._deserialize(value, attr, data, **kwargs).split(",")]
        words = [w for w in words if w]
        if not words:
            raise ma.ValidationError("Give at least one value.")
        if self.choices is not None:
            unknown = [w for w in words if w not in self.choices]
            if unknown:
                raise ma.ValidationError(f"Unknown value {unknown[0]!r}; use one of "
                                         f"{', '.join(self.choices)}.")
        return words


class BBoxField(ma.fields.String):
    """``min_lon,min_lat,max_lon,max_lat``."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = super()._deserialize(value, attr, data, **kwargs).split(",")
        try:
            numbers = tuple(float(p) for p in parts)
        except ValueError:
            numbers = ()
        if len(numbers) != 4:
            raise ma.ValidationError("Give four numbers: min_lon,min_lat,max_lon,max_lat.")
        return numbers


class ServiceFilterArgs(ma.Schema):
    service = CommaList(metadata={"description": "Service codes, comma-separated."})


class NearbyArgsSchema(ServiceFilterArgs):
    lat = ma.fields.Float(required=True, allow_nan=False)
    lon = ma.fields.Float(required=True, allow_nan=False)
    radius = ma.fields.Float(load_default=500.0, allow_nan=False,
                             validate=validate.Range(0, 50_000),
                             metadata={"description": "Metres."})
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, MAX_NEARBY))
    status = ma.fields.String(load_default="open", validate=validate.OneOf(["open", "all"]),
                              metadata={"description": "open (default) or all."})


class InBoxArgsSchema(ServiceFilterArgs):
    bbox = BBoxField(required=True, metadata={"description": "min_lon,min_lat,max_lon,max_lat"})
    limit = ma.fields.Integer(load_default=1000, validate=validate.Range(1, MAX_IN_BOX))
    status = ma.fields.String(load_default="open", validate=validate.OneOf(["open", "all"]))


class ClusterArgsSchema(ServiceFilterArgs):
    bbox = BBoxField(required=True, metadata={"description": "min_lon,min_lat,max_lon,max_lat"})
    zoom = ma.fields.Integer(required=True, validate=validate.Range(0, 22))
    status = CommaList(STATUS_CHOICES, metadata={
        "description": "Statuses, or open / closed, comma-separated; all when absent."})
    priority = CommaList([p.value for p in Priority])
    zone = ma.fields.Integer(metadata={"description": "Only requests in this zone (its id, "
                                                      "from /api/v1/zones)."})

    @ma.post_load
    def expand_statuses(self, data, **_kwargs):
        if "status" in data:
            data["status"] = status_words(data["status"])
        return data


class MapRequestSchema(ma.Schema):
    """A request as a map shows it: no description, no contact, no timeline."""

    tracking = ma.fields.String()
    service_code = ma.fields.String()
    status = ma.fields.String()
    public_status = ma.fields.String()
    priority = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    address = ma.fields.String()
    created_at = ma.fields.String()


class NearbyItemSchema(MapRequestSchema):
    distance_m = ma.fields.Float()


class NearbyPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NearbyItemSchema))


class InBoxPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MapRequestSchema))


class FeatureCollectionSchema(ma.Schema):
    type = ma.fields.String()
    bbox = ma.fields.List(ma.fields.Float())
    zoom = ma.fields.Integer()
    total = ma.fields.Integer()
    features = ma.fields.List(ma.fields.Dict())
