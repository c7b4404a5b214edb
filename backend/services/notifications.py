"""The staff side of messages: the outbox as a list with counts, sending a failed message
again, and the city's own wording of each message (per service or city-wide, per language).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from backend.errors import Conflict, NotFound
from backend.models import (
    DeliveryStatus,
    Event,
    MessageTemplate,
    Notification,
    NotifyChannel,
    Service,
    User,
)
from backend.models.types import utcnow
from backend.notify import templates
from backend.services import catalog

RETRYABLE = {DeliveryStatus.DEAD, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED}


@dataclass(frozen=True)
class OutboxPage:
    counts: dict[str, int]
    items: list[Notification]
    total: int


def outbox_page(db: Session, *, status: DeliveryStatus | None = None, limit: int = 50,
                offset: int = 0) -> OutboxPage:
    counts = {s.value: 0 for s in DeliveryStatus}
    counts.update({s.value: n for s, n in db.execute(
        select(Notification.status, func.count()).group_by(Notification.status))})
    query = select(Notification).options(selectinload(Notification.subscription))
    if status is not None:
        query = query.where(Notification.status == status)
    items = list(db.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)))
    total = counts[status.value] if status is not None else sum(counts.values())
    return OutboxPage(counts, items, total)


def retry(db: Session, notification_id: int, *, actor: User | None = None) -> Notification:
    """Send a failed, dead or cancelled message again as soon as a sender runs; the
    request's internal timeline records who asked."""
    row = db.get(Notification, notification_id)
    if row is None:
        raise NotFound("unknown_notification", f"No message has id {notification_id}.")
    if row.status not in RETRYABLE:
        raise Conflict("not_retryable", f"A {row.status.value} message cannot be retried.",
                       message_status=row.status.value)
    db.add(Event(request_id=row.request_id, kind="message_retried", public=False, actor=actor,
                 data={"notification": row.id, "template": row.template,
                       "was": row.status.value}))
    row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
    row.lease_until = None
    return row


def masked_recipient(row: Notification) -> str:
    """Enough for staff to tell messages apart, never a full address."""
    subscription = row.subscription
    if subscription is None:
        return "staff" if row.template in templates.STAFF_KINDS else "(unsubscribed)"
    if subscription.channel == NotifyChannel.PUSH:
        return "push subscription"
    local, _, domain = subscription.address.partition("@")
    return f"{local[:1]}***@{domain}"


# -- wording --------------------------------------------------------------------------------

@dataclass(frozen=True)
class EffectiveWording:
    kind: str
    language: str
    subject: str
    body: str
    source: str  # "service", "city" or "default"
    service_code: str | None


def wordings(db: Session, service_code: str | None = None) -> list[EffectiveWording]:
    """What each kind of message says, in each language, for one service (or city-wide)."""
    service = catalog.get_service(db, service_code) if service_code else None
    rows = db.scalars(select(MessageTemplate).where(
        MessageTemplate.service_id.is_(None) if service is None else
        (MessageTemplate.service_id.is_(None)) | (MessageTemplate.service_id == service.id)))
    found = {(t.service_id, t.language, t.kind): t for t in rows}
    out = []
    for kind in templates.KINDS:
        for language in templates.LANGUAGES:
            own = found.get((service.id, language, kind)) if service else None
            city = found.get((None, language, kind))
            chosen, source = (own, "service") if own else (city, "city") if city else (None,
                                                                                      "default")
            wording = chosen or templates.default_wording(kind, language)
            out.append(EffectiveWording(kind, language, wording.subject, wording.body, source,
                                        service.code if own else None))
    return out


def put_wording(db: Session, *, kind: str, language: str, subject: str, body: str,
                service_code: str | None = None, actor: User | None = None) -> MessageTemplate:
    """Create or replace the city's (or one service's) wording; checked before it is kept."""
    templates.check(kind, language, subject, body)
    service = _service(db, service_code)
    row = _stored(db, service, language, kind)
    if row is None:
        row = MessageTemplate(service_id=service.id if service else None, language=language,
                              kind=kind)
        db.add(row)
    row.subject, row.body = subject.strip(), body.strip()
    row.updated_by_id = actor.id if actor else None
    row.updated_at = utcnow()
    db.flush()
    return row


def delete_wording(db: Session, *, kind: str, language: str,
                   service_code: str | None = None) -> None:
    """Back to the city-wide (or built-in) wording."""
    row = _stored(db, _service(db, service_code), language, kind)
    if row is None:
        raise NotFound("unknown_template", "There is no edited wording for that message.")
    db.delete(row)


def _service(db: Session, service_code: str | None) -> Service | None:
    return catalog.get_service(db, service_code) if service_code else None


def _stored(db: Session, service: Service | None, language: str,
            kind: str) -> MessageTemplate | None:
    scope = MessageTemplate.service_id.is_(None) if service is None \
        else MessageTemplate.service_id == service.id
    return db.scalar(select(MessageTemplate).where(scope, MessageTemplate.language == language,
                                                   MessageTemplate.kind == kind))
