"""Zones as they travel over HTTP."""

import marshmallow as ma
from marshmallow import validate

from backend.services import zones


class ZoneQuerySchema(ma.Schema):
    kind = ma.fields.String(load_default=None, validate=validate.Length(1, 40),
                            metadata={"description": "neighbourhood, district, city …"})


class ZoneSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    bbox = ma.fields.Function(lambda z: [z.min_lon, z.min_lat, z.max_lon, z.max_lat],
                              metadata={"type": "array", "items": {"type": "number"},
                                        "description": "min_lon, min_lat, max_lon, max_lat"})


class ZoneOutlineSchema(ZoneSchema):
    geometry = ma.fields.Function(zones.outline, metadata={
        "type": "object", "description": "GeoJSON Polygon or MultiPolygon, simplified to "
                                         "about 5 m for drawing on a map."})
