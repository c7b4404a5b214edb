"""Followers and duplicates: "me too" (follow), merging a duplicate into its primary, and
what happens to the duplicates when the primary is resolved.

- **Follow** counts one supporter (``ServiceRequest.supporters``, raised by an SQL increment so
  concurrent follows never lose a count) and, given an email, subscribes it. The same email
  following twice counts once. Following a duplicate follows its primary. Anonymous follows
  (no email) cannot be told apart and count each time.
- **Merge** moves a request to ``duplicate`` (through lifecycle.move) pointing at the
  primary; its subscriptions move over (an address already following the primary keeps its
  old row, so its unsubscribe link still works, and is not copied twice); the primary gains
  the duplicate's supporters plus one for the duplicate's own reporter. Merging into a
  duplicate follows the chain to its primary; requests already merged into the merged one
  are re-pointed, so a chain is never longer than one link.
- **Resolving the primary** (``lifecycle.resolve_duplicates``, run by ``lifecycle.move`` on
  ``resolved``): duplicates stay ``duplicate`` (already closed to the public, "follow the
  original report"), and each gets a public "primary_resolved" event. Their followers were
  moved to the primary at merge time, so they hear of the fix through the primary.

New, unconfirmed email subscriptions are announced to every callable in ``ON_SUBSCRIBED``
(in the same transaction), which is where a confirmation message is queued.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.errors import Conflict, InvalidInput
from backend.models import (
    Event,
    NotifyChannel,
    ServiceRequest,
    Status,
    Subscription,
    User,
)
from backend.services import lifecycle

MAX_CHAIN = 20
LANGUAGES = {"en", "es"}

# Called as hook(db, subscription) for each new unconfirmed subscription.
ON_SUBSCRIBED: list[Callable[[Session, Subscription], None]] = []


@dataclass(frozen=True)
class FollowResult:
    request: ServiceRequest  # the request followed (the primary, when a duplicate was named)
    counted: bool  # False when this email already followed it
    subscription: Subscription | None


def follow(db: Session, request: ServiceRequest, *, email: str = "",
           language: str = "en") -> FollowResult:
    """A resident says "me too": one more supporter, and updates by email if given."""
    request = primary_of(request)
    if not request.status.is_open:
        raise Conflict("request_closed", "This report is closed; report the problem again if "
                                         "it is still there.", current=request.status.value)
    email = email.strip().lower()
    if language not in LANGUAGES:
        raise InvalidInput("invalid_language", f"Language must be one of {sorted(LANGUAGES)}.")
    subscription = None
    if email:
        subscription, created = subscribe(db, request, email, language)
        if not created:
            return FollowResult(request, False, subscription)
    supporters = _add_supporters(db, request, 1)
    db.add(Event(request=request, kind="supported", public=True,
                 note="Someone else reported this too.", data={"supporters": supporters}))
    return FollowResult(request, True, subscription)


def subscribe(db: Session, request: ServiceRequest, email: str,
              language: str = "en") -> tuple[Subscription, bool]:
    """Subscribe an email to a request (unconfirmed). -> (subscription, created)"""
    existing = _subscription(db, request.id, NotifyChannel.EMAIL, email)
    if existing is not None:
        return existing, False
    subscription = Subscription(request_id=request.id, channel=NotifyChannel.EMAIL,
                                address=email, language=language, confirmed=False,
                                token=secrets.token_urlsafe(32))
    try:
        with db.begin_nested():  # a concurrent follow by the same email wins the race
            db.add(subscription)
            db.flush()
    except IntegrityError:
        return _subscription(db, request.id, NotifyChannel.EMAIL, email), False
    for hook in ON_SUBSCRIBED:
        hook(db, subscription)
    return subscription, True


def merge(db: Session, duplicate: ServiceRequest, into: ServiceRequest, *,
          actor: User | None = None, note: str = "") -> ServiceRequest:
    """Make ``duplicate`` a duplicate of ``into`` (or of its primary). Returns the primary."""
    if duplicate.id == into.id:
        raise Conflict("merge_into_itself", "A report cannot be merged into itself.")
    primary = primary_of(into)
    if primary.id == duplicate.id:
        raise Conflict("merge_cycle", f"{into.tracking} is already a duplicate of "
                                      f"{duplicate.tracking}; merge the other way round.")
    if not primary.status.is_open:
        raise Conflict("primary_closed", f"{primary.tracking} is closed "
                                         f"({primary.status.value}); merge into an open report.")
    if duplicate.status == Status.DUPLICATE:
        raise Conflict("already_duplicate", f"{duplicate.tracking} is already a duplicate of "
                       f"{duplicate.duplicate_of.tracking if duplicate.duplicate_of else '?'}.")
    lifecycle.move(db, duplicate, Status.DUPLICATE, actor=actor,
                   note=note or f"Same problem as {primary.tracking}.")
    duplicate.duplicate_of = primary
    moved = _move_subscriptions(db, duplicate, primary)
    repointed = _repoint_duplicates(db, duplicate, primary, actor)
    added = duplicate.supporters + 1
    supporters = _add_supporters(db, primary, added)
    db.add(Event(request=duplicate, kind="merged", public=True, actor=actor,
                 note=f"Merged into {primary.tracking}.", data={"into": primary.tracking}))
    db.add(Event(request=primary, kind="merged", public=True, actor=actor,
                 note=f"Report {duplicate.tracking} of the same problem was merged into this one.",
                 data={"from": duplicate.tracking, "subscriptions_moved": moved,
                       "supporters_added": added, "supporters": supporters,
                       "repointed": repointed}))
    return primary


def primary_of(request: ServiceRequest) -> ServiceRequest:
    """The request a duplicate points at, following the chain; the request itself otherwise."""
    seen = {request.id}
    while request.status == Status.DUPLICATE and request.duplicate_of is not None:
        request = request.duplicate_of
        if request.id in seen or len(seen) > MAX_CHAIN:
            raise Conflict("merge_cycle", "These reports point at each other as duplicates.")
        seen.add(request.id)
    return request


def _add_supporters(db: Session, request: ServiceRequest, count: int) -> int:
    """Raise the count in SQL (no lost updates, no version bump); returns the new count."""
    new = db.execute(update(ServiceRequest).where(ServiceRequest.id == request.id)
                     .values(supporters=ServiceRequest.supporters + count)
                     .returning(ServiceRequest.supporters)
                     .execution_options(synchronize_session=False)).scalar_one()
    set_committed_value(request, "supporters", new)
    return new


def _subscription(db: Session, request_id: int, channel: NotifyChannel,
                  address: str) -> Subscription | None:
    return db.scalar(select(Subscription).where(Subscription.request_id == request_id,
                                                Subscription.channel == channel,
                                                Subscription.address == address))


def _move_subscriptions(db: Session, duplicate: ServiceRequest, primary: ServiceRequest) -> int:
    on_primary = set(db.execute(select(Subscription.channel, Subscription.address)
                                .where(Subscription.request_id == primary.id)).all())
    moved = 0
    for subscription in db.scalars(select(Subscription)
                                   .where(Subscription.request_id == duplicate.id)):
        if (subscription.channel, subscription.address) not in on_primary:
            subscription.request_id = primary.id
            on_primary.add((subscription.channel, subscription.address))
            moved += 1
    return moved


def _repoint_duplicates(db: Session, old: ServiceRequest, primary: ServiceRequest,
                        actor: User | None) -> int:
    earlier = list(db.scalars(select(ServiceRequest)
                              .where(ServiceRequest.duplicate_of_id == old.id)))
    for request in earlier:
        request.duplicate_of = primary
        db.add(Event(request=request, kind="merged", public=True, actor=actor,
                     note=f"Now follows {primary.tracking}.", data={"into": primary.tracking}))
    return len(earlier)
