"""The project's Blueprint: flask-smorest's, plus sign-in checks."""

import threading
from functools import wraps

import flask_smorest
from flask import g, request

from backend import db
from backend.errors import Forbidden, Unauthorized
from backend.models import Role, User
from backend.services import accounts


class Blueprint(flask_smorest.Blueprint):
    _storing_docs = threading.Lock()  # blueprints are shared by every app of the process

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._routes_to_document: list[tuple] = []

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options) -> None:
        # flask-smorest deep-copies each view's documentation, schema instances and all, as
        # the route is added; only the OpenAPI document reads it (see backend.api.docs).
        self._routes_to_document.append((endpoint, obj, parameters, tags, options))

    def register_views_in_doc(self, *args, **kwargs) -> None:
        with self._storing_docs:
            while self._routes_to_document:
                endpoint, obj, parameters, tags, options = self._routes_to_document.pop(0)
                super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        super().register_views_in_doc(*args, **kwargs)

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
