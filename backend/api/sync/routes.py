"""Offline crews: pull the changes to my work, push the actions I queued."""

from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.sync.schemas import FeedArgsSchema, FeedPageSchema, QueueAnswerSchema, QueueSchema
from backend.api.workorders.routes import render
from backend.db import session
from backend.models import Role
from backend.services import crew_sync, work_orders

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync",
                description="Offline sync for crews: a delta feed and a queue of actions.")


@blp.route("")
class Feed(MethodView):
    @blp.requires_role(Role.CREW)
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, FeedPageSchema)
    def get(self, args):
        """The changes to my crew's work orders since a cursor (none: everything open).
        Keep asking with the returned cursor while has_more is true."""
        return crew_sync.feed(session(), current_user(), args["since"], limit=args["limit"])


@blp.route("/actions")
class Queue(MethodView):
    @blp.requires_role(Role.CREW, Role.DISPATCHER, Role.ADMIN)
    @blp.arguments(QueueSchema)
    @blp.response(200, QueueAnswerSchema)
    def post(self, body):
        """Apply queued actions in order; each is answered on its own: applied,
        already_applied (a replay: the first answer), conflict (with the current state)
        or rejected (with the reason). One refused action never blocks the rest."""
        actions = [work_orders.Action(**a) for a in body["actions"]]
        answers = crew_sync.apply_queue(session(), current_user(), actions, render=render)
        return {"results": answers}
