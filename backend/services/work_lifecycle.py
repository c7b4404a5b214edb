"""The work-order state machine, and the numbered log of work-order changes.

``ACTIONS`` is the whole machine as data: for each action, the status it may start from and
the status it leads to. ``move`` is the only way a work order's status or crew changes; it
writes an internal (public=False) Event in the same transaction.

Every change is also numbered for the crews' sync feed (``backend.services.crew_sync``).
Why a counter row and not an autoincrement id or a timestamp: those are handed out when a
row is written, not when its transaction commits, so a reader can see change 8 while
change 7 is still uncommitted, move its cursor past 7 and never see it. Here the numbers
come from ``UPDATE sync_counter SET value = value + n RETURNING value``, run just before
commit (a ``before_commit`` hook): the row lock it takes is held until the commit, so a
second writer waits for the first to commit before it gets its numbers. Numbers are
therefore handed out in commit order, and a reader that sees change n has already been able
to see every change below n. (SQLite serialises writers anyway; on PostgreSQL this is what
makes it true.) The hook runs last, so writers queue for the counter only for the moment of
their commit, and always take it after their row locks (no lock-order deadlock).
"""

from __future__ import annotations

from sqlalchemy import event, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, InvalidTransition
from backend.models import Crew, Event, SyncCounter, User, WorkChange, WorkOrder, WorkStatus
from backend.models.types import utcnow

W = WorkStatus
OPEN_FROM = (W.UNASSIGNED, W.ASSIGNED, W.ACCEPTED, W.IN_PROGRESS)

# action -> {from status: to status}
ACTIONS: dict[str, dict[WorkStatus, WorkStatus]] = {
    "assign": {W.UNASSIGNED: W.ASSIGNED},
    "reassign": {W.ASSIGNED: W.ASSIGNED, W.ACCEPTED: W.ASSIGNED,
                 W.COULD_NOT_COMPLETE: W.ASSIGNED},
    "unassign": {W.ASSIGNED: W.UNASSIGNED, W.ACCEPTED: W.UNASSIGNED,
                 W.COULD_NOT_COMPLETE: W.UNASSIGNED},
    # From unassigned only where the service lets crews take work themselves.
    "accept": {W.ASSIGNED: W.ACCEPTED, W.UNASSIGNED: W.ACCEPTED},
    "start": {W.ASSIGNED: W.IN_PROGRESS, W.ACCEPTED: W.IN_PROGRESS},
    "complete": {W.ACCEPTED: W.COMPLETED, W.IN_PROGRESS: W.COMPLETED},
    "could_not_complete": {W.ASSIGNED: W.COULD_NOT_COMPLETE, W.ACCEPTED: W.COULD_NOT_COMPLETE,
                           W.IN_PROGRESS: W.COULD_NOT_COMPLETE},
    "cancel": {s: W.CANCELLED for s in (*OPEN_FROM, W.COULD_NOT_COMPLETE)},
}
CREW_ACTIONS = frozenset({"accept", "start", "complete", "could_not_complete"})
DISPATCH_ACTIONS = frozenset({"assign", "reassign", "unassign", "cancel"})
NEEDS_CREW = frozenset({"assign", "reassign"})
NEEDS_REASON = frozenset({"could_not_complete"})
CLOSING = frozenset({W.COMPLETED, W.COULD_NOT_COMPLETE, W.CANCELLED})

COUNTER = "work_order"
_PENDING = "work_changes"  # db.info key: [(work order, crew it had before)] not yet numbered
_MARKS = "work_change_marks"  # db.info key: {savepoint: len(pending) when it began}


def allowed(action: str, status: WorkStatus) -> bool:
    return status in ACTIONS.get(action, {})


def move(db: Session, work_order: WorkOrder, action: str, *, actor: User | None = None,
         crew: Crew | None = None, worker: User | None = None, note: str = "",
         reason: str = "") -> Event:
    """Apply ``action`` to the work order, or raise InvalidTransition/InvalidInput."""
    if action not in ACTIONS:
        raise InvalidInput("unknown_action", f"{action!r} is not a work-order action.",
                           actions=sorted(ACTIONS))
    before = WorkStatus(work_order.status)
    if before not in ACTIONS[action]:
        raise InvalidTransition(
            "invalid_transition",
            f"A work order that is {before.value.replace('_', ' ')} does not allow {action!r}.",
            current=before.value, action=action,
            allowed=sorted(a for a, moves in ACTIONS.items() if before in moves))
    if action in NEEDS_CREW and crew is None:
        raise InvalidInput("crew_required", "Say which crew gets the work order.")
    if action in NEEDS_REASON and not reason.strip():
        raise InvalidInput("reason_required", "Say why the work could not be completed.")
    old_crew_id = work_order.crew_id
    to = ACTIONS[action][before]
    _apply(work_order, action, to, crew=crew, worker=worker, note=note, reason=reason)
    data = {"action": action}
    if work_order.crew_id != old_crew_id:
        data |= {"from_crew": old_crew_id, "to_crew": work_order.crew_id}
    # Internal: the public timeline never names crews or shows their notes.
    event = Event(request_id=work_order.request_id, work_order_id=work_order.id,
                  kind="work_order", old_status=before.value, new_status=to.value,
                  note=(note or reason).strip(), public=False, actor=actor, data=data)
    db.add(event)
    note_change(db, work_order, old_crew_id)
    return event


def _apply(work_order: WorkOrder, action: str, to: WorkStatus, *, crew: Crew | None,
           worker: User | None, note: str, reason: str) -> None:
    work_order.status = to
    if action in NEEDS_CREW:
        work_order.crew, work_order.crew_id = crew, crew.id
        work_order.worker_id = worker.id if worker else None
    elif action == "unassign":
        work_order.crew, work_order.crew_id, work_order.worker_id = None, None, None
    elif action == "accept" and crew is not None:  # a crew taking unassigned work
        work_order.crew, work_order.crew_id = crew, crew.id
        work_order.worker_id = worker.id if worker else work_order.worker_id
    if action == "complete":
        work_order.notes = note.strip()
    if action == "could_not_complete":
        work_order.reason = reason.strip()
    if action in NEEDS_CREW and note.strip():
        work_order.instructions = note.strip()
    work_order.closed_at = utcnow() if to in CLOSING else None


# -- the change log ------------------------------------------------------------

def note_change(db: Session, work_order: WorkOrder, old_crew_id: int | None) -> None:
    """Remember a change, to be numbered at commit (also for work orders just created)."""
    db.info.setdefault(_PENDING, []).append((work_order, old_crew_id))


def number_changes(db: Session) -> int:
    """Give every noted change its number and log it for the crews concerned."""
    pending = db.info.pop(_PENDING, [])
    if not pending:
        return 0
    db.flush()
    last = _take_numbers(db, len(pending))
    rows = []
    for seq, (work_order, old_crew_id) in enumerate(pending, start=last - len(pending) + 1):
        for crew_id in {work_order.crew_id, old_crew_id} - {None}:
            rows.append({"crew_id": crew_id, "seq": seq, "work_order_id": work_order.id})
    if rows:
        db.execute(insert(WorkChange), rows)
    return len(pending)


def _take_numbers(db: Session, count: int) -> int:
    """Reserve ``count`` numbers; returns the highest. Holds the counter's row lock."""
    statement = (update(SyncCounter).where(SyncCounter.name == COUNTER)
                 .values(value=SyncCounter.value + count).returning(SyncCounter.value))
    last = db.execute(statement).scalar()
    if last is None:  # the row is missing (a fresh or emptied database): create it once
        try:
            with db.begin_nested():
                db.execute(insert(SyncCounter).values(name=COUNTER, value=0))
        except IntegrityError:
            pass  # another writer created it first
        last = db.execute(statement).scalar_one()
    return last


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(db: Session, transaction) -> None:
    if transaction.nested:
        db.info.setdefault(_MARKS, {})[transaction] = len(db.info.get(_PENDING, ()))


@event.listens_for(Session, "before_commit")
def _number_before_commit(db: Session) -> None:
    # Fired for savepoints too; number only at the real commit, to hold the lock briefly.
    if not db.in_nested_transaction() and db.info.get(_PENDING):
        number_changes(db)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(db: Session, transaction) -> None:
    """Changes made inside a rolled-back savepoint (or transaction) never happened."""
    mark = db.info.get(_MARKS, {}).pop(transaction, None) if transaction.nested else 0
    if mark is not None:
        del db.info.get(_PENDING, [])[mark:]
    if not transaction.nested:
        db.info.pop(_MARKS, None)
