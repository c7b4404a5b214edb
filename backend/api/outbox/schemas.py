"""The outbox and message wording as staff see them over HTTP (no full addresses)."""

import marshmallow as ma
from marshmallow import validate

from backend.models import DeliveryStatus
from backend.notify import templates
from backend.services.notifications import masked_recipient


class OutboxQueryArgsSchema(ma.Schema):
    status = ma.fields.Enum(DeliveryStatus, by_value=True, load_default=None)
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(0))


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    request_id = ma.fields.Integer()
    template = ma.fields.String()
    channel = ma.fields.Function(lambda n: n.channel.value)
    language = ma.fields.String()
    status = ma.fields.Function(lambda n: n.status.value)
    attempts = ma.fields.Integer()
    recipient = ma.fields.Function(masked_recipient)
    next_attempt_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime()
    last_error = ma.fields.String()


class OutboxPageSchema(ma.Schema):
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    total = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(NotificationSchema))


class WordingQueryArgsSchema(ma.Schema):
    service = ma.fields.String(load_default=None, validate=validate.Length(1, 40),
                               metadata={"description": "A service code; none = city-wide."})


class WordingSchema(ma.Schema):
    kind = ma.fields.String()
    language = ma.fields.String()
    subject = ma.fields.String()
    body = ma.fields.String()
    source = ma.fields.String(metadata={"description": "service, city or default"})
    service_code = ma.fields.String(allow_none=True)


class WordingListSchema(ma.Schema):
    variables = ma.fields.List(ma.fields.String())
    wordings = ma.fields.List(ma.fields.Nested(WordingSchema))


class WordingPutSchema(ma.Schema):
    subject = ma.fields.String(required=True,
                               validate=validate.Length(1, templates.MAX_SUBJECT))
    body = ma.fields.String(required=True, validate=validate.Length(1, templates.MAX_BODY))
