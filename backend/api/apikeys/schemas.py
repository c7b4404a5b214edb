"""Open311 client keys as they travel over HTTP. The key itself appears only once."""

import marshmallow as ma
from marshmallow import validate

from backend.models.apikey import DEFAULT_RATE_LIMIT

RATE_LIMIT = validate.Range(1, 1_000_000)


class ApiKeySchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    key_prefix = ma.fields.String(metadata={"description": "The key's first characters."})
    rate_limit = ma.fields.Integer(metadata={"description": "Requests per hour."})
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    last_used_at = ma.fields.AwareDateTime(allow_none=True)


class NewApiKeySchema(ApiKeySchema):
    key = ma.fields.String(metadata={"description": "Shown this once; only its hash is kept."})


class ApiKeyCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 80))
    rate_limit = ma.fields.Integer(load_default=DEFAULT_RATE_LIMIT, validate=RATE_LIMIT,
                                   metadata={"description": "Requests per hour."})


class ApiKeyUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(1, 80))
    rate_limit = ma.fields.Integer(validate=RATE_LIMIT)
