"""Routing rules as they travel over HTTP."""

import marshmallow as ma
from marshmallow import validate


class RuleZoneSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.Length(1, 40))
    code = ma.fields.String(required=True, validate=validate.Length(1, 60))
    name = ma.fields.String(dump_only=True)


class RuleDepartmentSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class RuleCrewSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class RoutingRuleSchema(ma.Schema):
    id = ma.fields.Integer()
    service_code = ma.fields.Function(lambda r: r.service.code if r.service else None,
                                      metadata={"description": "Empty: any service."})
    zone = ma.fields.Nested(RuleZoneSchema, allow_none=True,
                            metadata={"description": "Empty: anywhere."})
    department = ma.fields.Nested(RuleDepartmentSchema, allow_none=True)
    crew = ma.fields.Nested(RuleCrewSchema, allow_none=True)
    priority = ma.fields.Integer()
    note = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class RoutingRuleCreateSchema(ma.Schema):
    service_code = ma.fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(1, 40))
    zone = ma.fields.Nested(RuleZoneSchema, load_default=None, allow_none=True)
    department_code = ma.fields.String(load_default=None, allow_none=True,
                                       validate=validate.Length(1, 40))
    crew_name = ma.fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(1, 80))
    priority = ma.fields.Integer(load_default=100, validate=validate.Range(0, 1_000_000),
                                 metadata={"description": "Lower wins among equally "
                                                          "specific rules."})
    note = ma.fields.String(load_default="", validate=validate.Length(max=300))


class RoutingRuleUpdateSchema(RoutingRuleCreateSchema):
    """Loaded with partial=True: only what is sent changes; null clears a field."""


class RoutingDecisionQuerySchema(ma.Schema):
    service = ma.fields.String(required=True, validate=validate.Length(1, 40))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))


class RoutingDecisionSchema(ma.Schema):
    department = ma.fields.Nested(RuleDepartmentSchema)
    crew = ma.fields.Nested(RuleCrewSchema, allow_none=True)
    reason = ma.fields.String(metadata={"description": "rule, service_default or triage"})
    rule = ma.fields.Nested(RoutingRuleSchema, allow_none=True)
