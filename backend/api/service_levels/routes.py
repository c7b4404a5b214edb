"""Service levels: each service's target, the working calendars, a request's priority (which
moves its expected date) and the overdue queue."""

from flask import jsonify
from flask.views import MethodView
from sqlalchemy import select

from backend.api.blueprint import Blueprint, current_user
from backend.api.requests.schemas import PublicRequestSchema
from backend.api.service_levels.schemas import (
    CalendarSchema,
    OverdueArgs,
    OverduePageSchema,
    PriorityChangeSchema,
    ServiceLevelSchema,
    ServiceLevelsSchema,
    ServiceTargetSchema,
)
from backend.db import session
from backend.models import Role, WorkCalendar
from backend.services import catalog, overdue, reports, service_levels

blp = Blueprint("service_levels", __name__, url_prefix="/api/v1",
                description="Service levels: targets, calendars, priorities, overdue work.")
STAFF = (Role.DISPATCHER, Role.ADMIN)


@blp.route("/requests/<tracking>/priority")
class RequestPriority(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(PriorityChangeSchema)
    @blp.response(200, PublicRequestSchema)
    def post(self, change, tracking):
        """Set a request's priority; its expected date follows the priority's target. The
        change is an internal timeline event."""
        found = reports.get_by_tracking_number(session(), tracking)
        service_levels.change_priority(session(), found, change["priority"],
                                       actor=current_user(), note=change["note"])
        return found


@blp.route("/service-levels")
class ServiceLevels(MethodView):
    @blp.requires_role(*STAFF)
    @blp.alt_response(200, schema=ServiceLevelsSchema, description="Targets and calendars.")
    def get(self):
        """Every service's effective target (its own, or the catalog's hours on the default
        calendar), and the calendars."""
        db = session()
        calendars = [_calendar(c) for c in db.scalars(select(WorkCalendar)
                                                       .order_by(WorkCalendar.code))]
        return jsonify(services=service_levels.describe(db), calendars=calendars)


@blp.route("/service-levels/<service_code>")
class ServiceLevelOfService(MethodView):
    @blp.requires_role(Role.ADMIN)
    @blp.arguments(ServiceLevelSchema)
    @blp.alt_response(200, schema=ServiceTargetSchema, description="The service's target now.")
    def put(self, level, service_code):
        """Set a service's target (hours of working time, or business days) and overrides.
        Requests made from now on get expected dates from it."""
        db = session()
        service = catalog.get_service(db, service_code)
        service_levels.put_service_level(db, service, value=level["value"], unit=level["unit"],
                                         calendar=level["calendar"],
                                         overrides=level["priority_overrides"])
        found = next(s for s in service_levels.describe(db) if s["service_code"] == service_code)
        return jsonify(found)


@blp.route("/service-levels/calendars/<code>")
class Calendar(MethodView):
    @blp.requires_role(Role.ADMIN)
    @blp.arguments(CalendarSchema)
    @blp.alt_response(200, schema=CalendarSchema, description="The calendar as stored.")
    def put(self, fields, code):
        """Create or replace a working calendar (hours per weekday, time zone, holidays)."""
        row = service_levels.put_calendar(session(), code, timezone=fields["timezone"],
                                          hours=fields["hours"], holidays=fields["holidays"],
                                          name=fields["name"], is_default=fields["default"])
        return jsonify(_calendar(row))


@blp.route("/service-levels/overdue")
class Overdue(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(OverdueArgs, location="query")
    @blp.response(200, OverduePageSchema, description="The longest late first.")
    def get(self, args):
        """Open requests past their expected date, or with a work order past its due date,
        the longest late first: where they are, how late, when each was escalated (null:
        not yet) and the open work order to act on."""
        return {"items": overdue.overdue_queue(session(), limit=args["limit"],
                                               zone_id=args["zone"])}


def _calendar(row: WorkCalendar) -> dict:
    return {"code": row.code, "name": row.name, "timezone": row.timezone, "hours": row.hours,
            "holidays": row.holidays, "default": row.is_default}
