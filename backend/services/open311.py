"""Open311 GeoReport v2 use cases: client keys, submissions, searches, batch tokens.

Owns what the standard adds to the domain: which requests an Open311 client may
see (never those of private or ``blackbox`` services in lists, never a blackbox
request at all), the search window rules (at most 90 days, 1,000 results), the
batch tokens that resolve to a request, and the keys clients authenticate with.
Submissions go through ``reports.submit_report``: the same checks as every channel.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.geo.distance import bbox_around, haversine_m, split_bbox
from backend.models import (
    OPEN_STATUSES,
    Address,
    ApiKey,
    Channel,
    Media,
    Open311Submission,
    Service,
    ServiceRequest,
    ServiceType,
)
from backend.models.apikey import DEFAULT_RATE_LIMIT
from backend.models.types import utcnow
from backend.services import catalog, reports
from backend.services.tracking import normalize_tracking_number

MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 1000
MAX_RADIUS_M = 5000
DEFAULT_RADIUS_M = 250
PUBLIC_STATUSES = ("open", "closed")
KEY_PREFIX_LENGTH = 8


# -- client keys ------------------------------------------------------------

def create_api_key(db: Session, name: str, *, rate_limit: int = DEFAULT_RATE_LIMIT,
                   key: str | None = None) -> tuple[str, ApiKey]:
    """A new key for a client application. The key is returned once; only its hash
    is kept. -> (key, record)"""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise InvalidInput("invalid_name", "A key's name needs 1 to 80 characters.")
    _check_rate_limit(rate_limit)
    if db.scalar(select(ApiKey.id).where(ApiKey.name == name)):
        raise Conflict("api_key_exists", f"An API key named {name!r} already exists.")
    key = key or "fd_" + secrets.token_urlsafe(24)
    record = ApiKey(name=name, key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=_digest(key),
                    rate_limit=rate_limit, active=True)
    db.add(record)
    db.flush()
    return key, record


def ensure_api_key(db: Session, name: str, key: str, *,
                   rate_limit: int = DEFAULT_RATE_LIMIT) -> ApiKey:
    """Make sure a key of this name exists, is active and is exactly ``key`` (idempotent)."""
    record = db.scalar(select(ApiKey).where(ApiKey.name == name))
    if record is None:
        return create_api_key(db, name, rate_limit=rate_limit, key=key)[1]
    record.key_prefix, record.key_hash, record.active = key[:KEY_PREFIX_LENGTH], _digest(key), True
    db.flush()
    return record


def list_api_keys(db: Session) -> list[ApiKey]:
    return list(db.scalars(select(ApiKey).order_by(ApiKey.name)))


def get_api_key(db: Session, ident: int | str) -> ApiKey:
    """By id, or by name."""
    query = select(ApiKey)
    if isinstance(ident, int) or str(ident).isdigit():
        query = query.where(or_(ApiKey.id == int(ident), ApiKey.name == str(ident)))
    else:
        query = query.where(ApiKey.name == str(ident))
    record = db.scalar(query.order_by(ApiKey.id))
    if record is None:
        raise NotFound("unknown_api_key", f"There is no API key {ident!r}.")
    return record


def update_api_key(db: Session, ident: int | str, *, name: str | None = None,
                   rate_limit: int | None = None) -> ApiKey:
    record = get_api_key(db, ident)
    if rate_limit is not None:
        _check_rate_limit(rate_limit)
        record.rate_limit = rate_limit
    if name is not None and name.strip() != record.name:
        if db.scalar(select(ApiKey.id).where(ApiKey.name == name.strip())):
            raise Conflict("api_key_exists", f"An API key named {name!r} already exists.")
        record.name = name.strip()
    db.flush()
    return record


def revoke_api_key(db: Session, ident: int | str) -> ApiKey:
    record = get_api_key(db, ident)
    record.active = False
    db.flush()
    return record


def authenticate_api_key(db: Session, key: str | None) -> ApiKey:
    """The active key behind ``key``, or Forbidden (Open311 answers 403)."""
    if not key or not key.strip():
        raise Forbidden("missing_api_key", "An api_key is required to submit a request.")
    record = db.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key.strip())))
    if record is None or not record.active:
        raise Forbidden("invalid_api_key", "The api_key is not valid.")
    record.last_used_at = utcnow()
    return record


def hourly_limit_of(db: Session, key: str | None) -> int:
    """How many requests per hour this key may make (an unknown key: the default, though
    its requests are refused anyway)."""
    if not key or not key.strip():
        return DEFAULT_RATE_LIMIT
    limit = db.scalar(select(ApiKey.rate_limit).where(ApiKey.key_hash == _digest(key.strip()),
                                                      ApiKey.active.is_(True)))
    return limit or DEFAULT_RATE_LIMIT


def _check_rate_limit(rate_limit: int) -> None:
    if not isinstance(rate_limit, int) or not 1 <= rate_limit <= 1_000_000:
        raise InvalidInput("invalid_rate_limit",
                           "The rate limit is 1 to 1,000,000 requests per hour.")


def _digest(key: str) -> str:
    # Keys are long random strings, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(key.encode()).hexdigest()


# -- submitting -------------------------------------------------------------

@dataclass
class ClientDetails:
    """What an Open311 client sends besides the report itself."""

    media_url: str = ""
    address_id: str = ""
    device_id: str = ""
    account_id: str = ""


@dataclass
class Submission:
    request: ServiceRequest
    record: Open311Submission
    created: bool

    @property
    def service_type(self) -> ServiceType:
        return self.request.service.type


def submit(db: Session, report: reports.Report, details: ClientDetails, api_key: ApiKey, *,
           rules: reports.Rules = reports.DEFAULT_RULES, idempotency_key: str | None = None,
           body_hash: str | None = None) -> Submission:
    """Submit through the common path; batch services get a token that resolves at once."""
    report.channel = Channel.OPEN311
    if idempotency_key:
        # Keys are chosen by clients: keep one client's keys from meeting another's.
        scoped = f"{api_key.id}:{idempotency_key}".encode()
        idempotency_key = "open311-" + hashlib.sha256(scoped).hexdigest()[:40]
    request, created = reports.submit_report(db, report, rules=rules,
                                             idempotency_key=idempotency_key,
                                             body_hash=body_hash)
    record = db.get(Open311Submission, request.id)
    if record is None:
        record = Open311Submission(
            request_id=request.id, api_key_id=api_key.id, media_url=details.media_url,
            address_id=details.address_id, device_id=details.device_id,
            account_id=details.account_id,
            token=str(uuid.uuid4()) if request.service.type == ServiceType.BATCH else None)
        db.add(record)
        db.flush()
    return Submission(request, record, created)


def place_of_address_id(db: Session, address_id: str) -> Address:
    """The master address list's entry behind a client's ``address_id``."""
    found = db.get(Address, int(address_id)) if re.fullmatch(r"\d{1,9}", address_id) else None
    if found is None:
        raise InvalidInput("unknown_address_id",
                           f"There is no address with address_id {address_id!r}.")
    return found


def service_notice(service: Service) -> str:
    """What a client may tell the resident about requests of this service."""
    if service.type == ServiceType.BLACKBOX:
        return f"{service.name} reports are handled without public status updates."
    if not service.sla_hours:
        return f"{service.name} reports are reviewed by the city."
    span = (f"{service.sla_hours} hours" if service.sla_hours < 48
            else f"{round(service.sla_hours / 24)} days")
    return f"{service.name} reports are usually handled within {span}."


def resolve_token(db: Session, token: str) -> Open311Submission:
    record = db.scalar(select(Open311Submission).where(Open311Submission.token == token.strip()))
    if record is None:
        raise NotFound("unknown_token", f"There is no request for token {token!r}.")
    return record


# -- reading ----------------------------------------------------------------

@dataclass
class Near:
    lon: float
    lat: float
    radius_m: float = DEFAULT_RADIUS_M


@dataclass
class RequestQuery:
    """GET requests' filters, already parsed; None means not given."""

    ids: list[str] | None = None
    service_codes: list[str] | None = None
    statuses: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    near: Near | None = None
    bbox: tuple[float, float, float, float] | None = None
    page: int = 1
    page_size: int = MAX_RESULTS
    extensions: bool = False


@dataclass
class RequestExtras:
    """Per request: what the Open311 view shows besides the request's own fields."""

    media_url: str = ""
    address_id: str = ""
    photos: list[Media] = field(default_factory=list)


def get_request(db: Session, service_request_id: str, *, with_events: bool = False
                ) -> ServiceRequest:
    """One request by tracking number, typed in any case or spacing. Blackbox ones are
    never shown: their service promises no status."""
    found = _by_ids(db, [service_request_id], with_events=with_events)
    if not found:
        raise NotFound("unknown_request",
                       f"There is no service request {service_request_id!r}.")
    return found[0]


def search_requests(db: Session, query: RequestQuery) -> list[ServiceRequest]:
    """The requests an Open311 client may list, newest first (oldest change first when
    syncing by update time), one page of them."""
    if query.ids is not None:  # the standard: ids override every other filter
        return _by_ids(db, query.ids, with_events=query.extensions)
    statement = _listable(query)
    statement = _filter_codes(db, statement, query.service_codes)
    statement = _filter_statuses(statement, query.statuses)
    statement = _filter_times(statement, query)
    statement = _filter_area(statement, query)
    if query.updated_after or query.updated_before:
        statement = statement.order_by(ServiceRequest.updated_at, ServiceRequest.id)
    else:
        statement = statement.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    statement = statement.options(*_loads(query.extensions))
    offset = (query.page - 1) * query.page_size
    if query.near is None:
        return list(db.scalars(statement.offset(offset).limit(query.page_size)))
    near = query.near
    within = [r for r in db.scalars(statement)
              if haversine_m(near.lon, near.lat, r.lon, r.lat) <= near.radius_m]
    return within[offset:offset + query.page_size]


def extras_for(db: Session, requests: Iterable[ServiceRequest]) -> dict[int, RequestExtras]:
    """Media URL, address id and visible photos of many requests in two queries."""
    ids = [r.id for r in requests]
    extras = {i: RequestExtras() for i in ids}
    if not ids:
        return extras
    for record in db.scalars(select(Open311Submission)
                             .where(Open311Submission.request_id.in_(ids))):
        extras[record.request_id].media_url = record.media_url
        extras[record.request_id].address_id = record.address_id
    for photo in db.scalars(select(Media).where(Media.request_id.in_(ids),
                                                Media.hidden.is_(False)).order_by(Media.id)):
        extras[photo.request_id].photos.append(photo)
    return extras


def public_services(db: Session) -> list[Service]:
    """Services open for reports that clients may list (private ones left out)."""
    return catalog.list_services(db, include_private=False)


def public_service(db: Session, code: str) -> Service:
    service = catalog.get_service(db, code, include_private=False)
    if not service.active:
        raise NotFound("unknown_service", f"There is no service with code {code!r}.")
    return service


def _visible() -> list:
    return [Service.type != ServiceType.BLACKBOX]


def _listable(query: RequestQuery) -> Select:
    return (select(ServiceRequest).join(Service, ServiceRequest.service_id == Service.id)
            .where(*_visible(), Service.public.is_(True)))


def _by_ids(db: Session, raw_ids: list[str], *, with_events: bool) -> list[ServiceRequest]:
    if len(raw_ids) > MAX_IDS:
        raise InvalidInput("too_many_ids", f"At most {MAX_IDS} service_request_id values.")
    numbers = list(dict.fromkeys(n for n in map(normalize_tracking_number, raw_ids) if n))
    if not numbers:
        return []
    statement = (select(ServiceRequest).join(Service, ServiceRequest.service_id == Service.id)
                 .where(*_visible(), ServiceRequest.tracking.in_(numbers)))
    statement = statement.options(*_loads(with_events))
    found = {r.tracking: r for r in db.scalars(statement)}
    return [found[n] for n in numbers if n in found]


def _loads(with_events: bool) -> list:
    """Everything the Open311 view reads, loaded with the page, not request by request."""
    loads = [selectinload(ServiceRequest.department),
             selectinload(ServiceRequest.service).selectinload(Service.department)]
    return loads + [selectinload(ServiceRequest.events)] if with_events else loads


def _filter_codes(db: Session, statement: Select, codes: list[str] | None) -> Select:
    if codes is None:
        return statement
    known = set(db.scalars(select(Service.code).where(Service.code.in_(codes),
                                                      Service.public.is_(True))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput("unknown_service_code",
                           f"There is no service with code {unknown[0]!r}.")
    return statement.where(Service.code.in_(codes))


def _filter_statuses(statement: Select, statuses: list[str] | None) -> Select:
    if statuses is None:
        return statement
    wrong = [s for s in statuses if s not in PUBLIC_STATUSES]
    if wrong:
        raise InvalidInput("invalid_status",
                           f"status must be open or closed, not {wrong[0]!r}.")
    if set(statuses) >= set(PUBLIC_STATUSES):
        return statement
    is_open = ServiceRequest.status.in_(sorted(OPEN_STATUSES))
    return statement.where(is_open if "open" in statuses else ~is_open)


def _filter_times(statement: Select, query: RequestQuery) -> Select:
    syncing = query.updated_after is not None or query.updated_before is not None
    start, end = requested_window(query.start, query.end, default=not syncing)
    if start is not None:
        statement = statement.where(ServiceRequest.created_at >= start,
                                    ServiceRequest.created_at <= end)
    if query.updated_after and query.updated_before \
            and query.updated_after > query.updated_before:
        raise InvalidInput("invalid_date_range",
                           "updated_after must not be later than updated_before.")
    if query.updated_after:
        statement = statement.where(ServiceRequest.updated_at >= query.updated_after)
    if query.updated_before:
        statement = statement.where(ServiceRequest.updated_at <= query.updated_before)
    return statement


def requested_window(start: datetime | None, end: datetime | None, *, default: bool = True
                     ) -> tuple[datetime | None, datetime | None]:
    """The span of requested_datetime to search: at most 90 days; the last 90 days
    when neither end is given (unless ``default`` is False)."""
    if start and end:
        if start > end:
            raise InvalidInput("invalid_date_range", "start_date must be before end_date.")
        if end - start > MAX_WINDOW:
            raise InvalidInput("date_range_too_long",
                               "start_date and end_date may be at most 90 days apart.")
        return start, end
    if start:
        return start, start + MAX_WINDOW
    if end:
        return end - MAX_WINDOW, end
    if not default:
        return None, None
    now = utcnow()
    return now - MAX_WINDOW, now


def _filter_area(statement: Select, query: RequestQuery) -> Select:
    boxes = []
    if query.bbox is not None:
        boxes.append(split_bbox(query.bbox))
    if query.near is not None:
        if not 0 < query.near.radius_m <= MAX_RADIUS_M:
            raise InvalidInput("invalid_radius",
                               f"radius must be more than 0 and at most {MAX_RADIUS_M} metres.")
        boxes.append(split_bbox(bbox_around(query.near.lon, query.near.lat,
                                            query.near.radius_m)))
    for parts in boxes:
        statement = statement.where(or_(*(
            and_(ServiceRequest.lon >= min_lon, ServiceRequest.lon <= max_lon,
                 ServiceRequest.lat >= min_lat, ServiceRequest.lat <= max_lat)
            for min_lon, min_lat, max_lon, max_lat in parts)))
    return statement
