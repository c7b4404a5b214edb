"""Admins hand out, adjust and revoke the keys Open311 clients submit with."""

from flask.views import MethodView

from backend.api.apikeys.schemas import (
    ApiKeyCreateSchema,
    ApiKeySchema,
    ApiKeyUpdateSchema,
    NewApiKeySchema,
)
from backend.api.blueprint import Blueprint
from backend.db import session
from backend.models import Role
from backend.services import open311

blp = Blueprint("apikeys", __name__, url_prefix="/api/v1/apikeys",
                description="Keys for Open311 client applications (admins only).")


@blp.route("")
class ApiKeys(MethodView):
    @blp.requires_role(Role.ADMIN)
    @blp.response(200, ApiKeySchema(many=True))
    def get(self):
        """Every key, revoked ones included."""
        return open311.list_api_keys(session())

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, NewApiKeySchema)
    def post(self, fields):
        """Make a key for a client application. The answer is the only time it is shown."""
        key, record = open311.create_api_key(session(), fields["name"],
                                             rate_limit=fields["rate_limit"])
        return {**{name: getattr(record, name) for name in ApiKeySchema().fields}, "key": key}


@blp.route("/<int:key_id>")
class ApiKeyById(MethodView):
    @blp.requires_role(Role.ADMIN)
    @blp.response(200, ApiKeySchema)
    def get(self, key_id):
        """One key's name, limit and state."""
        return open311.get_api_key(session(), key_id)

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(ApiKeyUpdateSchema)
    @blp.response(200, ApiKeySchema)
    def patch(self, fields, key_id):
        """Rename a key or change its rate limit."""
        return open311.update_api_key(session(), key_id, **fields)

    @blp.requires_role(Role.ADMIN)
    @blp.response(200, ApiKeySchema)
    def delete(self, key_id):
        """Revoke a key: it stops working at once; the record stays for the audit."""
        return open311.revoke_api_key(session(), key_id)
