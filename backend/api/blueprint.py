"""The project's Blueprint: flask-smorest's, plus sign-in checks documented once."""

from functools import wraps

import flask_smorest
from flask import g, request

from backend import db
from backend.errors import Forbidden, Unauthorized
from backend.models import Role, User
from backend.services import accounts

BEARER = [{"bearerAuth": []}]


class Blueprint(flask_smorest.Blueprint):
    def requires_role(self, *roles: Role | str):
        """Only signed-in staff with one of these roles (any staff role if none given)."""
        allowed = {Role(r) for r in roles} or set(Role)

        def decorator(view):
            @wraps(view)
            def guarded(*args, **kwargs):
                user = current_user(required=True)
                if user.role not in allowed:
                    raise Forbidden("forbidden", "Your role may not do this.")
                return view(*args, **kwargs)

            self.doc(security=BEARER)(guarded)
            self.alt_response(401, description="Not signed in, or the sign-in expired.")(guarded)
            self.alt_response(403, description="Signed in, but the role may not do this.")(
                guarded)
            return guarded

        return decorator


def current_user(*, required: bool = False) -> User | None:
    """The staff member behind this request's bearer token, if any."""
    if "user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            g.user = None
        else:
            g.user = accounts.authenticate(db.session(), token.strip())
    if required and g.user is None:
        raise Unauthorized("not_signed_in", "Please sign in first.")
    return g.user
