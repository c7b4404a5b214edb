"""Service levels: when each request is expected to be done, and what happens when it is late.

The date arithmetic is pure (``due_at(created_at, target, calendar)``): a target is a number of
working hours, or of business days, on a working calendar (working hours per weekday in the
calendar's time zone, holidays as dates).

- ``hours``: that much working time after the request arrived. On a round-the-clock calendar
  that is plain elapsed time; on an office calendar the clock stops outside working hours.
- ``business_days``: by the end of the N-th working day after the day the request arrived
  (the arrival day itself is not counted).

Which target applies: the service's row in ``service_level`` (a priority override first), else
the catalog's ``sla_hours`` as working hours on the city's default calendar; with no default
calendar, round the clock in UTC. A service with neither has no expected date.

Escalation (``escalate_overdue``): every open request past its expected date, not yet escalated
for that expected date, gets an escalation row (the overdue flag), an internal timeline event
and an outbox message to its department's dispatcher queue. The (request, expected_at) unique
key makes a re-run, or two runs at once, escalate each overdue episode once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, and_, bindparam, column, exists, select, values
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import is_sqlite
from backend.errors import InvalidInput
from backend.models import (
    OPEN_STATUSES,
    Event,
    Notification,
    NotifyChannel,
    Priority,
    Service,
    ServiceLevel,
    ServiceRequest,
    SlaEscalation,
    User,
    WorkCalendar,
)
from backend.models.types import UTCDateTime, utcnow
from backend.notify import outbox
from backend.services import settings_cache

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UNITS = ("hours", "business_days")
MAX_DAYS_AHEAD = 3660  # a target that needs more than ten years of calendar is a mistake
ESCALATION_TEMPLATE = "escalated"


# -- the pure part -----------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (0 = Monday) as (start, end) local times; end None = midnight."""

    timezone: str = "UTC"
    hours: Mapping[int, tuple[tuple[time, time | None], ...]] = field(
        default_factory=lambda: {d: ((time(0), None),) for d in range(7)})
    holidays: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def round_the_clock(self) -> bool:
        return not self.holidays and all(
            self.hours.get(d) == ((time(0), None),) for d in range(7))

    def working_day(self, day: date) -> bool:
        return bool(self.hours.get(day.weekday())) and day not in self.holidays

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working intervals as UTC instants (local wall times resolved by zoneinfo)."""
        if not self.working_day(day):
            return []
        zone = self.zone
        found = []
        for start, end in self.hours[day.weekday()]:
            begin = datetime.combine(day, start, zone)
            finish = (datetime.combine(day + timedelta(days=1), time(0), zone) if end is None
                      else datetime.combine(day, end, zone))
            found.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return found


ROUND_THE_CLOCK = Calendar()


@dataclass(frozen=True)
class Target:
    value: int
    unit: str = "hours"

    def __post_init__(self):
        if self.unit not in UNITS:
            raise InvalidInput("invalid_target_unit", f"A target's unit is one of {UNITS}.")
        if self.value < 0:
            raise InvalidInput("invalid_target", "A target cannot be negative.")


def due_at(created_at: datetime, target: Target, calendar: Calendar = ROUND_THE_CLOCK
           ) -> datetime:
    """When a request created at ``created_at`` (aware) is due under ``target``, in UTC."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    start = created_at.astimezone(UTC)
    if target.unit == "hours":
        return _add_working_time(start, timedelta(hours=target.value), calendar)
    return _end_of_nth_working_day(start, target.value, calendar)


def _add_working_time(start: datetime, left: timedelta, calendar: Calendar) -> datetime:
    if calendar.round_the_clock:
        return start + left
    day = start.astimezone(calendar.zone).date()
    for _ in range(MAX_DAYS_AHEAD):
        for begin, finish in calendar.intervals(day):
            if finish <= start:
                continue
            begin = max(begin, start)
            if begin + left <= finish:
                return begin + left
            left -= finish - begin
        day += timedelta(days=1)
    raise InvalidInput("calendar_without_hours", "The calendar has no working hours ahead.")


def _end_of_nth_working_day(start: datetime, n: int, calendar: Calendar) -> datetime:
    day = start.astimezone(calendar.zone).date()
    if n == 0:
        today = calendar.intervals(day)
        if today and start < today[-1][1]:
            return today[-1][1]
        n = 1
    for _ in range(MAX_DAYS_AHEAD):
        day += timedelta(days=1)
        if calendar.working_day(day):
            n -= 1
            if n == 0:
                return calendar.intervals(day)[-1][1]
    raise InvalidInput("calendar_without_hours", "The calendar has no working days ahead.")


def calendar_from_data(timezone: str, hours: Mapping[str, Iterable], holidays: Iterable[str]
                       ) -> Calendar:
    """A Calendar from its stored form; bad data is refused with a clear code."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("invalid_timezone", f"{timezone!r} is not a known time zone.") from None
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise InvalidInput("invalid_weekday", f"Weekdays are {', '.join(WEEKDAYS)}.")
    parsed = {d: tuple(_interval(i) for i in hours.get(name, ()))
              for d, name in enumerate(WEEKDAYS)}
    if not any(parsed.values()):
        raise InvalidInput("calendar_without_hours", "A calendar needs some working hours.")
    try:
        days = frozenset(date.fromisoformat(h) for h in holidays)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_holiday", "Holidays are dates like 2026-12-25.") from None
    return Calendar(timezone=timezone, hours=parsed, holidays=days)


def _interval(pair) -> tuple[time, time | None]:
    try:
        start, end = pair
        begin = time.fromisoformat(start)
        finish = None if end == "24:00" else time.fromisoformat(end)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_hours",
                           'Working hours are pairs like ["07:00", "17:00"].') from None
    if finish is not None and finish <= begin:
        raise InvalidInput("invalid_hours", "A working interval must end after it starts.")
    return begin, finish


# -- which target applies ------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A service's resolved level: target and calendar, with per-priority overrides."""

    target: Target | None
    calendar: Calendar
    overrides: Mapping[str, tuple[Target, Calendar]] = field(default_factory=dict)

    def for_priority(self, priority: str) -> tuple[Target, Calendar] | None:
        if priority in self.overrides:
            return self.overrides[priority]
        return (self.target, self.calendar) if self.target else None


class Levels:
    """Every service's rule, read once (for one request or a whole import)."""

    def __init__(self, db: Session, service_ids: Iterable[int] | None = None, *,
                 sla_hours: Mapping[int, int | None] | None = None):
        """``sla_hours`` (service id → the catalog's hours) when the caller has them."""
        rows = list(db.scalars(select(WorkCalendar)))
        self.calendars = {c.id: _calendar(c) for c in rows}
        self.by_code = {c.code: self.calendars[c.id] for c in rows}
        default = next((c for c in rows if c.is_default), None)
        self.default = self.calendars[default.id] if default else ROUND_THE_CLOCK
        levels, services = select(ServiceLevel), select(Service.id, Service.sla_hours)
        if service_ids is not None:
            levels = levels.where(ServiceLevel.service_id.in_(list(service_ids)))
            services = services.where(Service.id.in_(list(service_ids)))
        self.levels = {lv.service_id: lv for lv in db.scalars(levels)}
        self.sla_hours = dict(sla_hours) if sla_hours is not None else dict(
            db.execute(services).all())
        self._rules: dict[int, Rule] = {}

    def rule(self, service_id: int) -> Rule:
        if service_id not in self._rules:
            self._rules[service_id] = self._resolve(service_id)
        return self._rules[service_id]

    def expected_at(self, service_id: int, priority: str, created_at: datetime
                    ) -> datetime | None:
        chosen = self.rule(service_id).for_priority(str(priority))
        return due_at(created_at, *chosen) if chosen else None

    def _resolve(self, service_id: int) -> Rule:
        level = self.levels.get(service_id)
        if level is None:
            hours = self.sla_hours.get(service_id)
            return Rule(Target(hours) if hours is not None else None, self.default)
        calendar = self.calendars.get(level.calendar_id, self.default)
        overrides = {
            priority: (Target(int(o["value"]), o.get("unit", "hours")),
                       self.by_code.get(o.get("calendar"), calendar))
            for priority, o in (level.priority_overrides or {}).items()}
        return Rule(Target(level.target_value, level.target_unit), calendar, overrides)


def _calendar(row: WorkCalendar) -> Calendar:
    return calendar_from_data(row.timezone, row.hours or {}, row.holidays or [])


# -- expected dates ------------------------------------------------------------------------

def expected_for(db: Session, service: Service, priority: Priority | str,
                 created_at: datetime) -> datetime | None:
    """The expected date of a request not yet written, from every service's levels as the
    process keeps them while the settings stay the same (backend.services.settings_cache).
    A write unit of work's call."""
    levels = settings_cache.cached(db, "service_levels", _resolved_levels)
    return levels.expected_at(service.id, priority, created_at)


def _resolved_levels(loader: Session) -> Levels:
    levels = Levels(loader)
    for service_id in set(levels.levels) | set(levels.sla_hours):
        levels.rule(service_id)  # resolved now: nothing reads the loaded rows afterwards
    return levels


def assign_expected(db: Session, request: ServiceRequest, levels: Levels | None = None
                    ) -> datetime | None:
    """Set the request's expected date from its service, priority and creation time."""
    service_id = request.service_id or request.service.id
    levels = levels or Levels(db, [service_id])
    created = request.created_at or utcnow()
    request.expected_at = levels.expected_at(service_id, request.priority or Priority.NORMAL,
                                             created)
    return request.expected_at


def change_priority(db: Session, request: ServiceRequest, priority: Priority | str, *,
                    actor: User | None = None, note: str = "") -> Event | None:
    """New priority and the expected date it implies; an internal event records both.
    The same priority again changes nothing (None)."""
    priority = Priority(priority)
    if priority == request.priority:
        return None
    old_priority, old_expected = request.priority, request.expected_at
    request.priority = priority
    assign_expected(db, request)
    event = Event(request=request, kind="priority", note=note, public=False, actor=actor,
                  data={"from": old_priority.value, "to": priority.value,
                        "expected_from": _iso(old_expected),
                        "expected_to": _iso(request.expected_at)})
    db.add(event)
    if request.expected_at != old_expected:  # followers hear the new date, nothing else
        outbox.queue_scheduled(db, request, event)
    return event


def backfill_expected(db: Session, *, batch: int = 5000, only_missing: bool = True) -> int:
    """Expected dates for requests that have none (e.g. imported ones); returns how many."""
    levels = Levels(db)
    done, last_id = 0, 0
    while True:
        query = (select(ServiceRequest.id, ServiceRequest.service_id, ServiceRequest.priority,
                        ServiceRequest.created_at)
                 .where(ServiceRequest.id > last_id).order_by(ServiceRequest.id).limit(batch))
        if only_missing:
            query = query.where(ServiceRequest.expected_at.is_(None))
        rows = db.execute(query).all()
        if not rows:
            return done
        updates = [{"id": r.id, "expected_at": levels.expected_at(r.service_id, r.priority,
                                                                  r.created_at)}
                   for r in rows]
        updates = [u for u in updates if u["expected_at"] is not None]
        if updates:
            _store_expected(db, [(u["id"], u["expected_at"]) for u in updates])
        done += len(updates)
        last_id = rows[-1].id


def _store_expected(db: Session, pairs: list[tuple[int, datetime]]) -> None:
    table = ServiceRequest.__table__
    if is_sqlite(db):
        db.execute(table.update().where(table.c.id == bindparam("b_id"))
                   .values(expected_at=bindparam("due")),
                   [{"b_id": i, "due": due} for i, due in pairs])
        return
    # One UPDATE … FROM (VALUES …) per batch: PostgreSQL's statement-level triggers on
    # service_request then run once per batch, not once per row.
    given = values(column("id", Integer), column("due", UTCDateTime()),
                   name="given").data(pairs)
    db.execute(table.update().where(table.c.id == given.c.id).values(expected_at=given.c.due))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- overdue work --------------------------------------------------------------------------

def overdue_statement(now: datetime):
    """Open requests past their expected date, not yet escalated for that date."""
    r = ServiceRequest
    escalated = exists().where(and_(SlaEscalation.request_id == r.id,
                                    SlaEscalation.expected_at == r.expected_at))
    return (select(r).where(r.status.in_(OPEN_STATUSES), r.expected_at.is_not(None),
                            r.expected_at < now, ~escalated)
            .order_by(r.expected_at, r.id))


def escalate_overdue(db: Session, *, now: datetime | None = None, dispatch_email: str = "",
                     limit: int | None = None) -> list[SlaEscalation]:
    """Escalate each overdue episode once: flag, internal event, dispatcher-queue message.

    ``dispatch_email`` may hold ``{department}`` (the department's code, lower case), so each
    queue gets its own address."""
    now = now or utcnow()
    query = overdue_statement(now)
    if limit:
        query = query.limit(limit)
    done = []
    for request in db.scalars(query).unique().all():
        escalation = _escalate(db, request, now, dispatch_email)
        if escalation is not None:
            done.append(escalation)
    return done


def _escalate(db: Session, request: ServiceRequest, now: datetime, dispatch_email: str
              ) -> SlaEscalation | None:
    department = request.department
    code = department.code if department else ""
    overdue_hours = round((now - request.expected_at).total_seconds() / 3600, 1)
    try:
        with db.begin_nested():
            event = Event(request=request, kind="escalated", public=False,
                          note=f"Overdue by {overdue_hours} h; sent to the dispatcher queue.",
                          data={"expected_at": request.expected_at.isoformat(),
                                "overdue_hours": overdue_hours, "department": code or None})
            db.add(event)
            db.flush()
            escalation = SlaEscalation(
                request_id=request.id, expected_at=request.expected_at, escalated_at=now,
                department_id=request.department_id, event_id=event.id,
                recipient=dispatch_email.format(department=code.lower()) if dispatch_email
                else "")
            db.add(escalation)
            db.add(Notification(idempotency_key=f"{ESCALATION_TEMPLATE}:{event.id}",
                                event_id=event.id, request_id=request.id, subscription_id=None,
                                channel=NotifyChannel.EMAIL, template=ESCALATION_TEMPLATE))
            db.flush()
    except IntegrityError:
        return None  # another run escalated this episode first
    return escalation


def is_overdue(request: ServiceRequest, now: datetime | None = None) -> bool:
    return bool(request.status in OPEN_STATUSES and request.expected_at
                and request.expected_at < (now or utcnow()))


# -- administration ------------------------------------------------------------------------

def put_calendar(db: Session, code: str, *, timezone: str, hours: Mapping[str, list],
                 holidays: Iterable[str] = (), name: str = "", is_default: bool = False
                 ) -> WorkCalendar:
    """Create or replace a calendar (validated); one default calendar at most."""
    holidays = list(holidays)
    calendar_from_data(timezone, hours, holidays)
    row = db.scalar(select(WorkCalendar).where(WorkCalendar.code == code))
    if row is None:
        row = WorkCalendar(code=code)
        db.add(row)
    row.name, row.timezone, row.hours, row.holidays = name or code, timezone, dict(hours), \
        sorted(holidays)
    if is_default:
        for other in db.scalars(select(WorkCalendar).where(WorkCalendar.is_default.is_(True))):
            other.is_default = False
    row.is_default = is_default
    db.flush()
    return row


def put_service_level(db: Session, service: Service, *, value: int, unit: str = "hours",
                      calendar: str | None = None,
                      overrides: Mapping[str, Mapping] | None = None) -> ServiceLevel:
    """Create or replace a service's target (and per-priority overrides)."""
    Target(value, unit)
    calendar_row = _calendar_row(db, calendar) if calendar else None
    checked = {}
    for priority, o in (overrides or {}).items():
        if priority not in {p.value for p in Priority}:
            raise InvalidInput("invalid_priority", f"{priority!r} is not a priority.")
        Target(int(o.get("value", -1)), o.get("unit", "hours"))
        if o.get("calendar"):
            _calendar_row(db, o["calendar"])
        checked[priority] = {k: o[k] for k in ("value", "unit", "calendar") if o.get(k)
                             is not None}
    level = db.get(ServiceLevel, service.id)
    if level is None:
        level = ServiceLevel(service_id=service.id)
        db.add(level)
    level.target_value, level.target_unit = value, unit
    level.calendar_id = calendar_row.id if calendar_row else None
    level.priority_overrides = checked
    db.flush()
    return level


def _calendar_row(db: Session, code: str) -> WorkCalendar:
    row = db.scalar(select(WorkCalendar).where(WorkCalendar.code == code))
    if row is None:
        raise InvalidInput("unknown_calendar", f"No working calendar has code {code!r}.")
    return row


def describe(db: Session) -> list[dict]:
    """Each service's effective target, for the staff screens."""
    levels = Levels(db)
    names = {c.id: c.code for c in db.scalars(select(WorkCalendar))}
    default = next((c.code for c in db.scalars(select(WorkCalendar)
                                               .where(WorkCalendar.is_default.is_(True)))), None)
    found = []
    for service in db.scalars(select(Service).order_by(Service.code)):
        level = levels.levels.get(service.id)
        if level:
            target = {"value": level.target_value, "unit": level.target_unit,
                      "calendar": names.get(level.calendar_id, default),
                      "priority_overrides": level.priority_overrides or {}}
        elif service.sla_hours is not None:
            target = {"value": service.sla_hours, "unit": "hours", "calendar": default,
                      "priority_overrides": {}}
        else:
            target = None
        found.append({"service_code": service.code, "service_name": service.name,
                      "target": target, "from_catalog": level is None})
    return found


def seed(db: Session, spec: Mapping) -> tuple[int, int]:
    """Calendars and service levels from a spec (see backend/demo/service_levels.json).
    Services named in ``business_days`` get ceil(sla_hours / 24) business days on the
    default calendar; all others keep sla_hours as working hours on ``hours_calendar``."""
    for code, c in spec["calendars"].items():
        put_calendar(db, code, timezone=c["timezone"], hours=c["hours"],
                     holidays=c.get("holidays", ()), name=c.get("name", ""),
                     is_default=c.get("default", False))
    business = set(spec.get("business_days", ()))
    count = 0
    for service in db.scalars(select(Service).where(Service.sla_hours.is_not(None))):
        overrides = spec.get("priority_overrides", {})
        if service.code in business:
            put_service_level(db, service, value=math.ceil(service.sla_hours / 24),
                              unit="business_days", calendar=spec["business_calendar"],
                              overrides=overrides)
        else:
            put_service_level(db, service, value=service.sla_hours, unit="hours",
                              calendar=spec["hours_calendar"], overrides=overrides)
        count += 1
    return len(spec["calendars"]), count
