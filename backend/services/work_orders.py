"""Work orders: creating them, who may act on them, the crews' actions (with safe versions
and replayable action ids), assigning by list or by map, and what is near a crew.

Spatial questions ("open work orders in this box") are answered by an index of open work
orders: an R*Tree kept by triggers on SQLite, a partial GiST index on point(lon, lat) on
PostgreSQL (see migration 0005_work_orders). The box search and exact distances are
backend.geo's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import column, func, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from backend.db import is_sqlite
from backend.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    StaleVersion,
)
from backend.geo.distance import BBox, haversine_m, split_bbox, validate_bbox
from backend.geo.spatial_key import nearest_within
from backend.models import (
    OPEN_WORK,
    ClientAction,
    Crew,
    CrewPosition,
    Event,
    Media,
    MediaKind,
    Priority,
    RequestZone,
    Role,
    Service,
    ServiceRequest,
    Status,
    User,
    WorkOrder,
    WorkStatus,
)
from backend.models.types import utcnow
from backend.models.work import OPEN_WORK_SQL
from backend.services import lifecycle, work_lifecycle

Render = Callable[[WorkOrder], dict]
MAX_PROOF_PHOTOS = 10
POSITION_FRESH = timedelta(hours=12)  # older positions say nothing about where a crew is
_RTREE = table("work_order_rtree", column("id"), column("min_lon"), column("max_lon"),
               column("min_lat"), column("max_lat"))


# -- creating and reading --------------------------------------------------------

def create_work_order(db: Session, request: ServiceRequest, *, crew: Crew | None = None,
                      kind: str = "repair", actor: User | None = None,
                      instructions: str = "", due_at: datetime | None = None) -> WorkOrder:
    """A new work order for ``request``, assigned to ``crew`` when one is given."""
    if not request.status.is_open:
        raise Conflict("request_closed",
                       f"Request {request.tracking} is {request.status.value}; "
                       "reopen it before sending a crew.")
    work_order = WorkOrder(request=request, service_id=request.service_id, kind=kind,
                           status=WorkStatus.UNASSIGNED, priority=request.priority,
                           lon=request.lon, lat=request.lat, instructions=instructions.strip(),
                           due_at=due_at or request.expected_at)
    db.add(work_order)
    db.flush()
    db.add(Event(request_id=request.id, work_order_id=work_order.id, kind="work_order",
                 new_status=WorkStatus.UNASSIGNED.value, public=False, actor=actor,
                 data={"action": "create", "kind": kind}))
    if crew is not None:
        work_lifecycle.move(db, work_order, "assign", actor=actor, crew=crew)
    else:
        work_lifecycle.note_change(db, work_order, None)
    return work_order


def get_work_order(db: Session, work_order_id: int) -> WorkOrder:
    work_order = db.get(WorkOrder, work_order_id)
    if work_order is None:
        raise NotFound("unknown_work_order", f"There is no work order {work_order_id}.")
    return work_order


def get_crew(db: Session, crew_id: int) -> Crew:
    crew = db.get(Crew, crew_id)
    if crew is None:
        raise NotFound("unknown_crew", f"There is no crew {crew_id}.")
    return crew


def get_worker(db: Session, user_id: int) -> User:
    worker = db.get(User, user_id)
    if worker is None or worker.role != Role.CREW or worker.crew_id is None:
        raise InvalidInput("unknown_worker", f"User {user_id} is not a member of a crew.")
    return worker


def can_see(user: User, work_order: WorkOrder) -> bool:
    if user.role != Role.CREW:
        return True
    return work_order.crew_id == user.crew_id or work_order.status == WorkStatus.UNASSIGNED


def check_may_act(user: User, work_order: WorkOrder, action: str) -> None:
    """Crews act on their crew's work (or take unassigned work where the service allows);
    dispatchers and admins assign, and may act for a crew."""
    if user.role != Role.CREW:
        return
    if action not in work_lifecycle.CREW_ACTIONS:
        raise Forbidden("dispatchers_assign", "Only dispatchers assign or cancel work orders.")
    if user.crew_id is None:
        raise Forbidden("no_crew", "You are not a member of a crew.")
    if work_order.crew_id == user.crew_id:
        return
    if work_order.crew_id is None and action == "accept" \
            and work_order.service.crews_self_assign:
        return
    raise Forbidden("not_your_work_order", "This work order belongs to another crew."
                    if work_order.crew_id else "Unassigned work is handed out by dispatch.")


# -- actions: versions, replays ---------------------------------------------------

@dataclass
class Action:
    """One action as a client sends it, online or from its offline queue."""

    action: str
    work_order_id: int
    action_id: str
    version: int | None = None    # the version the client saw (If-Match)
    based_on: str | None = None   # or: the action_id of its own earlier action on it
    notes: str = ""
    reason: str = ""
    photos: list[str] = field(default_factory=list)
    crew_id: int | None = None
    worker_id: int | None = None


@dataclass
class Performed:
    work_order: WorkOrder
    response: dict
    replayed: bool  # True: answered from the first time this action id was seen


def perform(db: Session, actor: User, action: Action, *, render: Render) -> Performed:
    """Apply one action in a savepoint of its own, or raise (changing nothing).

    A known action id is answered with the stored response. A version that is not the
    current one raises StaleVersion carrying ``render`` of the current work order.
    """
    earlier = _earlier_action(db, actor, action)
    if earlier is not None:
        return Performed(get_work_order(db, earlier.work_order_id), earlier.response, True)
    work_order = get_work_order(db, action.work_order_id)
    try:
        with db.begin_nested():
            _check_version(db, actor, action, work_order, render)
            check_may_act(actor, work_order, action.action)
            _apply_action(db, actor, action, work_order)
            db.flush()
            response = render(work_order)
            db.add(ClientAction(user_id=actor.id, action_id=action.action_id,
                                work_order_id=work_order.id, action=action.action,
                                result_version=work_order.version, response=response))
            db.flush()
    except StaleDataError:
        db.refresh(work_order)
        raise _stale(work_order, render) from None
    except IntegrityError:
        earlier = _earlier_action(db, actor, action)  # the same id, applied meanwhile
        if earlier is None:
            raise
        return Performed(get_work_order(db, earlier.work_order_id), earlier.response, True)
    return Performed(work_order, response, False)


def _earlier_action(db: Session, actor: User, action: Action) -> ClientAction | None:
    earlier = db.scalar(select(ClientAction).where(ClientAction.user_id == actor.id,
                                                   ClientAction.action_id == action.action_id))
    if earlier is not None and (earlier.work_order_id, earlier.action) != \
            (action.work_order_id, action.action):
        raise Conflict("action_id_reused",
                       f"Action id {action.action_id!r} was already used for another action.")
    return earlier


def _check_version(db: Session, actor: User, action: Action, work_order: WorkOrder,
                   render: Render) -> None:
    expected = action.version
    if expected is None and action.based_on:
        base = db.scalar(select(ClientAction).where(ClientAction.user_id == actor.id,
                                                    ClientAction.action_id == action.based_on))
        if base is None or base.work_order_id != work_order.id:
            raise _stale(work_order, render, f"The action it builds on ({action.based_on}) "
                                             "was not applied.")
        expected = base.result_version
    if expected is None:
        raise PreconditionRequired("version_required",
                                   "Send the version you saw (If-Match) with every action.")
    if expected != work_order.version:
        raise _stale(work_order, render)


def _stale(work_order: WorkOrder, render: Render, why: str = "") -> StaleVersion:
    return StaleVersion("stale_version", why or describe_change(work_order),
                        current_version=work_order.version, work_order=render(work_order))


def describe_change(work_order: WorkOrder) -> str:
    """What the work order is now, for the person whose action came too late."""
    status = work_order.status.value.replace("_", " ")
    who = f" to {work_order.crew.name}" if work_order.crew and work_order.status in (
        WorkStatus.ASSIGNED, WorkStatus.ACCEPTED) else (
        f" by {work_order.crew.name}" if work_order.crew else "")
    return (f"Changed meanwhile: {status}{who} at {work_order.updated_at:%H:%M} UTC "
            f"(version {work_order.version}).")


def _apply_action(db: Session, actor: User, action: Action, work_order: WorkOrder) -> None:
    name = action.action
    if name in work_lifecycle.NEEDS_CREW:
        assign(db, work_order, get_crew(db, action.crew_id) if action.crew_id else None,
               worker=get_worker(db, action.worker_id) if action.worker_id else None,
               actor=actor, note=action.notes)
    elif name == "accept":
        taking = work_order.crew_id is None and actor.crew is not None
        work_lifecycle.move(db, work_order, "accept", actor=actor,
                            crew=actor.crew if taking else None,
                            worker=actor if taking else None)
    elif name == "start":
        request = _locked_request(db, work_order)
        work_lifecycle.move(db, work_order, "start", actor=actor)
        if Status.IN_PROGRESS in lifecycle.ALLOWED[request.status]:
            lifecycle.move(db, request, Status.IN_PROGRESS, actor=actor)
    elif name == "complete":
        complete(db, work_order, actor=actor, notes=action.notes, photos=action.photos)
    else:
        work_lifecycle.move(db, work_order, name, actor=actor, note=action.notes,
                            reason=action.reason)


def assign(db: Session, work_order: WorkOrder, crew: Crew | None, *, actor: User | None,
           worker: User | None = None, note: str = "") -> Event:
    """Assign or reassign (whichever the status calls for) to a crew, or to a worker's."""
    if worker is not None:
        crew = crew or worker.crew
        if worker.crew_id != crew.id:
            raise InvalidInput("worker_not_in_crew",
                               f"{worker.display_name} is not a member of {crew.name}.")
    if crew is None:
        raise InvalidInput("crew_required", "Say which crew (or worker) gets the work order.")
    if work_order.crew_id == crew.id and work_order.status == WorkStatus.ASSIGNED and \
            (worker is None or work_order.worker_id == worker.id):
        raise Conflict("already_assigned", f"Already assigned to {crew.name}.")
    name = "assign" if work_order.status == WorkStatus.UNASSIGNED else "reassign"
    return work_lifecycle.move(db, work_order, name, actor=actor, crew=crew, worker=worker,
                               note=note)


def _locked_request(db: Session, work_order: WorkOrder) -> ServiceRequest:
    """The work order's request, locked (PostgreSQL) before the work order is touched, so two
    crews closing the last two work orders at once cannot both miss that the request is done.
    NO KEY UPDATE: it must not wait for writers that only reference the request (events)."""
    return db.scalars(select(ServiceRequest).where(ServiceRequest.id == work_order.request_id)
                      .with_for_update(of=ServiceRequest, key_share=True)
                      .execution_options(populate_existing=True)).one()


def complete(db: Session, work_order: WorkOrder, *, actor: User, notes: str = "",
             photos: Iterable[str] = ()) -> Event:
    """Close the job; the proof photos join the request's public timeline; when no work
    order of the request is left open, the request is resolved and its followers told."""
    photos = list(dict.fromkeys(photos))
    service = work_order.service
    if service.proof_required and not photos:
        raise InvalidInput("proof_required",
                           f"{service.name} needs a photo of the finished work.")
    request = _locked_request(db, work_order)
    event = work_lifecycle.move(db, work_order, "complete", actor=actor, note=notes)
    _attach_proof(db, work_order, request, photos, actor)
    still_open = db.scalar(select(func.count(WorkOrder.id)).where(
        WorkOrder.request_id == request.id, WorkOrder.id != work_order.id,
        WorkOrder.status.in_(OPEN_WORK)))
    if not still_open and request.status.is_open:
        resolve_request(db, request, actor=actor)
    return event


def _attach_proof(db: Session, work_order: WorkOrder, request: ServiceRequest,
                  photos: list[str], actor: User) -> None:
    if len(photos) > MAX_PROOF_PHOTOS:
        raise InvalidInput("too_many_photos", f"At most {MAX_PROOF_PHOTOS} proof photos.")
    found = {m.public_id: m for m in db.scalars(select(Media).where(Media.public_id.in_(photos)))}
    for public_id in photos:
        photo = found.get(public_id)
        if photo is None:
            raise InvalidInput("unknown_photo", f"No uploaded photo has id {public_id!r}.")
        if photo.request_id is not None:
            raise Conflict("photo_in_use", f"Photo {public_id!r} already belongs to a report.")
        photo.request_id, photo.kind = request.id, MediaKind.PROOF
        db.add(Event(request_id=request.id, work_order_id=work_order.id, kind="photo",
                     public=True, actor=actor, data={"photo": public_id, "proof": True}))


def resolve_request(db: Session, request: ServiceRequest, *, actor: User | None) -> Event:
    """Resolve the request. lifecycle.move queues the followers' messages and resolves the
    duplicates merged into it (their followers were moved to it when they were merged)."""
    return lifecycle.move(db, request, Status.RESOLVED, actor=actor)


# -- where work is -------------------------------------------------------------------

def open_in_box_statement(db: Session, bbox: BBox, *, unassigned_only: bool = False) -> Select:
    """(id, lon, lat) of open work orders whose point may lie in a plain (non-crossing) box,
    answered from the spatial index."""
    min_lon, min_lat, max_lon, max_lat = bbox
    w = WorkOrder
    if is_sqlite(db):
        k = _RTREE.c
        # A subquery, so the R*Tree's box search drives the plan (joined, SQLite prefers to
        # walk the status index and look each row up in the R*Tree by id).
        in_box = select(k.id).where(k.max_lon >= min_lon, k.min_lon <= max_lon,
                                    k.max_lat >= min_lat, k.min_lat <= max_lat)
        statement = select(w.id, w.lon, w.lat).where(w.id.in_(in_box))
    else:
        box = func.box(func.point(min_lon, min_lat), func.point(max_lon, max_lat))
        statement = (select(w.id, w.lon, w.lat)
                     .where(func.point(w.lon, w.lat).op("<@")(box))
                     .where(text(f"work_order.{OPEN_WORK_SQL}")))
    if unassigned_only:
        statement = statement.where(w.status == WorkStatus.UNASSIGNED)
    return statement


def open_in_box(db: Session, bbox: BBox, *, unassigned_only: bool = False
                ) -> list[tuple[int, float, float]]:
    rows: list[tuple[int, float, float]] = []
    for part in split_bbox(bbox):
        rows.extend(tuple(row) for row in db.execute(
            open_in_box_statement(db, part, unassigned_only=unassigned_only)))
    return rows


def parse_area(polygon: dict | None = None, bbox: list | None = None):
    """A drawn area as a shapely geometry: a GeoJSON Polygon/MultiPolygon, or a box."""
    import shapely  # here, not at import: only assigning by area needs it

    from backend.geo.zones import parse_zones

    if (polygon is None) == (bbox is None):
        raise InvalidInput("area_required", "Give either a polygon or a bbox.")
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = validate_bbox(bbox)
        return shapely.box(min_lon, min_lat, max_lon, max_lat), (min_lon, min_lat,
                                                                 max_lon, max_lat)
    feature = {"type": "Feature", "properties": {"area": "drawn"}, "geometry": polygon}
    shape = parse_zones({"type": "FeatureCollection", "features": [feature]},
                        code_property="area")[0].geometry
    return shape, shape.bounds


@dataclass
class AreaFilters:
    services: list[str] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    older_than_hours: float | None = None
    include_assigned: bool = False  # also take work already given to another crew
    zone_id: int | None = None  # only work on requests in this zone (neighbourhood …)


def in_zone(zone_id: int):
    """SQL: the work order's request lies in the zone (as recorded when it was made)."""
    return WorkOrder.request_id.in_(
        select(RequestZone.request_id).where(RequestZone.zone_id == zone_id))


def open_in_area(db: Session, area, bbox: BBox, filters: AreaFilters) -> list[WorkOrder]:
    """Open work orders inside the area that pass the filters, in id order."""
    rows = open_in_box(db, bbox)
    if not rows:
        return []
    import shapely

    ids, lons, lats = zip(*rows, strict=True)
    shapely.prepare(area)
    inside = [i for i, hit in zip(ids, shapely.intersects_xy(area, lons, lats), strict=True)
              if hit]
    found: list[WorkOrder] = []
    for chunk in _chunks(sorted(inside), 900):
        statement = select(WorkOrder).where(WorkOrder.id.in_(chunk)).order_by(WorkOrder.id)
        if filters.services:
            statement = statement.join(Service, Service.id == WorkOrder.service_id).where(
                Service.code.in_(filters.services))
        if filters.priorities:
            statement = statement.where(WorkOrder.priority.in_(filters.priorities))
        if filters.older_than_hours is not None:
            statement = statement.where(
                WorkOrder.created_at <= utcnow() - timedelta(hours=filters.older_than_hours))
        if filters.zone_id is not None:
            statement = statement.where(in_zone(filters.zone_id))
        found.extend(db.scalars(statement.with_for_update(of=WorkOrder)))
    return found


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class AssignReport:
    assigned: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id", "reason", "status", …}


SKIP_REASONS = {
    WorkStatus.IN_PROGRESS: "in_progress", WorkStatus.COMPLETED: "completed",
    WorkStatus.CANCELLED: "cancelled",
}


def assign_many(db: Session, work_orders: Iterable[WorkOrder], crew: Crew, *, actor: User,
                worker: User | None = None, versions: dict[int, int] | None = None,
                include_assigned: bool = True, note: str = "") -> AssignReport:
    """Assign each work order to the crew; report each one left alone, and why."""
    report = AssignReport()
    for work_order in work_orders:
        reason = _skip_reason(work_order, crew, worker, versions, include_assigned)
        if reason:
            report.skipped.append({"id": work_order.id, "reason": reason,
                                   "status": work_order.status.value,
                                   "version": work_order.version})
            continue
        assign(db, work_order, crew, actor=actor, worker=worker, note=note)
        report.assigned.append(work_order.id)
    db.flush()
    return report


def _skip_reason(work_order: WorkOrder, crew: Crew, worker: User | None,
                 versions: dict[int, int] | None, include_assigned: bool) -> str | None:
    if versions and work_order.id in versions and versions[work_order.id] != work_order.version:
        return "version_conflict"
    if work_order.status in SKIP_REASONS:
        return SKIP_REASONS[work_order.status]
    if work_order.crew_id == crew.id and work_order.status == WorkStatus.ASSIGNED and (
            worker is None or worker.id == work_order.worker_id):
        return "already_assigned"
    if work_order.crew_id not in (None, crew.id) and not include_assigned:
        return "assigned_to_another_crew"
    if work_order.crew_id == crew.id and work_order.status == WorkStatus.ACCEPTED:
        return "already_accepted"
    return None


def work_orders_by_id(db: Session, ids: list[int]) -> tuple[list[WorkOrder], list[dict]]:
    """The work orders, locked for assignment, and a skip entry for each unknown id."""
    found: dict[int, WorkOrder] = {}
    for chunk in _chunks(sorted(set(ids)), 900):
        found |= {w.id: w for w in db.scalars(select(WorkOrder).where(WorkOrder.id.in_(chunk))
                                              .order_by(WorkOrder.id)
                                              .with_for_update(of=WorkOrder))}
    missing = [{"id": i, "reason": "not_found"} for i in dict.fromkeys(ids) if i not in found]
    return [found[i] for i in sorted(found)], missing


# -- a crew's day ---------------------------------------------------------------------

@dataclass
class Located:
    """A work order and its distance from someone."""

    work_order: WorkOrder
    distance_m: float | None


@dataclass
class CrewDay:
    mine: list[Located]
    unassigned: list[Located]
    tour: list[int]          # work-order ids of ``mine`` in suggested visiting order
    tour_m: float | None
    origin: tuple[float, float] | None  # (lon, lat) the distances are from


def crew_day(db: Session, user: User, *, near: tuple[float, float] | None = None,
             radius_m: float = 10_000, limit: int = 50) -> CrewDay:
    """My crew's open work, nearest first, a visiting order, and unassigned work nearby.
    ``near`` is (lon, lat); without it, the user's last known position is used."""
    origin = near or _last_position(db, user)
    mine = [] if user.crew_id is None else list(db.scalars(select(WorkOrder).where(
        WorkOrder.crew_id == user.crew_id, WorkOrder.status.in_(OPEN_WORK))))
    if origin is None:
        return CrewDay([Located(w, None) for w in sorted(mine, key=lambda w: w.id)][:limit],
                       [], [], None, None)
    lon, lat = origin
    located = sorted((Located(w, _distance(origin, w)) for w in mine),
                     key=lambda x: (x.distance_m is None, x.distance_m or 0, x.work_order.id))
    located = located[:limit]
    stops = [x.work_order for x in located if x.distance_m is not None]
    from backend.geo.tour import plan_tour  # numpy, only once a crew asks for its day

    tour = plan_tour(origin, [(w.lon, w.lat) for w in stops]) if stops else None
    # Growing by 2 (not the default 4) fetches fewer surplus rows where work is sparse.
    found = nearest_within(lon, lat, radius_m,
                           lambda box: open_in_box(db, box, unassigned_only=True), want=limit,
                           first_m=200, growth=2.0)
    by_id = {w.id: w for w in db.scalars(select(WorkOrder).where(
        WorkOrder.id.in_([n.id for n in found.neighbours])))}
    unassigned = [Located(by_id[n.id], n.distance_m) for n in found.neighbours if n.id in by_id]
    return CrewDay(mine=located, unassigned=unassigned,
                   tour=[stops[i].id for i in tour.order] if tour else [],
                   tour_m=tour.total_m if tour else None, origin=origin)


def _distance(origin: tuple[float, float], work_order: WorkOrder) -> float | None:
    if work_order.lon is None or work_order.lat is None:
        return None
    return haversine_m(origin[0], origin[1], work_order.lon, work_order.lat)


def _last_position(db: Session, user: User) -> tuple[float, float] | None:
    position = db.get(CrewPosition, user.id)
    return (position.lon, position.lat) if position else None


# -- where crews are -----------------------------------------------------------------

def record_position(db: Session, user: User, *, lon: float, lat: float,
                    accuracy_m: float | None = None,
                    recorded_at: datetime | None = None) -> CrewPosition:
    """Keep the user's newest position; a ping older than the one kept (sent late from an
    offline queue) changes nothing."""
    recorded_at = recorded_at or utcnow()
    position = db.get(CrewPosition, user.id, with_for_update=True)
    if position is None:
        position = CrewPosition(user_id=user.id)
        db.add(position)
    elif position.recorded_at >= recorded_at:
        return position
    position.crew_id, position.lon, position.lat = user.crew_id, lon, lat
    position.accuracy_m, position.recorded_at, position.received_at = (
        accuracy_m, recorded_at, utcnow())
    return position


def crew_positions(db: Session) -> list[CrewPosition]:
    return list(db.scalars(select(CrewPosition).order_by(CrewPosition.crew_id,
                                                         CrewPosition.user_id)))


@dataclass
class CrewSuggestion:
    crew: Crew
    distance_m: float
    member: User
    position_at: datetime
    open_work_orders: int


def suggest_crews(db: Session, work_order: WorkOrder, *, limit: int = 5) -> list[CrewSuggestion]:
    """Crews with a recent position, nearest first; those of the service's department
    first when it has any."""
    if work_order.lon is None:
        raise InvalidInput("no_location", "This work order has no location to measure from.")
    since = utcnow() - POSITION_FRESH
    positions = list(db.scalars(select(CrewPosition).where(CrewPosition.crew_id.is_not(None),
                                                           CrewPosition.recorded_at >= since)))
    nearest: dict[int, tuple[float, CrewPosition]] = {}
    for p in positions:
        d = haversine_m(work_order.lon, work_order.lat, p.lon, p.lat)
        if p.crew_id not in nearest or d < nearest[p.crew_id][0]:
            nearest[p.crew_id] = (d, p)
    loads = {crew_id: count for crew_id, count in db.execute(
        select(WorkOrder.crew_id, func.count(WorkOrder.id))
        .where(WorkOrder.crew_id.in_(list(nearest)), WorkOrder.status.in_(OPEN_WORK))
        .group_by(WorkOrder.crew_id))}
    department = work_order.service.department_id
    in_department = {c for c, (_d, p) in nearest.items() if p.crew.department_id == department}
    ranked = sorted(nearest.items(), key=lambda item: (
        bool(in_department) and item[0] not in in_department, item[1][0], item[0]))
    return [CrewSuggestion(p.crew, d, p.user, p.recorded_at, loads.get(crew_id, 0))
            for crew_id, (d, p) in ranked[:limit]]
