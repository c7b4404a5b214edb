"""Offline sync over HTTP: the delta feed and the queue of actions."""

import marshmallow as ma
from marshmallow import validate

from backend.api.workorders.schemas import ACTION_ID, ActionFieldsSchema, WorkOrderSchema


class FeedArgsSchema(ma.Schema):
    since = ma.fields.String(load_default=None, metadata={
        "description": "The cursor of the last page; none for a full sync."})
    limit = ma.fields.Integer(load_default=200, validate=validate.Range(1, 1000))


class FeedItemSchema(ma.Schema):
    id = ma.fields.Integer(attribute="work_order_id")
    removed = ma.fields.String(allow_none=True, metadata={
        "description": "Set when the work order left this crew: reassigned, unassigned, "
                       "cancelled, deleted. Drop it locally."})
    work_order = ma.fields.Nested(WorkOrderSchema, allow_none=True)


class FeedPageSchema(ma.Schema):
    cursor = ma.fields.String(metadata={"description": "Send back as since= next time."})
    has_more = ma.fields.Boolean()
    changes = ma.fields.List(ma.fields.Nested(FeedItemSchema), attribute="items")


class QueuedActionSchema(ActionFieldsSchema):
    action_id = ma.fields.String(required=True, validate=ACTION_ID)
    work_order_id = ma.fields.Integer(required=True)
    version = ma.fields.Integer(load_default=None, metadata={
        "description": "The version the crew saw (as If-Match)."})
    based_on = ma.fields.String(load_default=None, validate=ACTION_ID, metadata={
        "description": "Instead of version: the action_id of my earlier queued action on "
                       "this work order; the version it produced is the one expected."})


class QueueSchema(ma.Schema):
    actions = ma.fields.List(ma.fields.Nested(QueuedActionSchema), required=True,
                             validate=validate.Length(1, 500))


class ErrorPartSchema(ma.Schema):
    code = ma.fields.String()
    message = ma.fields.String()


class AnswerSchema(ma.Schema):
    action_id = ma.fields.String()
    outcome = ma.fields.String(metadata={
        "description": "applied, already_applied, conflict or rejected"})
    work_order = ma.fields.Dict(attribute="response", allow_none=True, metadata={
        "description": "After the action; for a conflict, the current state."})
    error = ma.fields.Nested(ErrorPartSchema, allow_none=True)


class QueueAnswerSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(AnswerSchema))
