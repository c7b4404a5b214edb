"""The service catalog as it travels over HTTP."""

import marshmallow as ma
from marshmallow import validate

from backend.models import Datatype, Priority, ServiceType

CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$", error="Use letters, digits, _ . - only.")


class AttributeValueSchema(ma.Schema):
    key = ma.fields.String(required=True, validate=validate.Length(1, 60))
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))


class AttributeSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE)
    datatype = ma.fields.Enum(Datatype, by_value=True, required=True)
    description = ma.fields.String(required=True, validate=validate.Length(1, 500))
    datatype_description = ma.fields.String(load_default="", validate=validate.Length(max=500))
    required = ma.fields.Boolean(load_default=False)
    variable = ma.fields.Boolean(load_default=True)
    order = ma.fields.Integer(load_default=0, validate=validate.Range(0, 1000))
    values = ma.fields.List(ma.fields.Nested(AttributeValueSchema), load_default=list)


class ServiceSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    group = ma.fields.String()
    keywords = ma.fields.List(ma.fields.String())
    type = ma.fields.Enum(ServiceType, by_value=True)
    public = ma.fields.Boolean()
    default_priority = ma.fields.Enum(Priority, by_value=True)
    sla_hours = ma.fields.Integer(allow_none=True)
    duplicate_radius_m = ma.fields.Integer()
    proof_required = ma.fields.Boolean()
    department = ma.fields.Function(lambda s: s.department.code if s.department else None)
    attributes = ma.fields.List(ma.fields.Nested(AttributeSchema))


class ServiceCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE)
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    description = ma.fields.String(validate=validate.Length(max=2000))
    group = ma.fields.String(validate=validate.Length(max=80))
    keywords = ma.fields.List(ma.fields.String(validate=validate.Length(1, 40)),
                              validate=validate.Length(max=30))
    type = ma.fields.Enum(ServiceType, by_value=True)
    public = ma.fields.Boolean()
    default_priority = ma.fields.Enum(Priority, by_value=True)
    sla_hours = ma.fields.Integer(allow_none=True, validate=validate.Range(1, 24 * 365))
    duplicate_radius_m = ma.fields.Integer(validate=validate.Range(0, 5000))
    proof_required = ma.fields.Boolean()
    department = ma.fields.String(allow_none=True)
    attributes = ma.fields.List(ma.fields.Nested(AttributeSchema),
                                validate=validate.Length(max=50))


class ServiceUpdateSchema(ServiceCreateSchema):
    class Meta:
        exclude = ("code",)

    name = ma.fields.String(validate=validate.Length(1, 120))
    active = ma.fields.Boolean()
