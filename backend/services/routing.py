"""Routing: which department (and, internally, which crew) a request goes to.

The rules are data (RoutingRule rows: service and/or zone → department and/or crew). The
most specific rule that matches wins, in this order:

1. a rule for the request's service **and** one of its zones
2. a rule for one of its zones, any service (a zone is a jurisdiction: e.g. everything in
   the port area goes to the port's own department)
3. a rule for its service, anywhere (e.g. a crew that takes every graffiti report)
4. the service's own department (the catalog's default)
5. the triage department (code ``triage``), where a person routes it by hand

Within one tier the lower ``priority`` wins, then the older rule. A rule naming only a crew
sends the request to that crew's department too. Each decision is written to the public
timeline as a "routed" event naming the department; crew names stay internal (event data
holds only the crew's id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, NotFound
from backend.models import (
    OPEN_STATUSES,
    Crew,
    Department,
    Event,
    RequestZone,
    RoutingRule,
    Service,
    ServiceRequest,
    User,
    Zone,
)
from backend.services import settings_cache

TRIAGE_CODE = "triage"
TRIAGE_NAME = "Triage"

# Tier of a matching rule: lower is more specific.
SERVICE_AND_ZONE, ZONE_ONLY, SERVICE_ONLY = 0, 1, 2


@dataclass(frozen=True)
class Decision:
    """Where a request goes and why: reason is "rule", "service_default" or "triage"."""

    department: Department
    crew: Crew | None
    reason: str
    rule: RoutingRule | None = None


# -- deciding ------------------------------------------------------------------

def decide(db: Session, service: Service, zone_ids: Iterable[int], *,
           rules: Sequence[RoutingRule] | None = None) -> Decision:
    """The routing decision for a request of this service lying in these zones, from the
    rules given (e.g. ``kept_rules``) or else read now."""
    zone_ids = list(zone_ids)
    if rules is None:
        rules = db.scalars(select(RoutingRule).where(
            or_(RoutingRule.service_id.is_(None), RoutingRule.service_id == service.id),
            or_(RoutingRule.zone_id.is_(None), RoutingRule.zone_id.in_(zone_ids)))
        ).unique().all()
    return _decision(db, _best_rule(rules, service.id, zone_ids), service)


def kept_rules(db: Session) -> list[RoutingRule]:
    """Every rule with its department and crew, kept in memory while the settings stay the
    same (backend.services.settings_cache); a write unit of work's call."""
    return settings_cache.cached(db, "routing_rules",
                                 lambda loader: list(loader.scalars(select(RoutingRule)).unique()))


def route_request(db: Session, request: ServiceRequest, *, zone_ids: Iterable[int] | None = None,
                  actor: User | None = None) -> Decision:
    """Decide, store the department and crew on the request, and write the timeline."""
    if zone_ids is None:
        zone_ids = db.scalars(select(RequestZone.zone_id)
                              .where(RequestZone.request_id == request.id))
    decision = decide(db, request.service, zone_ids)
    record(db, request, decision, actor)
    return decision


def route_requests(db: Session, requests: Sequence[ServiceRequest], *,
                   actor: User | None = None) -> list[Decision]:
    """Route many requests with one read of the rules and one of their zones."""
    rules = list(db.scalars(select(RoutingRule)).unique())
    zones_of: dict[int, list[int]] = defaultdict(list)
    ids = [r.id for r in requests]
    for chunk in range(0, len(ids), 5000):
        for request_id, zone_id in db.execute(select(RequestZone.request_id, RequestZone.zone_id)
                                              .where(RequestZone.request_id.in_(
                                                  ids[chunk:chunk + 5000]))):
            zones_of[request_id].append(zone_id)
    decisions = []
    for request in requests:
        best = _best_rule(rules, request.service_id, zones_of[request.id])
        decision = _decision(db, best, request.service)
        record(db, request, decision, actor)
        decisions.append(decision)
    return decisions


def route_unrouted(db: Session, *, open_only: bool = True) -> int:
    """Route every request that has no department yet (e.g. after an import)."""
    query = select(ServiceRequest).where(ServiceRequest.department_id.is_(None))
    if open_only:
        query = query.where(ServiceRequest.status.in_(OPEN_STATUSES))
    requests = list(db.scalars(query.order_by(ServiceRequest.id)))
    route_requests(db, requests)
    return len(requests)


def triage_department(db: Session) -> Department:
    """The queue of last resort; made on first use if the migration's row was removed."""
    department = db.scalar(select(Department).where(Department.code == TRIAGE_CODE))
    if department is None:
        department = Department(code=TRIAGE_CODE, name=TRIAGE_NAME)
        db.add(department)
        db.flush()
    return department


def _best_rule(rules: Iterable[RoutingRule], service_id: int,
               zone_ids: Sequence[int]) -> RoutingRule | None:
    zones = set(zone_ids)
    matching = []
    for rule in rules:
        if rule.service_id not in (None, service_id):
            continue
        if rule.zone_id is not None and rule.zone_id not in zones:
            continue
        if rule.service_id is not None and rule.zone_id is not None:
            tier = SERVICE_AND_ZONE
        elif rule.zone_id is not None:
            tier = ZONE_ONLY
        elif rule.service_id is not None:
            tier = SERVICE_ONLY
        else:  # refused on creation; ignore one that slipped in
            continue
        matching.append((tier, rule.priority, rule.id, rule))
    return min(matching, key=lambda m: m[:3])[3] if matching else None


def _decision(db: Session, rule: RoutingRule | None, service: Service) -> Decision:
    if rule is not None:
        department = _own(db, rule.department) or (
            db.get(Department, rule.crew.department_id) if rule.crew.department_id else None)
        return Decision(department or triage_department(db), _own(db, rule.crew), "rule", rule)
    if service.department is not None:
        return Decision(service.department, None, "service_default")
    return Decision(triage_department(db), None, "triage")


def _own(db: Session, thing):
    """``thing`` as an object of this session (a kept rule's department or crew is not)."""
    return thing if thing is None or thing in db else settings_cache.adopt(db, thing)


def record(db: Session, request: ServiceRequest, decision: Decision,
           actor: User | None = None) -> None:
    """Store a decision on the request and write it to the timeline, with no query. A new
    request, not yet in the session, keeps the event in its timeline until it is written."""
    request.department = decision.department
    request.crew = decision.crew
    event = Event(request=request, kind="routed", public=True, actor=actor,
                  note=f"Sent to {decision.department.name}.",
                  data={"department": decision.department.code, "reason": decision.reason,
                        "rule_id": decision.rule.id if decision.rule else None,
                        "crew_id": decision.crew.id if decision.crew else None})
    if request in db:
        db.add(event)


# -- the rules themselves ------------------------------------------------------

RULE_FIELDS = ("service_code", "zone_kind", "zone_code", "department_code", "crew_name",
               "priority", "note")


def list_rules(db: Session) -> list[RoutingRule]:
    return list(db.scalars(select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id))
                .unique())


def get_rule(db: Session, rule_id: int) -> RoutingRule:
    rule = db.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("unknown_rule", f"No routing rule has id {rule_id}.")
    return rule


def create_rule(db: Session, *, service_code: str | None = None, zone_kind: str | None = None,
                zone_code: str | None = None, department_code: str | None = None,
                crew_name: str | None = None, priority: int = 100,
                note: str = "") -> RoutingRule:
    rule = RoutingRule()
    _fill(db, rule, dict(service_code=service_code, zone_kind=zone_kind, zone_code=zone_code,
                         department_code=department_code, crew_name=crew_name,
                         priority=priority, note=note))
    db.add(rule)
    db.flush()
    return rule


def update_rule(db: Session, rule_id: int, **changes) -> RoutingRule:
    """Change some fields; a field given as None is cleared (e.g. service_code=None: any)."""
    rule = get_rule(db, rule_id)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput("unknown_field", f"A rule has no field {sorted(unknown)[0]!r}.")
    current = {
        "service_code": rule.service.code if rule.service else None,
        "zone_kind": rule.zone.kind if rule.zone else None,
        "zone_code": rule.zone.code if rule.zone else None,
        "department_code": rule.department.code if rule.department else None,
        "crew_name": rule.crew.name if rule.crew else None,
        "priority": rule.priority, "note": rule.note,
    }
    _fill(db, rule, current | changes)
    db.flush()
    return rule


def delete_rule(db: Session, rule_id: int) -> None:
    db.delete(get_rule(db, rule_id))
    db.flush()


def _fill(db: Session, rule: RoutingRule, f: dict) -> None:
    service = _one(db, Service, Service.code, f["service_code"], "unknown_service", "service")
    zone = None
    if f["zone_kind"] or f["zone_code"]:
        if not (f["zone_kind"] and f["zone_code"]):
            raise InvalidInput("invalid_zone", "Name a zone by both its kind and its code.")
        zone = db.scalar(select(Zone).where(Zone.kind == f["zone_kind"],
                                            Zone.code == f["zone_code"]))
        if zone is None:
            raise InvalidInput("unknown_zone",
                               f"No {f['zone_kind']} zone has code {f['zone_code']!r}.")
    department = _one(db, Department, Department.code, f["department_code"],
                      "unknown_department", "department")
    crew = _one(db, Crew, Crew.name, f["crew_name"], "unknown_crew", "crew")
    if service is None and zone is None:
        raise InvalidInput("rule_too_broad", "A rule needs a service, a zone, or both; the "
                           "service's own department already covers everything else.")
    if department is None and crew is None:
        raise InvalidInput("rule_without_target", "A rule must name a department or a crew.")
    if department and crew and crew.department_id not in (None, department.id):
        raise InvalidInput("crew_not_in_department",
                           f"Crew {crew.name!r} does not belong to {department.name}.")
    rule.service, rule.zone, rule.department, rule.crew = service, zone, department, crew
    rule.priority, rule.note = int(f["priority"]), f["note"] or ""


def _one(db: Session, model, column, value, code: str, what: str):
    if value is None:
        return None
    found = db.scalar(select(model).where(column == value))
    if found is None:
        raise InvalidInput(code, f"No {what} is called {value!r}.")
    return found
