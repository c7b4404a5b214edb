"""Schemas shared by several resources."""

import marshmallow as ma


class ErrorSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Machine-readable reason."})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable reason."})
    details = ma.fields.Dict()
