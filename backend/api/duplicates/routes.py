"""Before reporting: "is it already reported?"; then "me too" (follow); for staff, merge."""

from flask import current_app
from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.duplicates.schemas import (
    DuplicateCandidateSchema,
    DuplicateQuerySchema,
    FollowRequestSchema,
    FollowResultSchema,
    MergeRequestSchema,
)
from backend.api.requests.schemas import PublicRequestSchema
from backend.db import session
from backend.models import Role
from backend.services import duplicates, followers, reports

blp = Blueprint("duplicates", __name__, url_prefix="/api/v1/requests",
                description="Existing reports near a point; following and merging them.")


@blp.route("/duplicates")
class Duplicates(MethodView):
    @blp.arguments(DuplicateQuerySchema, location="query")
    @blp.response(200, DuplicateCandidateSchema(many=True))
    def get(self, args):
        """Open, recent reports near the point, most likely the same problem first."""
        return duplicates.find_duplicates(
            session(), lon=args["lon"], lat=args["lat"], service_code=args["service"],
            description=args["description"], phash=args["phash"], limit=args["limit"],
            window_days=current_app.config["DUPLICATE_WINDOW_DAYS"])


@blp.route("/<tracking>/follow")
class Follow(MethodView):
    @blp.arguments(FollowRequestSchema)
    @blp.response(200, FollowResultSchema)
    def post(self, fields, tracking):
        """Say "me too": count one more supporter and, with an email, send its updates there.
        The same email following again changes nothing."""
        found = reports.get_by_tracking_number(session(), tracking)
        return followers.follow(session(), found, email=fields["email"],
                                language=fields["language"])


@blp.route("/<tracking>/merge")
class Merge(MethodView):
    @blp.requires_role(Role.DISPATCHER, Role.ADMIN)
    @blp.arguments(MergeRequestSchema)
    @blp.response(200, PublicRequestSchema)
    def post(self, fields, tracking):
        """Mark this report a duplicate of another: its followers and supporters move over."""
        db = session()
        duplicate = reports.get_by_tracking_number(db, tracking)
        primary = reports.get_by_tracking_number(db, fields["into"])
        followers.merge(db, duplicate, primary, actor=current_user(), note=fields["note"])
        return duplicate
