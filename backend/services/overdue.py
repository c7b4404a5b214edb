"""The overdue queue: open requests past their expected date, and open requests whose field
work is past its due date, the longest late first.

One row per request. Its deadline is the earliest one it has missed (the request's expected
date, or the due date of one of its open work orders), and its work order is the open one a
dispatcher would act on (the most overdue, else the oldest), so the row can be picked on the
dispatch map.

Each source is read already sorted and cut at ``limit`` (work orders grouped by request
first), so the merged top ``limit`` is exact without reading every late row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import (
    OPEN_STATUSES,
    OPEN_WORK,
    Crew,
    RequestZone,
    Service,
    ServiceRequest,
    SlaEscalation,
    WorkOrder,
)
from backend.models.types import utcnow

EXPECTED_DATE = "expected_date"  # the request's own service level was missed
WORK_DUE = "work_order_due"      # a work order's due date was missed


@dataclass(frozen=True)
class LateWork:
    id: int
    status: str
    due_at: datetime | None
    crew_id: int | None
    crew_name: str | None


@dataclass(frozen=True)
class OverdueItem:
    tracking: str
    service_code: str
    service_name: str
    status: str
    priority: str
    lat: float | None
    lon: float | None
    address: str
    expected_at: datetime | None
    escalated_at: datetime | None
    due_at: datetime       # the earliest deadline missed
    late_seconds: int      # how long ago that was
    reason: str            # EXPECTED_DATE or WORK_DUE
    work_order: LateWork | None


def overdue_queue(db: Session, *, limit: int = 100, zone_id: int | None = None,
                  now: datetime | None = None) -> list[OverdueItem]:
    """Up to ``limit`` overdue requests (optionally in one zone), the longest late first."""
    now = now or utcnow()
    missed = _late_requests(db, now, limit, zone_id)
    for request_id, due in _late_work(db, now, limit, zone_id):
        if request_id not in missed or due < missed[request_id][0]:
            missed[request_id] = (due, WORK_DUE)
    chosen = sorted(missed.items(), key=lambda item: (item[1][0], item[0]))[:limit]
    if not chosen:
        return []
    rows = _request_rows(db, [request_id for request_id, _ in chosen])
    work = _work_to_act_on(db, list(rows), now)
    return [_item(rows[request_id], due, reason, work.get(request_id), now)
            for request_id, (due, reason) in chosen]


def _in_zone(statement, request_id_column, zone_id: int | None):
    if zone_id is None:
        return statement
    return statement.where(request_id_column.in_(
        select(RequestZone.request_id).where(RequestZone.zone_id == zone_id)))


def _late_requests(db: Session, now: datetime, limit: int, zone_id: int | None
                   ) -> dict[int, tuple[datetime, str]]:
    r = ServiceRequest
    statement = (select(r.id, r.expected_at)
                 .where(r.status.in_(OPEN_STATUSES), r.expected_at < now)
                 .order_by(r.expected_at, r.id).limit(limit))
    statement = _in_zone(statement, r.id, zone_id)
    return {request_id: (expected, EXPECTED_DATE)
            for request_id, expected in db.execute(statement)}


def _late_work(db: Session, now: datetime, limit: int, zone_id: int | None
               ) -> list[tuple[int, datetime]]:
    w, r = WorkOrder, ServiceRequest
    earliest = func.min(w.due_at)
    statement = (select(w.request_id, earliest)
                 .join(r, r.id == w.request_id)
                 .where(w.status.in_(OPEN_WORK), w.due_at < now, r.status.in_(OPEN_STATUSES))
                 .group_by(w.request_id).order_by(earliest, w.request_id).limit(limit))
    statement = _in_zone(statement, w.request_id, zone_id)
    return [(request_id, due) for request_id, due in db.execute(statement)]


def _request_rows(db: Session, request_ids: list[int]) -> dict[int, tuple]:
    r = ServiceRequest
    statement = (
        select(r.id, r.tracking, Service.code, Service.name, r.status, r.priority, r.lat,
               r.lon, r.address, r.expected_at, SlaEscalation.escalated_at)
        .join(Service, Service.id == r.service_id)
        .outerjoin(SlaEscalation, (SlaEscalation.request_id == r.id)
                   & (SlaEscalation.expected_at == r.expected_at))
        .where(r.id.in_(request_ids)))
    return {row[0]: row for row in db.execute(statement)}


def _work_to_act_on(db: Session, request_ids: list[int], now: datetime) -> dict[int, LateWork]:
    """Each request's open work order: the most overdue one, else the oldest."""
    w = WorkOrder
    statement = (select(w.request_id, w.id, w.status, w.due_at, w.crew_id, Crew.name)
                 .outerjoin(Crew, Crew.id == w.crew_id)
                 .where(w.request_id.in_(request_ids), w.status.in_(OPEN_WORK)))
    found: dict[int, tuple] = {}
    for request_id, *rest in db.execute(statement):
        rank = (rest[2] is None or rest[2] >= now, rest[2] or now, rest[0])
        if request_id not in found or rank < found[request_id][0]:
            found[request_id] = (rank, rest)
    return {request_id: LateWork(id=work_id, status=str(status.value), due_at=due,
                                 crew_id=crew_id, crew_name=crew_name)
            for request_id, (_, (work_id, status, due, crew_id, crew_name)) in found.items()}


def _item(row: tuple, due: datetime, reason: str, work: LateWork | None,
          now: datetime) -> OverdueItem:
    (_, tracking, code, name, status, priority, lat, lon, address, expected,
     escalated) = row
    return OverdueItem(tracking=tracking, service_code=code, service_name=name,
                       status=status.value, priority=priority.value, lat=lat, lon=lon,
                       address=address, expected_at=expected, escalated_at=escalated,
                       due_at=due, late_seconds=int((now - due).total_seconds()),
                       reason=reason, work_order=work)
