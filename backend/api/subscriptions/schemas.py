"""Subscriptions and "was it fixed?" links as they travel over HTTP."""

import marshmallow as ma
from marshmallow import validate

LANGUAGE = validate.OneOf(["en", "es"])


class PushKeysSchema(ma.Schema):
    p256dh = ma.fields.String(required=True, validate=validate.Length(1, 200))
    auth = ma.fields.String(required=True, validate=validate.Length(1, 200))


class PushSubscriptionSchema(ma.Schema):
    """The browser's PushSubscription.toJSON()."""

    class Meta:
        unknown = ma.EXCLUDE  # browsers add expirationTime and may add more

    endpoint = ma.fields.String(required=True, validate=validate.Length(1, 600))
    keys = ma.fields.Nested(PushKeysSchema, required=True)


class SubscribeSchema(ma.Schema):
    channel = ma.fields.String(required=True, validate=validate.OneOf(["email", "push"]))
    address = ma.fields.String(load_default="", validate=validate.Length(max=254),
                               metadata={"description": "The email address (channel email)."})
    subscription = ma.fields.Nested(PushSubscriptionSchema, load_default=None,
                                    metadata={"description": "The browser's push subscription "
                                                             "(channel push)."})
    language = ma.fields.String(load_default="en", validate=LANGUAGE)

    @ma.validates_schema
    def _needs_a_destination(self, data, **_):
        if data["channel"] == "email" and not data["address"].strip():
            raise ma.ValidationError("Give the email address.", "address")
        if data["channel"] == "push" and data["subscription"] is None:
            raise ma.ValidationError("Give the browser's push subscription.", "subscription")


class SubscriptionSchema(ma.Schema):
    tracking = ma.fields.String()
    channel = ma.fields.String()
    language = ma.fields.String()
    confirmed = ma.fields.Boolean(metadata={"description": "Email waits for the link in the "
                                                           "confirmation message."})
    unsubscribe_token = ma.fields.String(
        metadata={"description": "Push only: lets this browser unsubscribe later."})


class UnsubscribedSchema(ma.Schema):
    tracking = ma.fields.String()
    unsubscribed = ma.fields.Boolean()


class VapidKeySchema(ma.Schema):
    public_key = ma.fields.String(metadata={"description": "applicationServerKey (base64url)."})


class ReopenSchema(ma.Schema):
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class ReopenOfferSchema(ma.Schema):
    tracking = ma.fields.Function(lambda o: o.request.tracking)
    status = ma.fields.Function(lambda o: o.request.status.value)
    allowed = ma.fields.Boolean()
    reason = ma.fields.String()
    deadline = ma.fields.Function(lambda o: o.deadline.isoformat() if o.deadline else None)
