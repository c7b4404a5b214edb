import marshmallow as ma
from marshmallow import validate

from backend.models import Role
from backend.models.types import utcnow


class LoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(1, 80))
    password = ma.fields.String(required=True, validate=validate.Length(1, 200),
                                load_only=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.Enum(Role, by_value=True)
    crew = ma.fields.Function(lambda u: u.crew.name if u.crew else None)


class TokenSchema(ma.Schema):
    token = ma.fields.String(metadata={"description": "Send as 'Authorization: Bearer …'."})
    expires_at = ma.fields.AwareDateTime()
    user = ma.fields.Nested(UserSchema)


class SignInQueryArgsSchema(ma.Schema):
    username = ma.fields.String(load_default=None, validate=validate.Length(1, 80),
                                metadata={"description": "Only this user's sign-ins."})
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(0))


class SignInSchema(ma.Schema):
    id = ma.fields.Integer()
    user = ma.fields.Nested(UserSchema)
    signed_in_at = ma.fields.AwareDateTime(attribute="created_at")
    expires_at = ma.fields.AwareDateTime()
    revoked = ma.fields.Boolean(metadata={"description": "Signed out (everywhere)."})
    active = ma.fields.Function(lambda t: not t.revoked and t.expires_at > utcnow(),
                                metadata={"type": "boolean",
                                          "description": "Still usable now."})
    ip = ma.fields.String(metadata={"description": "The address it came from."})
    user_agent = ma.fields.String(metadata={"description": "The browser or app it came from."})


class SignInPageSchema(ma.Schema):
    total = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(SignInSchema))
