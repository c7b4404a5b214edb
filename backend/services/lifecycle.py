"""Which status of a service request may follow which: the one state machine.

The table is data; ``move`` is the only way a request's status changes, and it
writes the timeline event in the same transaction.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidTransition
from backend.models import Event, ServiceRequest, Status, User
from backend.models.types import utcnow
from backend.notify import outbox

S = Status
ALLOWED: dict[Status, set[Status]] = {
    S.SUBMITTED: {S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE, S.REJECTED},
    S.ACKNOWLEDGED: {S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE, S.REJECTED},
    S.IN_PROGRESS: {S.ACKNOWLEDGED, S.RESOLVED, S.DUPLICATE},
    S.RESOLVED: {S.CLOSED, S.REOPENED},
    S.REOPENED: {S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE},
    S.DUPLICATE: {S.REOPENED},
    S.REJECTED: {S.REOPENED},
    S.CLOSED: set(),
}

# The public wording of each status (Open311 only says open/closed).
STATUS_NOTES = {
    S.SUBMITTED: "Received; waiting to be reviewed.",
    S.ACKNOWLEDGED: "Reviewed and queued for the responsible team.",
    S.IN_PROGRESS: "A crew is working on it.",
    S.RESOLVED: "The problem has been fixed.",
    S.CLOSED: "Closed.",
    S.DUPLICATE: "Already reported; follow the original report.",
    S.REJECTED: "Not something the city can act on.",
    S.REOPENED: "Reopened; back in the queue.",
}

CLOSING = {S.RESOLVED, S.CLOSED, S.DUPLICATE, S.REJECTED}


def move(db: Session, request: ServiceRequest, to: Status, *, actor: User | None = None,
         note: str = "", public: bool = True) -> Event:
    to = Status(to)
    if to not in ALLOWED[request.status]:
        raise InvalidTransition(
            "invalid_transition",
            f"A {request.status.value} request cannot become {to.value}.",
            current=request.status.value, allowed=sorted(s.value for s in ALLOWED[request.status]))
    event = Event(request=request, kind="status", old_status=request.status.value,
                  new_status=to.value, note=note, public=public, actor=actor)
    db.add(event)
    request.status = to
    request.closed_at = utcnow() if to in CLOSING else None
    if to is S.RESOLVED and request.id is not None:
        resolve_duplicates(db, request, actor)
    outbox.on_status_change(db, request, event)  # followers' messages, in this transaction
    return event


def resolve_duplicates(db: Session, primary: ServiceRequest,
                       actor: User | None = None) -> list[ServiceRequest]:
    """Tell every duplicate of a resolved primary: a public event on each; status unchanged."""
    duplicates = list(db.scalars(select(ServiceRequest).where(
        ServiceRequest.duplicate_of_id == primary.id,
        ServiceRequest.status == Status.DUPLICATE).order_by(ServiceRequest.id)))
    for duplicate in duplicates:
        db.add(Event(request=duplicate, kind="primary_resolved", public=True, actor=actor,
                     note=f"The original report {primary.tracking} was resolved.",
                     data={"primary": primary.tracking}))
    return duplicates
