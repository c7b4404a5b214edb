"""Dispatch: assign work by list or by drawing on the map; see where crews are."""

from flask.views import MethodView
from sqlalchemy import select

from backend.api.blueprint import Blueprint, current_user
from backend.api.dispatch.schemas import (
    AssignAreaSchema,
    AssignReportSchema,
    AssignSchema,
    CrewSchema,
    CrewSuggestionSchema,
    PositionSchema,
)
from backend.db import session
from backend.errors import InvalidInput
from backend.models import Crew, Role
from backend.services import work_orders, zones

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1/dispatch",
                description="Dispatch: hand work to crews, by list or by map.")

DISPATCH = (Role.DISPATCHER, Role.ADMIN)


def _crew_and_worker(db, fields):
    worker = work_orders.get_worker(db, fields["worker_id"]) if fields["worker_id"] else None
    if fields["crew_id"]:
        return work_orders.get_crew(db, fields["crew_id"]), worker
    if worker is None:
        raise InvalidInput("crew_required", "Say which crew (crew_id) or worker gets the work.")
    return worker.crew, worker


@blp.route("/assign")
class Assign(MethodView):
    @blp.requires_role(*DISPATCH)
    @blp.arguments(AssignSchema)
    @blp.response(200, AssignReportSchema)
    def post(self, fields):
        """Assign (or reassign) these work orders to a crew or worker; each one left alone
        is reported with its reason."""
        db = session()
        crew, worker = _crew_and_worker(db, fields)
        try:
            versions = {int(k): v for k, v in fields["versions"].items()}
        except ValueError:
            raise InvalidInput("invalid_versions", "versions maps work-order ids to versions.") \
                from None
        found, missing = work_orders.work_orders_by_id(db, fields["work_orders"])
        report = work_orders.assign_many(db, found, crew, actor=current_user(), worker=worker,
                                         versions=versions, note=fields["note"])
        report.skipped.extend(missing)
        return report


@blp.route("/assign-area")
class AssignArea(MethodView):
    @blp.requires_role(*DISPATCH)
    @blp.arguments(AssignAreaSchema)
    @blp.response(200, AssignReportSchema)
    def post(self, fields):
        """Assign every open work order inside a drawn polygon or box (with filters)."""
        db = session()
        crew, worker = _crew_and_worker(db, fields)
        area, bbox = work_orders.parse_area(fields["polygon"], fields["bbox"])
        filters = work_orders.AreaFilters(
            services=fields["services"], priorities=fields["priorities"],
            older_than_hours=fields["older_than_hours"],
            include_assigned=fields["include_assigned"],
            zone_id=zones.get_zone(db, fields["zone"]).id if fields["zone"] else None)
        found = work_orders.open_in_area(db, area, bbox, filters)
        return work_orders.assign_many(db, found, crew, actor=current_user(), worker=worker,
                                       include_assigned=filters.include_assigned,
                                       note=fields["note"])


@blp.route("/crews")
class Crews(MethodView):
    @blp.requires_role(*DISPATCH)
    @blp.response(200, CrewSchema(many=True))
    def get(self):
        """Every crew work can be given to, by name."""
        return session().scalars(select(Crew).order_by(Crew.name)).all()


@blp.route("/positions")
class Positions(MethodView):
    @blp.requires_role(*DISPATCH)
    @blp.response(200, PositionSchema(many=True))
    def get(self):
        """The last known position and time of every crew member."""
        return work_orders.crew_positions(session())


@blp.route("/workorders/<int:work_order_id>/suggested-crews")
class SuggestedCrews(MethodView):
    @blp.requires_role(*DISPATCH)
    @blp.response(200, CrewSuggestionSchema(many=True))
    def get(self, work_order_id):
        """The nearest crews with a recent position (the service's department's first)."""
        db = session()
        return work_orders.suggest_crews(db, work_orders.get_work_order(db, work_order_id))
