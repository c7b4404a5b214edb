"""Submitting a report, and reading it back by tracking number.

Submission is idempotent: the client's Idempotency-Key is stored with a hash of
the body, so a replay returns the first request and a different body under the
same key is refused. Concurrent replays race on the key's unique constraint:
the loser's insert writes nothing, and it reads the winner's row.
"""

from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, inspect, select
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from backend.db import is_sqlite
from backend.errors import Conflict, InvalidInput, InvalidLocation, NotFound
from backend.geo.distance import validate_point
from backend.models import (
    Channel,
    Event,
    LocationSource,
    Media,
    ReporterContact,
    RequestZone,
    ServiceRequest,
    Status,
    User,
)
from backend.models.types import utcnow
from backend.services import (
    addresses,
    catalog,
    photos,
    routing,
    service_levels,
    subscriptions,
    zones,
)
from backend.services.attributes import validate_answers
from backend.services.tracking import new_tracking_number, normalize_tracking_number

MAX_PHOTOS = 10
TRACKING_ATTEMPTS = 5


@dataclass
class Report:
    """What a resident (or a call-taker on their behalf) sends."""

    service_code: str
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    description: str = ""
    attributes: dict = field(default_factory=dict)
    contact: dict | None = None
    channel: Channel = Channel.PWA
    photos: list[str] = field(default_factory=list)


@dataclass
class Rules:
    """The city's settings that a submission must respect."""

    max_description: int = 4000
    boundary_kind: str = ""


DEFAULT_RULES = Rules()


def submit_report(db: Session, report: Report, *, rules: Rules = DEFAULT_RULES,
                  idempotency_key: str | None = None, body_hash: str | None = None,
                  actor: User | None = None) -> tuple[ServiceRequest, bool]:
    """Create the request, or return the one this key already made. -> (request, created)

    Everything is decided before the first write (zones, department, expected date), so
    the request and its timeline are written at once, at the end: what concurrent
    submissions wait on (the SQLite file; on PostgreSQL, the map's cell counts that the
    insert updates) is held only from there to the commit."""
    if idempotency_key:
        earlier = _replayed(db, idempotency_key, body_hash)
        if earlier:
            return earlier, False
    request, attached = _build(db, report, rules, actor)
    request.idempotency_key, request.body_hash = idempotency_key, body_hash
    zone_ids = zones.zones_at(db, request.lon, request.lat) if request.lat is not None else []
    decision = routing.decide(db, request.service, zone_ids, rules=routing.kept_rules(db))
    routing.record(db, request, decision, actor)
    request.expected_at = service_levels.expected_for(db, request.service, request.priority,
                                                      request.created_at)
    for _attempt in range(TRACKING_ATTEMPTS):
        if _write_new(db, request, zone_ids):
            break
        # Nothing was written: the key's first request won a race, or (rarely) the
        # tracking number was taken meanwhile.
        earlier = idempotency_key and _replayed(db, idempotency_key, body_hash)
        if earlier:
            return earlier, False
        request.tracking = new_tracking_number()
    else:
        raise Conflict("tracking_number_clash", "Please send the report again.")
    _attach_photos(db, request, attached, actor)
    subscriptions.subscribe_reporter(db, request)  # the reporter's email follows the report
    return request, True


def _replayed(db: Session, key: str, body_hash: str | None) -> ServiceRequest | None:
    found = db.connection().execute(_BY_KEY, {"key": key}).first()
    if found is None:
        return None
    if found.body_hash != body_hash:
        raise Conflict("idempotency_key_reused",
                       "This Idempotency-Key was already used for a different report.")
    return db.get(ServiceRequest, found.id)


_BY_KEY = (select(ServiceRequest.__table__.c.id, ServiceRequest.__table__.c.body_hash)
           .where(ServiceRequest.__table__.c.idempotency_key == bindparam("key")))


def _build(db: Session, report: Report, rules: Rules, actor: User | None
           ) -> tuple[ServiceRequest, list[Media]]:
    """The new request (not yet added) and the uploaded photos it will take."""
    service = catalog.service_for_report(db, report.service_code)
    if not service.active:
        raise InvalidInput("inactive_service", f"{service.name} is no longer taking reports.")
    if len(report.description) > rules.max_description:
        raise InvalidInput("description_too_long",
                           f"The description can be at most {rules.max_description} characters.")
    if len(report.photos) > MAX_PHOTOS:
        raise InvalidInput("too_many_photos", f"At most {MAX_PHOTOS} photos per report.")
    attached = photos.photos_to_attach(db, report.photos)
    lat, lon, source = _location(db, report, rules, attached)
    request = ServiceRequest(
        tracking=new_tracking_number(), service=service, lat=lat, lon=lon,
        address=report.address.strip(), description=report.description.strip(),
        attributes=validate_answers(service, report.attributes), channel=Channel(report.channel),
        priority=service.default_priority, status=Status.SUBMITTED, location_source=source,
        created_at=utcnow())
    # None said outright, so that nothing later asks the database for a contact.
    has_contact = report.contact and any(report.contact.values())
    request.contact = ReporterContact(**report.contact) if has_contact else None
    request.events.append(Event(kind="created", new_status=request.status.value, actor=actor,
                                data={"channel": request.channel.value}))
    return request, attached


def _location(db: Session, report: Report, rules: Rules, attached: list[Media]
              ) -> tuple[float | None, float | None, LocationSource]:
    """(lat, lon, where they came from): the client's point; else a known address's;
    else where a geotagged photo was taken; else only the address text."""
    if report.lat is not None or report.lon is not None:
        if report.lat is None or report.lon is None:
            raise InvalidLocation("invalid_location", "Give both latitude and longitude.")
        _check_point(db, report.lon, report.lat, rules)
        return report.lat, report.lon, LocationSource.DEVICE
    if report.address.strip():
        # A call-taker's address: take its point when it names one known address exactly.
        known = addresses.exact_match(db, report.address)
        if known:
            return known.lat, known.lon, LocationSource.ADDRESS
    taken_at = photos.photo_position(attached)
    if taken_at is not None:
        _check_point(db, *taken_at, rules, where="The photo was taken")
        return taken_at[1], taken_at[0], LocationSource.PHOTO
    if not report.address.strip():
        raise InvalidLocation("missing_location", "Give a location: a point, an address, or "
                                                  "a photo that records where it was taken.")
    return None, None, LocationSource.ADDRESS


def _check_point(db: Session, lon: float, lat: float, rules: Rules, *,
                 where: str = "That place is") -> None:
    validate_point(lon, lat)
    if rules.boundary_kind and not zones.in_service_area(db, lon, lat, rules.boundary_kind):
        raise InvalidLocation("outside_service_area",
                              f"{where} outside the area this city serves.")


# -- writing a new request --------------------------------------------------------------
# Three statements, without the unit of work's bookkeeping (which cost more than the rest of
# a submission): the request, its timeline, its zones. The objects then join the session as
# if just loaded, so what follows (photos, the reporter's subscription) works on them as usual.

def _write_new(db: Session, request: ServiceRequest, zone_ids: list[int]) -> bool:
    """Insert the new request unless its Idempotency-Key or tracking number is already
    taken (then nothing is written: False)."""
    connection = db.connection()
    _complete(request)
    request.service_id, request.department_id = request.service.id, request.department.id
    request.crew_id = request.crew.id if request.crew else None
    request_id = connection.execute(_insert_unless_taken(db), _columns(request)).scalar()
    if request_id is None:
        return False
    request.id = request_id
    events = list(request.events)
    for event in events:
        _complete(event)
        event.request_id, event.actor_id = request_id, event.actor.id if event.actor else None
    event_ids = connection.execute(_INSERT_EVENTS, [_columns(e) for e in events]).scalars()
    for event, event_id in zip(events, event_ids, strict=True):
        event.id = event_id
        make_transient_to_detached(event)
    if zone_ids:
        connection.execute(insert(RequestZone.__table__),
                           [{"request_id": request_id, "zone_id": z} for z in zone_ids])
    make_transient_to_detached(request)
    db.add(request)  # with its timeline; a contact joins as new and is written at the commit
    return True


_INSERT_EVENTS = insert(Event.__table__).returning(Event.__table__.c.id,
                                                   sort_by_parameter_order=True)


def _insert_unless_taken(db: Session):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, in the database's own dialect."""
    if is_sqlite(db):
        return _INSERT_UNLESS_TAKEN["sqlite"]
    return _INSERT_UNLESS_TAKEN["postgresql"]


_INSERT_UNLESS_TAKEN = {
    name: dialect.insert(ServiceRequest.__table__).on_conflict_do_nothing()
    .returning(ServiceRequest.__table__.c.id)
    for name, dialect in (("sqlite", sqlite_dialect), ("postgresql", postgresql_dialect))}


def _complete(thing) -> None:
    """Every column the object left unset gets its Python default, or None, so that once
    in the session it reads as loaded (an unset column would be fetched on first use)."""
    for prop in inspect(type(thing)).column_attrs:
        column = prop.columns[0]
        if prop.key in thing.__dict__ or column.primary_key:
            continue
        default = column.default
        value = None if default is None else (
            default.arg if default.is_scalar else default.arg(None))
        setattr(thing, prop.key, value)


def _columns(thing) -> dict:
    """The object's column values, as an INSERT takes them (a primary key not yet known is
    left to the database)."""
    values = {}
    for prop in inspect(type(thing)).column_attrs:
        column = prop.columns[0]
        value = thing.__dict__.get(prop.key)
        if not (column.primary_key and value is None):
            values[column.key] = value
    return values


def _attach_photos(db: Session, request: ServiceRequest, attached: list[Media],
                   actor: User | None) -> None:
    photos.attach_to_request(db, request, attached, actor=actor)
    # A new request's photos are exactly these: say so, so showing it costs no query.
    set_committed_value(request, "photos", sorted(attached, key=lambda p: p.id))


def get_by_tracking_number(db: Session, tracking: str) -> ServiceRequest:
    number = normalize_tracking_number(tracking)
    request = number and db.scalar(
        select(ServiceRequest).options(selectinload(ServiceRequest.events))
        .where(ServiceRequest.tracking == number))
    if not request:
        raise NotFound("unknown_request", f"No report has tracking number {tracking!r}.")
    return request


def public_events(request: ServiceRequest) -> list[Event]:
    return [e for e in request.events if e.public]


def public_photos(db: Session, request: ServiceRequest) -> list[Media]:
    return list(db.scalars(select(Media).where(Media.request_id == request.id,
                                               Media.hidden.is_(False)).order_by(Media.id)))
