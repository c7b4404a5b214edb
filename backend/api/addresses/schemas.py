"""Addresses as they travel over HTTP."""

import marshmallow as ma
from marshmallow import validate

from backend.services import addresses


class AddressQuerySchema(ma.Schema):
    # Longer input is refused by the service with a clear code, not cut here.
    q = ma.fields.String(required=True, metadata={"description": "What was typed so far."})
    limit = ma.fields.Integer(load_default=10,
                              validate=validate.Range(1, addresses.MAX_RESULTS))


class NearestAddressQuerySchema(ma.Schema):
    lat = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    max_distance_m = ma.fields.Float(load_default=500, allow_nan=False,
                                     validate=validate.Range(1, 5000))


class AddressPointSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()
    number = ma.fields.String()
    street = ma.fields.Function(lambda a: a.street.name)
    locality = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class AddressSuggestionSchema(ma.Schema):
    address = ma.fields.Nested(AddressPointSchema)
    score = ma.fields.Float(metadata={"description": "1.0: every word typed starts a word of "
                                                     "the address; lower: a near spelling."})


class NearestAddressSchema(ma.Schema):
    address = ma.fields.Nested(AddressPointSchema)
    distance_m = ma.fields.Function(lambda n: round(n.distance_m, 1))
