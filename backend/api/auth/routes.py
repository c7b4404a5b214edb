"""Staff sign-in with expiring bearer tokens."""

from flask import current_app, request
from flask.views import MethodView

from backend.api.auth.schemas import (
    LoginSchema,
    SignInPageSchema,
    SignInQueryArgsSchema,
    TokenSchema,
    UserSchema,
)
from backend.api.blueprint import Blueprint, current_user
from backend.db import session
from backend.models import Role
from backend.services import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Signing in as staff (crew, dispatcher, admin).")


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password.")
    def post(self, credentials):
        """Sign in; the token expires after TOKEN_HOURS."""
        token, record = accounts.sign_in(session(), **credentials,
                                         hours=current_app.config["TOKEN_HOURS"],
                                         ip=request.remote_addr or "",
                                         user_agent=request.user_agent.string)
        return {"token": token, "expires_at": record.expires_at, "user": record.user}


@blp.route("/me")
class Me(MethodView):
    @blp.requires_role()
    @blp.response(200, UserSchema)
    def get(self):
        """Who this token belongs to."""
        return current_user()


@blp.route("/logout-everywhere")
class LogoutEverywhere(MethodView):
    @blp.requires_role()
    @blp.response(204)
    def post(self):
        """Revoke every token of the signed-in user."""
        accounts.sign_out_everywhere(session(), current_user())


@blp.route("/sign-ins")
class SignIns(MethodView):
    @blp.requires_role(Role.ADMIN)
    @blp.arguments(SignInQueryArgsSchema, location="query")
    @blp.response(200, SignInPageSchema)
    def get(self, args):
        """Staff sign-ins, newest first: who, when, until when, from which address and
        browser, and whether the sign-in is still active."""
        total, items = accounts.sign_ins(session(), username=args["username"],
                                         limit=args["limit"], offset=args["offset"])
        return {"total": total, "items": items}
