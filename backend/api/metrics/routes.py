"""Management information (dispatchers and administrators only).

Every endpoint takes the same filters (service, zone, channel, since, until); without a
period, the 30 days before now. Answers are built as plain dicts (the schemas document them).
"""

from datetime import date, datetime, time

from flask import jsonify
from flask.views import MethodView

from backend.api.blueprint import Blueprint
from backend.api.metrics.schemas import (
    BreakdownAnswerSchema,
    BreakdownArgs,
    DailyAnswerSchema,
    HotspotArgs,
    RequestFilterArgs,
    SummaryAnswerSchema,
)
from backend.db import session
from backend.errors import InvalidInput
from backend.models import Role
from backend.services import metrics

blp = Blueprint("metrics", __name__, url_prefix="/api/v1/metrics",
                description="Management information: volume, backlog, time to close, "
                            "service-level compliance, repeat problems.")
STAFF = (Role.DISPATCHER, Role.ADMIN)


def filters_from(args: dict, *, default_days: int | None = metrics.DEFAULT_DAYS
                 ) -> metrics.Filters:
    db = session()
    zone = metrics.city_timezone(db)
    return metrics.resolve_filters(
        db, services=args.get("service", ()), zones=args.get("zone", ()),
        channels=args.get("channel", ()), since=_moment(args.get("since"), zone, "since"),
        until=_moment(args.get("until"), zone, "until"), default_days=default_days)


def _moment(text: str | None, zone, name: str) -> datetime | None:
    """A date is its midnight in the city's time zone; a time must carry its zone."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), zone)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("invalid_date", f"{name} must be a date (2026-01-31) or an "
                                           "ISO 8601 time with a zone.", field=name) from None
    if moment.tzinfo is None:
        raise InvalidInput("naive_datetime", f"{name} needs a time zone (e.g. Z or -08:00).",
                           field=name)
    return moment


def _period(f: metrics.Filters) -> dict:
    db = session()
    known = metrics.data_range(db, f)
    return {"since": f.since.isoformat() if f.since else None,
            "until": f.until.isoformat() if f.until else None,
            "timezone": metrics.city_timezone(db).key,
            "data_first": known["first"], "data_last": known["last"]}


@blp.route("/summary")
class Summary(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(RequestFilterArgs, location="query")
    @blp.doc(responses={"200": {"description": "Headline numbers.", "content": {
        "application/json": {"schema": SummaryAnswerSchema}}}})
    def get(self, args):
        """Volume, open, overdue, time to close (median, p90), share closed within target,
        reopen rate and first-time fix of the requests created in the period."""
        f = filters_from(args)
        return jsonify(period=_period(f), summary=metrics.summary(session(), f))


@blp.route("/daily")
class Daily(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(RequestFilterArgs, location="query")
    @blp.doc(responses={"200": {"description": "One row per day.", "content": {
        "application/json": {"schema": DailyAnswerSchema}}}})
    def get(self, args):
        """Per day (city time): requests created, closed, and the backlog at the day's end."""
        f = filters_from(args)
        return jsonify(period=_period(f), days=metrics.daily(session(), f))


@blp.route("/breakdown")
class Breakdown(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(BreakdownArgs, location="query")
    @blp.doc(responses={"200": {"description": "One row per group.", "content": {
        "application/json": {"schema": BreakdownAnswerSchema}}}})
    def get(self, args):
        """Volume, open, time to close and compliance per service, channel, neighbourhood or
        district."""
        f = filters_from(args)
        return jsonify(period=_period(f), by=args["by"],
                       groups=metrics.breakdown(session(), f, args["by"]))


@blp.route("/hotspots")
class Hotspots(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(HotspotArgs, location="query")
    @blp.doc(responses={"200": {"description": "Hotspots grouped by neighbourhood."}})
    def get(self, args):
        """Repeat problems: places where the same service came back at least ``min_count``
        times within ``radius_m`` metres over the period (``days`` before ``until`` unless
        ``since`` is given), grouped by neighbourhood, each with its requests."""
        f = filters_from(args, default_days=None)
        params = metrics.HotspotParams(min_count=args["min_count"], radius_m=args["radius_m"],
                                       days=args["days"])
        return jsonify(metrics.hotspots(session(), f, params, limit=args["limit"]))
