"""Offline crews: the delta feed of their work orders, and their queued actions applied.

The feed is read with a cursor. Without one, it starts with a snapshot of the crew's open
work orders, paged by id, after noting the change log's high-water mark; then it follows
the change log (``WorkChange``, numbered in commit order by backend.services.work_lifecycle)
from that mark. A change committed while a crew pages through is numbered above every
change it could already see, so it comes in a later page: nothing is skipped. Changes
committed during the snapshot may come twice (once in the snapshot, once from the log);
every item carries the whole current work order, so applying it twice is harmless.

Cursors: ``"<seq>"`` (follow the log after seq) or ``"s<mark>.<after id>"`` (a snapshot in
progress). They are opaque to clients.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backend.errors import DomainError, Forbidden, InvalidInput, StaleVersion
from backend.models import SyncCounter, User, WorkChange, WorkOrder, WorkStatus
from backend.services import work_orders
from backend.services.work_lifecycle import COUNTER

SNAPSHOT_STATUSES = (WorkStatus.ASSIGNED, WorkStatus.ACCEPTED, WorkStatus.IN_PROGRESS)
MAX_PAGE = 1000
MAX_BATCH = 500
_CURSOR = re.compile(r"^(?:(\d{1,18})|s(\d{1,18})\.(\d{1,18}))$")


@dataclass
class FeedItem:
    seq: int | None                 # None for snapshot items
    work_order_id: int
    work_order: WorkOrder | None    # None when removed
    removed: str | None = None      # why it left this crew: reassigned, unassigned, cancelled


@dataclass
class FeedPage:
    items: list[FeedItem]
    cursor: str
    has_more: bool


def feed(db: Session, user: User, since: str | None = None, *, limit: int = 200) -> FeedPage:
    """The next page of changes to the work orders of the user's crew."""
    if user.crew_id is None:
        raise Forbidden("no_crew", "Only crew members have a work-order feed.")
    limit = max(1, min(limit, MAX_PAGE))
    if not since:
        return _snapshot(db, user.crew_id, high_water_mark(db), 0, limit)
    match = _CURSOR.match(since)
    if not match:
        raise InvalidInput("invalid_cursor", "That sync cursor is not one this server gave.")
    if match.group(1) is not None:
        return _changes(db, user.crew_id, int(match.group(1)), limit)
    return _snapshot(db, user.crew_id, int(match.group(2)), int(match.group(3)), limit)


def high_water_mark(db: Session) -> int:
    """The highest change number committed (read before the state it describes)."""
    return db.scalar(select(SyncCounter.value).where(SyncCounter.name == COUNTER)) or 0


def _snapshot(db: Session, crew_id: int, mark: int, after_id: int, limit: int) -> FeedPage:
    rows = list(db.scalars(select(WorkOrder).where(
        WorkOrder.crew_id == crew_id, WorkOrder.status.in_(SNAPSHOT_STATUSES),
        WorkOrder.id > after_id).order_by(WorkOrder.id).limit(limit + 1)))
    items = [FeedItem(None, w.id, w) for w in rows[:limit]]
    if len(rows) > limit:
        return FeedPage(items, f"s{mark}.{items[-1].work_order_id}", True)
    more = db.scalar(select(exists().where(WorkChange.crew_id == crew_id,
                                           WorkChange.seq > mark)))
    return FeedPage(items, str(mark), bool(more))


def _changes(db: Session, crew_id: int, since: int, limit: int) -> FeedPage:
    log = db.execute(select(WorkChange.seq, WorkChange.work_order_id)
                     .where(WorkChange.crew_id == crew_id, WorkChange.seq > since)
                     .order_by(WorkChange.seq).limit(limit + 1)).all()
    has_more = len(log) > limit
    log = log[:limit]
    if not log:
        return FeedPage([], str(since), False)
    latest = {work_order_id: seq for seq, work_order_id in log}  # last change of each wins
    current = {w.id: w for w in db.scalars(select(WorkOrder).where(WorkOrder.id.in_(latest)))}
    items = [_item(seq, work_order_id, current.get(work_order_id), crew_id)
             for work_order_id, seq in sorted(latest.items(), key=lambda kv: kv[1])]
    return FeedPage(items, str(log[-1].seq), has_more)


def _item(seq: int, work_order_id: int, work_order: WorkOrder | None, crew_id: int) -> FeedItem:
    if work_order is None:
        return FeedItem(seq, work_order_id, None, "deleted")
    if work_order.status == WorkStatus.CANCELLED:
        return FeedItem(seq, work_order_id, None, "cancelled")
    if work_order.crew_id != crew_id:
        return FeedItem(seq, work_order_id, None,
                        "unassigned" if work_order.crew_id is None else "reassigned")
    return FeedItem(seq, work_order_id, work_order)


# -- queued actions ---------------------------------------------------------------

@dataclass
class Answer:
    action_id: str
    outcome: str                  # applied, already_applied, conflict, rejected
    response: dict | None = None  # the work order after the action (as first answered)
    error: DomainError | None = None


def apply_queue(db: Session, user: User, actions: list[work_orders.Action], *,
                render: Callable[[WorkOrder], dict]) -> list[Answer]:
    """Apply queued actions in order, each in its own savepoint, each answered apart:
    one refused action never blocks the ones after it."""
    if len(actions) > MAX_BATCH:
        raise InvalidInput("batch_too_large", f"Send at most {MAX_BATCH} actions at once.")
    answers = []
    for action in actions:
        try:
            done = work_orders.perform(db, user, action, render=render)
        except StaleVersion as error:
            answers.append(Answer(action.action_id, "conflict",
                                  error.details.get("work_order"), error))
        except DomainError as error:
            answers.append(Answer(action.action_id, "rejected", None, error))
        else:
            answers.append(Answer(action.action_id,
                                  "already_applied" if done.replayed else "applied",
                                  done.response))
    return answers
