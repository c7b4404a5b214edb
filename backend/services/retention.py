"""Forgetting residents' contact details once a request no longer needs them.

A request closed (resolved, closed, duplicate, rejected) longer ago than the retention
period loses what identifies its reporter and followers: the reporter's name, email and
phone (the language stays: it says nothing about who they are), every follower's email or
push subscription (with their unsent messages), the Open311 client's device and account
ids, and delivery errors, which quote addresses ("550 <name@example.org> unknown"). A
duplicate waits for its primary: staff working on the open primary may still call the
duplicate's reporter.

Each request anonymised gets one internal event saying what was removed (counts, never the
values). Only requests that still hold something are picked, so running it again changes
nothing, and an interrupted run resumes where it stopped. Work goes in batches, each its
own transaction (the caller commits between them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from backend.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    Event,
    Notification,
    Open311Submission,
    ReporterContact,
    ServiceRequest,
    Subscription,
)

EVENT_KIND = "contact_anonymised"
UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)
SR = ServiceRequest


@dataclass
class Anonymised:
    requests: int = 0
    contacts: int = 0
    subscriptions: int = 0
    open311_ids: int = 0

    def __add__(self, other: Anonymised) -> Anonymised:
        return Anonymised(*(getattr(self, f.name) + getattr(other, f.name)
                            for f in fields(self)))


def anonymise_closed(db: Session, *, closed_before: datetime, batch: int = 500) -> Anonymised:
    """One batch: anonymise up to ``batch`` requests closed before ``closed_before`` that
    still hold contact details. Returns what was done (``requests < batch``: the last one)."""
    ids = due_requests(db, closed_before, batch)
    if not ids:
        return Anonymised()
    contacts = set(db.scalars(select(ReporterContact.request_id).where(
        ReporterContact.request_id.in_(ids), _has_contact())))
    subscriptions = Counter(dict(db.execute(
        select(Subscription.request_id, func.count()).where(Subscription.request_id.in_(ids))
        .group_by(Subscription.request_id)).all()))
    open311 = set(db.scalars(select(Open311Submission.request_id).where(
        Open311Submission.request_id.in_(ids), _has_open311_ids())))
    _forget(db, ids)
    for request_id in ids:
        db.add(Event(request_id=request_id, kind=EVENT_KIND, public=False, data={
            "contact": request_id in contacts, "subscriptions": subscriptions[request_id],
            "open311_ids": request_id in open311}))
    db.flush()
    return Anonymised(len(ids), len(contacts), sum(subscriptions.values()), len(open311))


def due_requests(db: Session, closed_before: datetime, limit: int) -> list[int]:
    """Ids of requests past retention that still hold something to forget, locked (rows
    another transaction holds, e.g. a reopening, are left for the next run)."""
    primary = aliased(ServiceRequest)
    primary_done = exists().where(primary.id == SR.duplicate_of_id,
                                  _closed_before(primary, closed_before))
    holds_something = or_(
        exists().where(ReporterContact.request_id == SR.id, _has_contact()),
        exists().where(Subscription.request_id == SR.id),
        exists().where(Open311Submission.request_id == SR.id, _has_open311_ids()),
        exists().where(Notification.request_id == SR.id, Notification.last_error != ""))
    statement = (select(SR.id)
                 .where(_closed_before(SR, closed_before),
                        or_(SR.duplicate_of_id.is_(None), primary_done), holds_something)
                 .order_by(SR.id).limit(limit)
                 .with_for_update(of=SR, skip_locked=True))
    return list(db.scalars(statement))


def _closed_before(request, moment: datetime):
    return and_(request.closed_at.is_not(None), request.closed_at < moment,
                request.status.not_in(OPEN_STATUSES))


def _has_contact():
    return or_(ReporterContact.name != "", ReporterContact.email != "",
               ReporterContact.phone != "")


def _has_open311_ids():
    return or_(Open311Submission.device_id != "", Open311Submission.account_id != "")


def _forget(db: Session, ids: list[int]) -> None:
    followers = select(Subscription.id).where(Subscription.request_id.in_(ids))
    for statement in (
        update(ReporterContact).where(ReporterContact.request_id.in_(ids))
        .values(name="", email="", phone=""),
        update(Notification).where(Notification.subscription_id.in_(followers),
                                   Notification.status.in_(UNSENT))
        .values(status=DeliveryStatus.CANCELLED),
        update(Notification).where(Notification.request_id.in_(ids),
                                   Notification.last_error != "").values(last_error=""),
        delete(Subscription).where(Subscription.request_id.in_(ids)),
        update(Open311Submission).where(Open311Submission.request_id.in_(ids))
        .values(device_id="", account_id=""),
    ):
        # Plain SQL: nothing of these rows is loaded in the session to keep in step.
        db.execute(statement.execution_options(synchronize_session=False))
