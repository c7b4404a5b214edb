"""Management information: volume, backlog, time to close, service-level compliance, reopen
rate, first-time fix and repeat problems, over requests chosen by service, zone, channel and
period.

Definitions (what the numbers mean):

- The *period* selects requests by ``created_at`` in [since, until).
- *Closed* means the work was done: status ``resolved`` or ``closed``. Duplicates and rejected
  requests also leave the backlog, but are not counted in time to close.
- *Time to close*: ``closed_at - created_at`` of closed requests; median and 90th percentile
  by linear interpolation (PostgreSQL's ``percentile_cont``; the same formula in Python on
  SQLite).
- *Within target*: closed requests that have an expected date, closed on or before it.
- *Backlog* on day D: requests (matching every filter but the period) created before the end
  of D and not closed (``closed_at``) by then, with days in the city's time zone (the default
  calendar's). It uses each request's last ``closed_at``: a request reopened since counts as
  open from its creation.
- *Reopen rate*: requests with a "reopened" status event ÷ requests ever closed (closed now,
  or reopened since).
- *First-time fix*: of the closed requests that had work orders, the share done with exactly
  one (cancelled ones aside) and never reopened.
- *Repeat problems*: see ``hotspots``.

The numbers are read from ``request_metric`` (backend/models/request_metric.py), which the
database keeps equal to the requests, their zones, work orders and reopenings; hotspots and
exports read the requests themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    DateTime,
    Float,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from backend.db import is_sqlite
from backend.errors import InvalidInput
from backend.models import (
    EVERYWHERE,
    Channel,
    MetricHour,
    RequestMetric,
    RequestZone,
    Service,
    ServiceRequest,
    Status,
    WorkCalendar,
    Zone,
)
from backend.models.types import utcnow
from backend.services import zones

R = ServiceRequest.__table__.c
M = RequestMetric.__table__.c
CLOSED_VALUES = (Status.RESOLVED.value, Status.CLOSED.value)
ZONE_GROUPS = ("neighbourhood", "district")
GROUPS = ("service", "channel", *ZONE_GROUPS)
CLOSED = "closed"
PERCENTILES = "percentiles"
EVER_CLOSED = "ever_closed"
FIXED_WITH_WORK = "fixed_with_work"
DEFAULT_DAYS = 30
MAX_DAYS = 3660
MAX_HOTSPOT_POINTS = 2_000_000


@dataclass(frozen=True)
class Filters:
    service_ids: tuple[int, ...] | None = None
    zone_ids: tuple[int, ...] | None = None
    channels: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None


def resolve_filters(db: Session, *, services: Sequence[str] = (), zones: Sequence[str] = (),
                    channels: Sequence[str] = (), since: datetime | None = None,
                    until: datetime | None = None, default_days: int | None = DEFAULT_DAYS
                    ) -> Filters:
    """Filters from what a person typed: service codes, zones as an id or ``kind:code``,
    channel names, and a period (default: the ``default_days`` before ``until`` or now)."""
    service_ids = _service_ids(db, services) if services else None
    zone_ids = tuple(_zone_id(db, z) for z in zones) if zones else None
    known = {c.value for c in Channel}
    for channel in channels:
        if channel not in known:
            raise InvalidInput("unknown_channel", f"{channel!r} is not a channel; one of "
                                                  f"{', '.join(sorted(known))}.")
    if since and since.tzinfo is None or until and until.tzinfo is None:
        raise InvalidInput("naive_datetime", "Give dates with a time zone (or as dates).")
    if default_days is not None:
        until = until or utcnow()
        since = since or until - timedelta(days=default_days)
    if since and until:
        if since >= until:
            raise InvalidInput("empty_period", "The period must end after it starts.")
        if until - since > timedelta(days=MAX_DAYS):
            raise InvalidInput("period_too_long", f"A period is at most {MAX_DAYS} days.")
    return Filters(service_ids, zone_ids, tuple(channels) or None, since, until)


def _service_ids(db: Session, codes: Sequence[str]) -> tuple[int, ...]:
    found = dict(db.execute(select(Service.code, Service.id).where(Service.code.in_(codes)))
                 .all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput("unknown_service", f"No service has code {missing[0]!r}.")
    return tuple(found[c] for c in codes)


def _zone_id(db: Session, text: str) -> int:
    kind, _, code = text.partition(":")
    if code:
        zone_id = db.scalar(select(Zone.id).where(Zone.kind == kind, Zone.code == code))
    elif text.isdigit():
        zone_id = db.scalar(select(Zone.id).where(Zone.id == int(text)))
    else:
        zone_id = None
    if zone_id is None:
        raise InvalidInput("unknown_zone", f"No zone {text!r} (give an id or kind:code).")
    return zone_id


def roomy(db: Session) -> None:
    """Let PostgreSQL sort and hash a year of requests in memory (for this transaction only):
    the default work_mem sends percentiles and groupings over ~1M rows to disk. JIT
    compilation is left out: it costs these scans more than it saves."""
    if not is_sqlite(db):
        db.execute(text("SET LOCAL work_mem = '64MB'"))
        db.execute(text("SET LOCAL jit = off"))


def conditions(f: Filters, *, period: bool = True) -> list:
    """The WHERE clauses on service_request for these filters."""
    found = []
    if f.service_ids:
        found.append(R.service_id.in_(f.service_ids))
    if f.channels:
        found.append(R.channel.in_(f.channels))
    if f.zone_ids:
        for zone_id in f.zone_ids:  # in every zone named (e.g. a district and a service area)
            found.append(R.id.in_(select(RequestZone.request_id)
                                  .where(RequestZone.zone_id == zone_id)))
    if period and f.since:
        found.append(R.created_at >= f.since)
    if period and f.until:
        found.append(R.created_at < f.until)
    return found


@dataclass(frozen=True)
class Rows:
    """Where a pass reads: request_metric rows (``source`` and ``where``), and what groups
    them: ``key``, or, when there is one group only, its ``constant`` key."""
    source: object
    where: list
    key: object = None
    constant: object = None


def rows_for(db: Session, f: Filters, by: str | None = None, *, period: bool = True) -> Rows:
    """One row per matching request (its city-wide row, or its row for the first zone
    named); grouping by a zone kind, one per matching request and zone of that kind."""
    zone_ids = list(f.zone_ids or ())
    source, key = RequestMetric.__table__, _group_key(by) if by else None
    if by in ZONE_GROUPS and zone_ids:
        # The figures from the named zone's rows, the groups from each request's zones:
        # cheaper than matching every row of the kind against the named zone's requests.
        z = RequestZone.__table__.c
        source = source.join(RequestZone, and_(z.request_id == M.request_id,
                                               z.zone_id.in_(_zones_of_kind(db, by))))
        key = z.zone_id
        where = [M.zone_id == zone_ids.pop(0)]
    elif by in ZONE_GROUPS:
        where = [M.zone_id.in_(_zones_of_kind(db, by))]
    elif zone_ids:
        where = [M.zone_id == zone_ids.pop(0)]
    else:
        where = [M.zone_id == EVERYWHERE]
    for zone_id in zone_ids:  # in every zone named (e.g. a district and a service area)
        where.append(M.request_id.in_(select(RequestZone.request_id)
                                      .where(RequestZone.zone_id == zone_id)))
    if f.service_ids:
        where.append(M.service_id.in_(f.service_ids))
    if f.channels:
        where.append(M.channel.in_(f.channels))
    if period and f.since:
        where.append(M.created_at >= f.since)
    if period and f.until:
        where.append(M.created_at < f.until)
    only = {"service": set(f.service_ids or ()), "channel": set(f.channels or ())}.get(by)
    if only and len(only) == 1:  # one service (or channel) asked for: one group
        return Rows(source, where, constant=only.pop())
    return Rows(source, where, key)


def scope(db: Session, f: Filters, *, period: bool = True) -> list:
    """The WHERE clauses on request_metric for these filters (one row per request)."""
    return rows_for(db, f, period=period).where


def _zones_of_kind(db: Session, kind: str) -> list[int]:
    return list(db.scalars(select(Zone.id).where(Zone.kind == kind).order_by(Zone.id)))


# -- the numbers ---------------------------------------------------------------------------
#
# Each function reads the scope's rows of request_metric once. On PostgreSQL the rows are
# asked for in time-to-close order (within each group): an index holds them that way, so
# the scan needs no sort and percentile_cont finds its input already sorted.

def summary(db: Session, f: Filters, *, now: datetime | None = None) -> dict:
    """Every headline number for the filtered requests."""
    found = _one_pass(db, f, [*_volume_measures(now or utcnow()), *_close_measures(db),
                              *_reopen_measures(), *_fix_measures()])[None]
    return {**_counts_of(found), **_close_stats_of(found),
            "reopen_rate": _reopen_rate_of(found), "first_time_fix": _first_time_fix_of(found)}


def counts(db: Session, f: Filters, *, now: datetime | None = None) -> dict:
    """How many requests, how many still open, how many of those past their expected date."""
    found = _one_pass(db, f, _volume_measures(now or utcnow()), ordered=False)[None]
    return _counts_of(found)


def breakdown(db: Session, f: Filters, by: str) -> list[dict]:
    """Per service, channel, neighbourhood or district: volume, open, time to close,
    compliance. Largest volume first."""
    if by not in GROUPS:
        raise InvalidInput("unknown_group", f"Group by one of {', '.join(GROUPS)}.")
    found = _one_pass(db, f, [*_volume_measures(), *_close_measures(db)], by=by)
    names = _group_names(db, by, found)
    rows = [{"key": names[k][0], "name": names[k][1], "volume": v["volume"], "open": v["open"],
             **_close_stats_of(v)} for k, v in found.items()]
    return sorted(rows, key=lambda r: (-r["volume"], str(r["key"])))


def close_stats(db: Session, f: Filters, by: str | None = None) -> dict:
    """group key (None without grouping) → closed, median/p90 hours, within-target share."""
    found = _one_pass(db, f, _close_measures(db), by=by, done_only=True)
    return {k: _close_stats_of(v) for k, v in found.items()}


def reopen_rate(db: Session, f: Filters) -> float | None:
    return _reopen_rate_of(_one_pass(db, f, _reopen_measures(), ordered=False)[None])


def _one_pass(db: Session, f: Filters, measures: list, *, by: str | None = None,
              done_only: bool = False, ordered: bool = True) -> dict:
    """group key (None without grouping) → {measure name: value}, from one scan of the
    scope's rows. ``measures`` are (name, function of the row's columns) pairs."""
    roomy(db)
    names = {name for name, _ in measures}
    rows = rows_for(db, f, by)
    key = rows.key if rows.key is not None else literal(rows.constant)
    columns = [M.status, M.closed_at, M.expected_at, M.close_seconds, M.work_orders,
               M.reopened, key.label("key")]
    inner = select(*columns).select_from(rows.source).where(*rows.where)
    if done_only:
        inner = inner.where(M.close_seconds.is_not(None))
    if ordered and not is_sqlite(db):
        inner = inner.order_by(*([] if rows.key is None else [rows.key]), M.close_seconds)
    inner = inner.subquery()
    group = inner.c.key if rows.key is not None else literal(rows.constant).label("key")
    statement = select(group, func.count().label("rows"),
                       *(measure(inner.c).label(name) for name, measure in measures))
    if rows.key is not None:
        statement = statement.group_by(group)
    found = {r.key: r._asdict() for r in db.execute(statement)
             if r.rows or by is None}  # grouped: only groups that have rows
    if CLOSED in names and is_sqlite(db):  # no percentile_cont: see _sqlite_percentiles
        for k, values in _sqlite_percentiles(db, rows).items():
            found[k][PERCENTILES] = values
    return found


def _volume_measures(now: datetime | None = None) -> list:
    found = [("volume", lambda c: func.count()),
             ("open", lambda c: func.count().filter(c.closed_at.is_(None)))]
    if now:
        found.append(("overdue", lambda c: func.count().filter(c.closed_at.is_(None),
                                                              c.expected_at < now)))
    return found


def _close_measures(db: Session) -> list:
    found = [(CLOSED, lambda c: func.count(c.close_seconds)),
             ("with_target", lambda c: func.count(c.close_seconds).filter(
                 c.expected_at.is_not(None))),
             ("within_target", lambda c: func.count(c.close_seconds).filter(
                 c.closed_at <= c.expected_at))]
    if not is_sqlite(db):
        found.append((PERCENTILES, lambda c: func.percentile_cont(
            literal_column("ARRAY[0.5, 0.9]")).within_group(c.close_seconds)
            .cast(ARRAY(Float))))
    return found


def _reopen_measures() -> list:
    return [(EVER_CLOSED, lambda c: func.count().filter(or_(c.status.in_(CLOSED_VALUES),
                                                            c.reopened))),
            ("reopened", lambda c: func.count().filter(c.reopened))]


def _fix_measures() -> list:
    def fixed_with_work(c):
        return and_(c.status.in_(CLOSED_VALUES), c.work_orders > 0)

    return [(FIXED_WITH_WORK, lambda c: func.count().filter(fixed_with_work(c))),
            ("first_time", lambda c: func.count().filter(fixed_with_work(c),
                                                         c.work_orders == 1, ~c.reopened))]


def _counts_of(found: dict) -> dict:
    return {"volume": found["volume"], "open": found["open"], "overdue": found["overdue"]}


def _close_stats_of(found: dict) -> dict:
    n = found[CLOSED]
    if not n:
        return _no_close_stats()
    median, p90 = found[PERCENTILES]
    with_target, on_time = found["with_target"], found["within_target"]
    return {"closed": n, "median_hours": _hours(median), "p90_hours": _hours(p90),
            "with_target": with_target, "within_target": on_time,
            "within_target_share": round(on_time / with_target, 4) if with_target else None}


def _first_time_fix_of(found: dict) -> float | None:
    fixed = found[FIXED_WITH_WORK]
    return round(found["first_time"] / fixed, 4) if fixed else None


def _reopen_rate_of(found: dict) -> float | None:
    ever_closed = found[EVER_CLOSED]
    return round(found["reopened"] / ever_closed, 4) if ever_closed else None


def _no_close_stats() -> dict:
    return {"closed": 0, "median_hours": None, "p90_hours": None, "with_target": 0,
            "within_target": 0, "within_target_share": None}


def _sqlite_percentiles(db: Session, rows: Rows) -> dict:
    """SQLite has no percentile_cont: the durations come sorted (from an index), Python
    interpolates."""
    grouped_by = [] if rows.key is None else [rows.key]
    key = rows.key if rows.key is not None else literal(rows.constant)
    statement = (select(key, M.close_seconds).select_from(rows.source)
                 .where(*rows.where, M.close_seconds.is_not(None))
                 .order_by(*grouped_by, M.close_seconds))
    grouped: dict = defaultdict(list)
    for k, seconds in db.execute(statement):
        grouped[k].append(seconds)
    return {k: (percentile(v, 0.5), percentile(v, 0.9)) for k, v in grouped.items()}


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (as percentile_cont) over sorted values."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * p
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 3)


def first_time_fix(db: Session, f: Filters) -> float | None:
    return _first_time_fix_of(_one_pass(db, f, _fix_measures(), ordered=False)[None])


# -- over time -----------------------------------------------------------------------------

def daily(db: Session, f: Filters) -> list[dict]:
    """Per day of the period (city time): requests created, closed, and the backlog at the
    day's end."""
    if not (f.since and f.until):
        raise InvalidInput("period_required", "Daily figures need a period.")
    roomy(db)
    zone = city_timezone(db)
    days = _days(f, zone)
    if _hours_fit(f, days, zone):
        counter = _hourly_daily
    else:
        counter = _sqlite_daily if is_sqlite(db) else _postgresql_daily
    backlog, created, closed = counter(db, f, days, zone)
    rows = []
    for day in days:
        made, done = created.get(day, 0), closed.get(day, 0)
        backlog += made - done
        rows.append({"date": day.isoformat(), "created": made, "closed": done,
                     "backlog": backlog})
    return rows


def _days(f: Filters, zone: ZoneInfo) -> list[date]:
    day = f.since.astimezone(zone).date()
    last = (f.until - timedelta(microseconds=1)).astimezone(zone).date()
    return [day + timedelta(days=n) for n in range((last - day).days + 1)]


def _hours_fit(f: Filters, days: list[date], zone: ZoneInfo) -> bool:
    """Whether metric_hour answers: it counts per scope only (no service or channel), and
    its UTC hours fall in one local day each only while the zone is a whole number of hours
    from UTC."""
    if f.service_ids or f.channels or len(f.zone_ids or ()) > 1:
        return False
    moments = [f.since, f.until, *(datetime.combine(d, time(0), zone) for d in days)]
    whole = all(m.astimezone(zone).utcoffset() % timedelta(hours=1) == timedelta(0)
                for m in moments)
    return whole and _hour_after(f.since) <= _hour_of(f.until)


def _hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hour_after(moment: datetime) -> datetime:
    """The first whole UTC hour at or after ``moment``."""
    start = _hour_of(moment)
    return start if start == moment else start + timedelta(hours=1)


def _hourly_daily(db: Session, f: Filters, days: list[date], zone: ZoneInfo
                  ) -> tuple[int, dict, dict]:
    """Whole hours from metric_hour (the backlog carried in: everything created before the
    first one minus everything closed before it); the part-hours at either end of the
    period from the requests themselves."""
    h = MetricHour.__table__.c
    scope_id = f.zone_ids[0] if f.zone_ids else EVERYWHERE
    first, last = _hour_after(f.since), _hour_of(f.until)
    carried = db.scalar(select(func.coalesce(func.sum(h.created - h.closed), 0))
                        .where(h.zone_id == scope_id, h.hour < first))
    created, closed = defaultdict(int), defaultdict(int)
    for hour, made, done in db.execute(select(h.hour, h.created, h.closed).where(
            h.zone_id == scope_id, h.hour >= first, h.hour < last)):
        day = hour.astimezone(zone).date()
        created[day] += made
        closed[day] += done
    head_made, head_done = _made_and_done(db, f, f.since, first)
    tail_made, tail_done = _made_and_done(db, f, last, f.until)
    created[days[0]] += head_made
    closed[days[0]] += head_done
    created[days[-1]] += tail_made
    closed[days[-1]] += tail_done
    return carried - head_made + head_done, created, closed


def _made_and_done(db: Session, f: Filters, start: datetime, end: datetime
                   ) -> tuple[int, int]:
    """Requests created, and requests closed, in [start, end) (a part of an hour)."""
    if start >= end:
        return 0, 0
    others = conditions(f, period=False)
    made = db.scalar(select(func.count()).where(*others, R.created_at >= start,
                                                R.created_at < end))
    done = db.scalar(select(func.count()).where(*others, R.closed_at >= start,
                                                R.closed_at < end))
    return made, done


def _postgresql_daily(db: Session, f: Filters, days: list[date], zone: ZoneInfo
                      ) -> tuple[int, dict, dict]:
    """One scan: each row that counts (created before the end, not closed before the start)
    gets the number of its creation day and of its closing day among the period's
    boundaries (bucket 0: before the start, the backlog carried in); one GROUP BY counts
    the pairs. Closing never precedes creation, so these rows hold every creation and every
    closing of the period."""
    bounds = [f.since] + [datetime.combine(d, time(0), zone) for d in days[1:]] + [f.until]
    edges = literal([_naive_utc(b) for b in bounds], ARRAY(DateTime()))
    created_in = func.width_bucket(M.created_at, edges)
    closed_in = func.width_bucket(M.closed_at, edges)
    statement = (select(created_in, closed_in, func.count())
                 .where(*scope(db, f, period=False), M.created_at < f.until,
                        or_(M.closed_at.is_(None), M.closed_at >= f.since))
                 .group_by(created_in, closed_in))
    backlog, created, closed = 0, defaultdict(int), defaultdict(int)
    for made, done, n in db.execute(statement):
        if made == 0:
            backlog += n
        elif made <= len(days):
            created[days[made - 1]] += n
        if done is not None and 1 <= done <= len(days):
            closed[days[done - 1]] += n
    return backlog, created, closed


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _sqlite_daily(db: Session, f: Filters, days: list[date], zone: ZoneInfo
                  ) -> tuple[int, dict, dict]:
    others = scope(db, f, period=False)
    created = _count_by_local_day(db, M.created_at, [*others, M.created_at >= f.since,
                                                     M.created_at < f.until], zone)
    closed = _count_by_local_day(db, M.closed_at, [*others, M.closed_at >= f.since,
                                                   M.closed_at < f.until], zone)
    backlog = db.scalar(select(func.count()).where(
        *others, M.created_at < f.since, or_(M.closed_at.is_(None), M.closed_at >= f.since)))
    return backlog, created, closed


def city_timezone(db: Session) -> ZoneInfo:
    name = db.scalar(select(WorkCalendar.timezone).where(WorkCalendar.is_default.is_(True)))
    return ZoneInfo(name or "UTC")


def _count_by_local_day(db: Session, column, where: list, zone: ZoneInfo) -> dict[date, int]:
    # SQLite has no time zones: count per UTC hour, then move each hour to its local day.
    hour = func.strftime("%Y-%m-%d %H", column)
    found: dict[date, int] = defaultdict(int)
    for stamp, n in db.execute(select(hour, func.count()).where(*where).group_by(hour)):
        utc = datetime.strptime(stamp, "%Y-%m-%d %H").replace(tzinfo=UTC)
        found[utc.astimezone(zone).date()] += n
    return found


# -- grouping ------------------------------------------------------------------------------

def _group_key(by: str):
    if by == "service":
        return M.service_id
    if by == "channel":
        return M.channel
    return M.zone_id  # a zone kind: scope() keeps the rows of that kind's zones


def _group_names(db: Session, by: str, keys: Iterable) -> dict:
    keys = list(keys)
    if by == "service":
        rows = db.execute(select(Service.id, Service.code, Service.name)
                          .where(Service.id.in_(keys)))
        return {i: (code, name) for i, code, name in rows}
    if by == "channel":
        return {k: (k, k) for k in keys}
    rows = db.execute(select(Zone.id, Zone.code, Zone.name).where(Zone.id.in_(keys)))
    return {i: (code, name) for i, code, name in rows}


def data_range(db: Session, f: Filters) -> dict:
    """When the first and the last matching request came in (whatever the period)."""
    first, last = db.execute(select(func.min(M.created_at), func.max(M.created_at))
                             .where(*scope(db, f, period=False))).one()
    return {"first": _aware(first), "last": _aware(last)}


def _aware(moment) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite aggregates skip the column type
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


# -- repeat problems -----------------------------------------------------------------------

@dataclass(frozen=True)
class HotspotParams:
    min_count: int = 5
    radius_m: float = 100.0
    days: int = 30  # the period, when no ``since`` is given: the days before ``until``

    def __post_init__(self):
        if not 2 <= self.min_count <= 10_000:
            raise InvalidInput("invalid_min_count", "min_count is between 2 and 10000.")
        if not 1 <= self.radius_m <= 5000:
            raise InvalidInput("invalid_radius", "radius_m is between 1 and 5000 metres.")
        if not 1 <= self.days <= MAX_DAYS:
            raise InvalidInput("invalid_days", f"days is between 1 and {MAX_DAYS}.")


def hotspots(db: Session, f: Filters, params: HotspotParams, *, limit: int = 200) -> dict:
    """Places where the same service recurs at least ``min_count`` times within ``radius_m``
    metres over the period (density clusters, backend.geo.hotspots), per service, grouped by
    the neighbourhood holding each hotspot's centre; the ``limit`` largest hotspots come
    with the requests behind them."""
    until = f.until or utcnow()
    since = f.since or until - timedelta(days=params.days)
    f = replace(f, since=since, until=until)
    service_ids = f.service_ids or tuple(db.scalars(select(Service.id)))
    found = []
    for service_id in service_ids:
        found.extend(_service_hotspots(db, replace(f, service_ids=(service_id,)), params))
    found.sort(key=lambda h: (-len(h["ids"]), h["service_id"], h["ids"][0]))
    total = len(found)
    shown = found[:limit]
    _describe(db, shown)
    return {"since": since.isoformat(), "until": until.isoformat(),
            "min_count": params.min_count, "radius_m": params.radius_m,
            "hotspot_count": total, "shown": len(shown),
            "neighbourhoods": _by_neighbourhood(shown)}


def _service_hotspots(db: Session, f: Filters, params: HotspotParams) -> list[dict]:
    import numpy as np  # only hotspot searches need it: kept off the app's cold start

    from backend.geo.hotspots import find_hotspots, haversine_many

    rows = db.execute(select(R.id, R.lon, R.lat).where(
        *conditions(f), R.lat.is_not(None), R.lon.is_not(None)).order_by(R.id)
        .limit(MAX_HOTSPOT_POINTS + 1)).all()
    if len(rows) > MAX_HOTSPOT_POINTS:
        raise InvalidInput("too_many_points", "Narrow the period or area: more than "
                                              f"{MAX_HOTSPOT_POINTS} requests to cluster.")
    if not rows:
        return []
    # Plain tuples: numpy would probe every Row for the array protocols, at ~5 µs a row.
    data = np.array([tuple(r) for r in rows], dtype=np.float64)
    ids, lon, lat = data[:, 0].astype(np.int64), data[:, 1], data[:, 2]
    labels = find_hotspots(lon, lat, params.radius_m, params.min_count)
    members = labels >= 0
    if not members.any():
        return []
    order = np.argsort(labels[members], kind="stable")
    grouped_labels = labels[members][order]
    cuts = np.flatnonzero(np.diff(grouped_labels)) + 1
    out = []
    for part in np.split(np.flatnonzero(members)[order], cuts):
        centre_lon, centre_lat = float(lon[part].mean()), float(lat[part].mean())
        spread = haversine_many(lon[part], lat[part], centre_lon, centre_lat).max()
        out.append({"service_id": f.service_ids[0], "ids": ids[part].tolist(),
                    "lon": centre_lon, "lat": centre_lat, "radius_m": round(float(spread), 1)})
    return out


def _describe(db: Session, found: list[dict]) -> None:
    """Add each hotspot's service, neighbourhood and requests (tracking, status, date)."""
    if not found:
        return
    services = {i: (c, n) for i, c, n in db.execute(select(Service.id, Service.code,
                                                            Service.name))}
    index, _kinds = zones.zone_index(db)
    at = index.zones_at_many([(h["lon"], h["lat"]) for h in found], kind="neighbourhood")
    zone_ids = {z for ids in at for z in ids}
    names = {i: (c, n) for i, c, n in db.execute(
        select(Zone.id, Zone.code, Zone.name).where(Zone.id.in_(zone_ids)))} if zone_ids else {}
    details = {}
    all_ids = [i for h in found for i in h["ids"]]
    for start in range(0, len(all_ids), 5000):
        for row in db.execute(select(R.id, R.tracking, R.status, R.created_at, R.address)
                              .where(R.id.in_(all_ids[start:start + 5000]))):
            details[row.id] = row
    for hotspot, zone_ids_here in zip(found, at, strict=True):
        zone_id = zone_ids_here[0] if zone_ids_here else None
        requests = sorted((details[i] for i in hotspot["ids"]), key=lambda r: r.created_at)
        hotspot.update({
            "service_code": services[hotspot["service_id"]][0],
            "service_name": services[hotspot["service_id"]][1],
            "neighbourhood": ({"id": zone_id, "code": names[zone_id][0],
                               "name": names[zone_id][1]} if zone_id else None),
            "count": len(requests),
            "first_at": _aware(requests[0].created_at), "last_at": _aware(requests[-1].created_at),
            "requests": [{"tracking": r.tracking, "status": _value(r.status),
                          "created_at": _aware(r.created_at), "address": r.address}
                         for r in requests]})


def _value(status) -> str:
    return getattr(status, "value", status)


def _by_neighbourhood(found: list[dict]) -> list[dict]:
    groups: dict = {}
    for hotspot in found:
        place = hotspot["neighbourhood"]
        key = place["id"] if place else None
        group = groups.setdefault(key, {"neighbourhood": place, "hotspots": [],
                                        "requests": 0})
        group["hotspots"].append({k: v for k, v in hotspot.items()
                                  if k not in ("ids", "service_id", "neighbourhood")})
        group["requests"] += hotspot["count"]
    return sorted(groups.values(), key=lambda g: (-g["requests"],
                                                  (g["neighbourhood"] or {}).get("name", "~")))

