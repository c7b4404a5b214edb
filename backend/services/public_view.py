"""The public view of a request as plain, JSON-ready data: what anyone holding its tracking
number may see, and never the reporter's contact details.

``by_tracking_number`` is the read residents poll: one statement (the request with its
service, department and primary, its public events and its visible photos)
over table columns, with no ORM objects and no marshmallow in the way; together they
cost more than the queries. ``of_request`` shapes an already loaded request the same way
(after a submission or a status change). Both give exactly what
``backend.api.requests.schemas.PublicRequestSchema`` documents; a test holds them to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import NamedTuple

from sqlalchemy import (
    DateTime,
    String,
    bindparam,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from backend.errors import NotFound
from backend.models import Department, Event, Media, Service, ServiceRequest, Status
from backend.models.types import UTCDateTime
from backend.services.lifecycle import STATUS_NOTES
from backend.services.photos import variant_urls
from backend.services.tracking import normalize_tracking_number

_request = ServiceRequest.__table__
_service = Service.__table__
_department = Department.__table__
_primary = _request.alias("primary_request")
_event = Event.__table__
_media = Media.__table__

def _as_stored(*columns) -> list:
    """Enums as their string values and times as naive UTC, as stored: without the per-row
    conversions of their column types (``_shape`` takes either form)."""
    return [type_coerce(c, DateTime if isinstance(c.type, UTCDateTime) else String).label(c.name)
            for c in columns]


_THIS_REQUEST = (select(_request.c.id).where(_request.c.tracking == bindparam("tracking"))
                 .scalar_subquery())
_REQUEST_PART, _EVENT_PART, _PHOTO_PART = literal_column("0"), literal_column("1"), \
    literal_column("2")

# The request, its public events and its visible photos in one statement (one round trip,
# one execution): a UNION ALL whose rows say which `part` they are. Events and photos reuse
# the request's columns of a like type; the first part's types read every row.
_REQUEST_TIMELINE_AND_PHOTOS = union_all(
    select(_REQUEST_PART.label("part"), _request.c.id, _request.c.tracking,
           _service.c.code.label("service_code"), _service.c.name.label("service_name"),
           *_as_stored(_request.c.status, _request.c.priority), _request.c.description,
           _request.c.lat, _request.c.lon, _request.c.address, _request.c.attributes,
           *_as_stored(_request.c.channel, _request.c.created_at, _request.c.updated_at,
                       _request.c.expected_at, _request.c.closed_at),
           _primary.c.tracking.label("duplicate_of"),
           _department.c.name.label("agency_responsible"), _request.c.supporters)
    .join(_service, _service.c.id == _request.c.service_id)
    .outerjoin(_department, _department.c.id == _request.c.department_id)
    .outerjoin(_primary, _primary.c.id == _request.c.duplicate_of_id)
    .where(_request.c.tracking == bindparam("tracking")),
    # id, kind → tracking, new_status → service_code, note → service_name, created_at
    select(_EVENT_PART, _event.c.id, _event.c.kind, _event.c.new_status, _event.c.note,
           *[null()] * 8, _event.c.created_at, *[null()] * 6)
    .where(_event.c.request_id == _THIS_REQUEST, _event.c.public.is_(True)),
    # id, kind → tracking, public_id → service_code, variants → attributes
    select(_PHOTO_PART, _media.c.id, _media.c.kind, _media.c.public_id, *[null()] * 7,
           _media.c.variants, *[null()] * 8)
    .where(_media.c.request_id == _THIS_REQUEST, _media.c.hidden.is_(False)),
).order_by("part", "id")


class _Event(NamedTuple):
    kind: str
    new_status: str | None
    note: str | None
    created_at: datetime


class _Photo(NamedTuple):
    kind: str
    public_id: str
    variants: dict | None


def by_tracking_number(db: Session, tracking: str) -> dict:
    number = normalize_tracking_number(tracking)
    rows = number and db.connection().execute(_REQUEST_TIMELINE_AND_PHOTOS,
                                              {"tracking": number}).all()
    if not rows or rows[0].part != 0:
        raise NotFound("unknown_request", f"No report has tracking number {tracking!r}.")
    row = rows[0]
    events = [_Event(r.tracking, r.service_code, r.service_name, r.created_at)
              for r in rows if r.part == 1]
    photos = [_Photo(r.tracking, r.service_code, r.attributes) for r in rows if r.part == 2]
    return _shape(row, row.service_code, row.service_name, row.duplicate_of,
                  row.agency_responsible, events, photos)


def of_request(request: ServiceRequest) -> dict:
    """An ORM request already in hand; reads only relationships not yet loaded."""
    return _shape(request, request.service.code, request.service.name,
                  request.duplicate_of.tracking if request.duplicate_of else None,
                  request.department.name if request.department else None,
                  [e for e in request.events if e.public],
                  [m for m in request.photos if not m.hidden])


def _shape(r, service_code: str, service_name: str, duplicate_of: str | None,
           agency_responsible: str | None, events: Iterable, photos: Iterable) -> dict:
    status = Status(r.status)
    return {
        "tracking": r.tracking,
        "service_code": service_code,
        "service_name": service_name,
        "status": status.value,
        "public_status": "open" if status.is_open else "closed",
        "status_notes": STATUS_NOTES[status],
        "priority": _value(r.priority),
        "description": _text(r.description),
        "lat": _number(r.lat),
        "lon": _number(r.lon),
        "address": _text(r.address),
        "attributes": dict(r.attributes) if r.attributes is not None else None,
        "channel": _value(r.channel),
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
        "expected_at": _iso(r.expected_at),
        "closed_at": _iso(r.closed_at),
        "duplicate_of": duplicate_of,
        "agency_responsible": agency_responsible,
        "supporters": int(r.supporters) if r.supporters is not None else None,
        "timeline": [{"kind": _text(e.kind), "at": _iso(e.created_at),
                      "status": _text(e.new_status), "note": _text(e.note)} for e in events],
        "photos": [{"id": _text(m.public_id), "kind": _text(m.kind), "urls": variant_urls(m)}
                   for m in photos],
    }


def _iso(value) -> str | None:
    """ISO 8601 with the zone: a time read without one is UTC, as every time is stored."""
    if value is None:
        return None
    return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"


def _text(value) -> str | None:
    return str(value) if value is not None else None


def _number(value) -> float | None:
    return float(value) if value is not None else None


def _value(member) -> str | None:
    """An enum member's value; a value read as a plain string is already that."""
    return member.value if isinstance(member, Enum) else member
