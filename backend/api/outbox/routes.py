"""Staff: the outbox (pending, sent, failed, dead, with counts) and retrying a message;
admins: the wording of each message, per service and language."""

from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.outbox.schemas import (
    NotificationSchema,
    OutboxPageSchema,
    OutboxQueryArgsSchema,
    WordingListSchema,
    WordingPutSchema,
    WordingQueryArgsSchema,
    WordingSchema,
)
from backend.db import session
from backend.models import Role
from backend.notify import templates
from backend.services import notifications

blp = Blueprint("outbox", __name__, url_prefix="/api/v1",
                description="Messages owed to residents and staff, and their wording.")
STAFF = (Role.DISPATCHER, Role.ADMIN)


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(OutboxQueryArgsSchema, location="query")
    @blp.response(200, OutboxPageSchema)
    def get(self, args):
        """Messages by status, newest first, with the count of each status."""
        return notifications.outbox_page(session(), status=args["status"], limit=args["limit"],
                                         offset=args["offset"])


@blp.route("/outbox/<int:notification_id>/retry")
class Retry(MethodView):
    @blp.requires_role(*STAFF)
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Send a failed, dead or cancelled message again at the next run."""
        return notifications.retry(session(), notification_id, actor=current_user())


@blp.route("/message-templates")
class Wordings(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(WordingQueryArgsSchema, location="query")
    @blp.response(200, WordingListSchema)
    def get(self, args):
        """What each message says, per kind and language, and where that wording comes from."""
        return {"variables": sorted(templates.VARIABLES),
                "wordings": notifications.wordings(session(), args["service"])}


@blp.route("/message-templates/<kind>/<language>")
class Wording(MethodView):
    @blp.requires_role(Role.ADMIN)
    @blp.arguments(WordingQueryArgsSchema, location="query")
    @blp.arguments(WordingPutSchema)
    @blp.response(200, WordingSchema)
    def put(self, args, fields, kind, language):
        """Replace the wording (city-wide, or for ?service=code). Jinja2 with the listed
        variables only; an unknown variable is refused."""
        db = session()
        notifications.put_wording(db, kind=kind, language=language, subject=fields["subject"],
                                  body=fields["body"], service_code=args["service"],
                                  actor=current_user())
        return _effective(db, args["service"], kind, language)

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(WordingQueryArgsSchema, location="query")
    @blp.response(200, WordingSchema)
    def delete(self, args, kind, language):
        """Back to the city-wide wording (for a service) or the built-in one."""
        db = session()
        notifications.delete_wording(db, kind=kind, language=language,
                                     service_code=args["service"])
        db.flush()
        return _effective(db, args["service"], kind, language)


def _effective(db, service_code, kind, language):
    return next(w for w in notifications.wordings(db, service_code)
                if w.kind == kind and w.language == language)
