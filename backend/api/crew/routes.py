"""Crews in the field: my work near me, and where I am."""

from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.crew.schemas import CrewDayArgsSchema, CrewDaySchema, PingAnswerSchema, PingSchema
from backend.db import session
from backend.models import Role
from backend.services import work_orders

blp = Blueprint("crew", __name__, url_prefix="/api/v1/crew",
                description="Field crews: work near me, location pings.")


@blp.route("/workorders")
class MyWork(MethodView):
    @blp.requires_role(Role.CREW)
    @blp.arguments(CrewDayArgsSchema, location="query")
    @blp.response(200, CrewDaySchema)
    def get(self, args):
        """My crew's open work orders and unassigned ones near me, nearest first, each with
        its distance in metres, and a suggested visiting order for my work."""
        return work_orders.crew_day(session(), current_user(), near=args["near"],
                                    radius_m=args["radius_m"], limit=args["limit"])


@blp.route("/position")
class Position(MethodView):
    @blp.requires_role(Role.CREW)
    @blp.arguments(PingSchema)
    @blp.response(200, PingAnswerSchema)
    def post(self, ping):
        """Where I am now (an older ping sent late changes nothing)."""
        return work_orders.record_position(session(), current_user(), lon=ping["lon"],
                                           lat=ping["lat"], accuracy_m=ping["accuracy_m"],
                                           recorded_at=ping["recorded_at"])
