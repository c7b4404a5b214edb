"""The transactional outbox: which changes owe which followers a message, and the loop that
delivers what is owed.

**Queueing** happens in the transaction of the change (``queue_for_followers``, called by
``lifecycle.move`` for acknowledged/resolved/closed and by whoever sets an expected date for
"scheduled"). One row per (event, subscription), keyed ``"{event}:{subscription}"``; a row
queued twice for the same key within one transaction is dropped before it reaches the unique
constraint, so two code paths announcing the same change still give one message. Email
subscriptions get messages only once confirmed; push subscriptions are confirmed by the
browser that made them.

**Sending** (``send_pending``) never holds a database transaction open across the network:

1. *Claim*, in one short transaction and one statement: due rows (pending or failed whose
   ``next_attempt_at`` has come, or ``sending`` rows whose lease ran out) become
   ``sending`` with a lease, and their attempt count goes up. PostgreSQL picks them with
   ``FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint rows without waiting;
   SQLite serialises writers, and the single UPDATE … RETURNING is atomic.
2. *Render and send* each row, outside any transaction.
3. *Mark* it in its own short transaction: sent; failed with exponential backoff and
   jitter; dead after ``max_attempts`` claims or a permanent refusal; cancelled when there
   is nobody to send to (unsubscribed, unconfirmed, push subscription gone — which is then
   deleted).

A worker that dies after claiming leaves its rows ``sending``; when the lease ends another
worker takes them, so nothing is lost. A worker that dies after the provider accepted a
message but before marking it makes the next worker send it again with the same
Message-ID / push Topic derived from the key: delivery is at least once, and the repeat is
the same message to the receiving side.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, event, or_, select, update
from sqlalchemy.orm import Session, selectinload

from backend.models import (
    DeliveryStatus,
    Event,
    Media,
    MediaKind,
    MessageTemplate,
    Notification,
    NotifyChannel,
    ServiceRequest,
    SlaEscalation,
    Status,
    Subscription,
)
from backend.models.types import utcnow
from backend.notify import templates
from backend.notify.email import Email, EmailSender, PermanentFailure, TemporaryFailure
from backend.notify.links import Links, reopen_token
from backend.notify.push import PushMessage, PushSender, SubscriptionGone

log = logging.getLogger(__name__)

# The status changes residents hear about, and the message kind for each.
NOTIFY_ON_STATUS = {Status.ACKNOWLEDGED: "acknowledged", Status.RESOLVED: "resolved",
                    Status.CLOSED: "closed"}
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
MAX_ERROR = 500
D = DeliveryStatus


# -- queueing, in the transaction of the change --------------------------------------------

def key_for(event_id: int, subscription_id: int) -> str:
    return f"{event_id}:{subscription_id}"


def queue_for_followers(db: Session, request: ServiceRequest, event: Event,
                        template: str) -> list[Notification]:
    """One message per confirmed follower of the request about this event."""
    if request.id is None:
        return []  # not stored yet: nobody can follow it
    if event.id is None:
        db.flush()
    followers = db.scalars(select(Subscription).where(
        Subscription.request_id == request.id,
        or_(Subscription.confirmed.is_(True), Subscription.channel == NotifyChannel.PUSH))
        .order_by(Subscription.id)).all()
    rows = [Notification(idempotency_key=key_for(event.id, s.id), event_id=event.id,
                         request_id=request.id, subscription_id=s.id, channel=s.channel,
                         template=template, language=templates.language_of(s.language))
            for s in followers]
    db.add_all(rows)
    return rows


def on_status_change(db: Session, request: ServiceRequest, event: Event) -> list[Notification]:
    """Called by lifecycle.move for every status change."""
    template = NOTIFY_ON_STATUS.get(Status(event.new_status)) if event.new_status else None
    if template is None or not event.public:
        return []
    return queue_for_followers(db, request, event, template)


def queue_scheduled(db: Session, request: ServiceRequest, event: Event) -> list[Notification]:
    """Tell followers the expected date (call after setting ``request.expected_at``, with the
    event that records the change)."""
    if request.expected_at is None or not request.status.is_open:
        return []
    return queue_for_followers(db, request, event, "scheduled")


def queue_confirmation(db: Session, subscription: Subscription) -> Notification | None:
    """Ask a new email subscriber to confirm (push needs no confirmation)."""
    if subscription.channel != NotifyChannel.EMAIL or subscription.confirmed:
        return None
    # An internal timeline entry (the outbox row needs an event); never the address.
    record = Event(request_id=subscription.request_id, kind="subscribed", public=False,
                   data={"channel": subscription.channel.value})
    db.add(record)
    db.flush()
    row = Notification(idempotency_key=f"confirm:{subscription.id}", event_id=record.id,
                       request_id=subscription.request_id, subscription_id=subscription.id,
                       channel=NotifyChannel.EMAIL, template="confirm",
                       language=templates.language_of(subscription.language))
    db.add(row)
    return row


@event.listens_for(Session, "before_flush")
def _drop_requeued(session: Session, _context, _instances) -> None:
    """A second row for a key already queued (in this flush or before) is the same message."""
    new = [o for o in session.new if isinstance(o, Notification)]
    if not new:
        return
    keys = {o.idempotency_key for o in new}
    with session.no_autoflush:
        stored = set(session.scalars(select(Notification.idempotency_key)
                                     .where(Notification.idempotency_key.in_(keys))))
    seen = stored
    for row in list(new):
        if row.idempotency_key in seen:
            session.expunge(row)
        else:
            seen.add(row.idempotency_key)


# -- sending --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageSettings:
    public_base_url: str = "http://localhost:5000"
    secret_key: str = ""
    city_name: str = "Frontdoor City"
    reopen_window_days: int = 14
    max_attempts: int = 8
    timezone: str = "UTC"


@dataclass
class Senders:
    """What ``send_pending`` delivers through; a channel without a sender waits."""

    email: EmailSender | None = None
    push: PushSender | None = None
    settings: MessageSettings = field(default_factory=MessageSettings)

    def close(self) -> None:
        for sender in (self.email, self.push):
            if sender is not None:
                sender.close()


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # will be tried again
    dead: int = 0
    cancelled: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def senders_from_config(config: Mapping) -> Senders:
    """The senders the settings describe (MAIL_SENDER smtp|ses, SMTP_*, SES_*, VAPID_*)."""
    from backend.notify.email import SesSender, SmtpSender
    from backend.notify.push import WebPushSender

    mail_from = config["MAIL_FROM"]
    if config["MAIL_SENDER"] == "ses":
        email = SesSender(mail_from=mail_from, region=config["SES_REGION"],
                          configuration_set=config["SES_CONFIGURATION_SET"])
    else:
        email = SmtpSender(host=config["SMTP_HOST"], port=config["SMTP_PORT"],
                           mail_from=mail_from, username=config["SMTP_USERNAME"],
                           password=config["SMTP_PASSWORD"], starttls=config["SMTP_STARTTLS"],
                           use_ssl=config["SMTP_SSL"])
    push = WebPushSender(private_key=config["VAPID_PRIVATE_KEY"],
                         subject=config["VAPID_SUBJECT"]) if config["VAPID_PRIVATE_KEY"] else None
    return Senders(email=email, push=push, settings=settings_from_config(config))


def settings_from_config(config: Mapping) -> MessageSettings:
    return MessageSettings(public_base_url=config["PUBLIC_BASE_URL"],
                           secret_key=config["SECRET_KEY"], city_name=config["CITY_NAME"],
                           reopen_window_days=config["REOPEN_WINDOW_DAYS"],
                           max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
                           timezone=config["MESSAGE_TIMEZONE"])


def send_pending(db: Session, senders: Senders, *, now: datetime | None = None,
                 batch: int = 100, lease: timedelta = LEASE) -> SendReport:
    """Claim up to ``batch`` due messages and deliver them. Commits its own short
    transactions (claim, then one per message); holds none while talking to a provider."""
    now = now or utcnow()
    db.rollback()  # start from a clean slate: nothing of the caller's is half-done here
    channels = [c for c, s in ((NotifyChannel.EMAIL, senders.email),
                               (NotifyChannel.PUSH, senders.push)) if s is not None]
    claimed = claim(db, now=now, batch=batch, lease=lease, channels=channels)
    report = SendReport(claimed=len(claimed))
    cache: dict = {}
    for notification_id, attempts in claimed:
        outcome = _deliver(db, notification_id, attempts, senders, now, cache)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def claim(db: Session, *, now: datetime, batch: int, lease: timedelta = LEASE,
          channels: list[NotifyChannel] | None = None) -> list[tuple[int, int]]:
    """Mark up to ``batch`` due rows as ours until ``now + lease``.
    -> [(id, attempts including this one)]"""
    n = Notification
    due = or_(and_(n.status.in_([D.PENDING, D.FAILED]), n.next_attempt_at <= now),
              and_(n.status == D.SENDING, n.lease_until <= now))
    picked = select(n.id).where(due).order_by(n.next_attempt_at, n.id).limit(batch)
    if channels is not None:
        picked = picked.where(n.channel.in_(channels))
    if db.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    statement = (update(n).where(n.id.in_(picked.scalar_subquery()), due)
                 .values(status=D.SENDING, lease_until=now + lease, attempts=n.attempts + 1)
                 .returning(n.id, n.attempts).execution_options(synchronize_session=False))
    claimed = sorted(tuple(r) for r in db.execute(statement).all())
    db.commit()
    return claimed


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential (1 min, 2, 4 … capped at 6 h), with jitter so failures spread out."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return delay * (rng or random).uniform(0.5, 1.0)


def _deliver(db: Session, notification_id: int, attempts: int, senders: Senders,
             now: datetime, cache: dict) -> str:
    row = db.scalar(select(Notification).where(Notification.id == notification_id)
                    .options(selectinload(Notification.subscription))
                    .execution_options(populate_existing=True))
    if row is None or row.status != D.SENDING:
        db.rollback()
        return "cancelled"
    try:
        message = _compose(db, row, senders.settings, cache)
    except Exception as e:  # a message that cannot be written will not get better
        log.exception("outbox: cannot compose notification %s", notification_id)
        db.rollback()
        return _mark(db, notification_id, D.DEAD, error=f"compose: {e}")
    db.rollback()  # end the read transaction before talking to the provider
    if isinstance(message, str):
        return _mark(db, notification_id, D.CANCELLED, error=message)
    try:
        provider_id = _send(senders, message)
    except SubscriptionGone as e:
        _forget_push_subscription(db, message)
        return _mark(db, notification_id, D.CANCELLED, error=str(e))
    except PermanentFailure as e:
        return _mark(db, notification_id, D.DEAD, error=str(e))
    except TemporaryFailure as e:
        return _retry_later(db, notification_id, attempts, now, senders.settings.max_attempts,
                            str(e))
    except Exception as e:  # a sender bug: keep the row, retry, let the log tell
        log.exception("outbox: sender failed on notification %s", notification_id)
        return _retry_later(db, notification_id, attempts, now, senders.settings.max_attempts,
                            f"{e.__class__.__name__}: {e}")
    return _mark(db, notification_id, D.SENT, provider_id=provider_id)


def _send(senders: Senders, message: Email | PushMessage) -> str:
    if isinstance(message, Email):
        return senders.email.send(message)
    return senders.push.send(message)


def _mark(db: Session, notification_id: int, status: DeliveryStatus, *, error: str = "",
          provider_id: str = "") -> str:
    values = {"status": status, "lease_until": None, "last_error": error[:MAX_ERROR]}
    if status == D.SENT:
        values.update(sent_at=utcnow(), provider_id=provider_id[:300])
    db.execute(update(Notification).where(Notification.id == notification_id,
                                          Notification.status == D.SENDING)
               .values(**values).execution_options(synchronize_session=False))
    db.commit()
    return {D.SENT: "sent", D.DEAD: "dead", D.CANCELLED: "cancelled"}.get(status, "failed")


def _retry_later(db: Session, notification_id: int, attempts: int, now: datetime,
                 max_attempts: int, error: str) -> str:
    if attempts >= max_attempts:
        return _mark(db, notification_id, D.DEAD, error=error)
    db.execute(update(Notification).where(Notification.id == notification_id,
                                          Notification.status == D.SENDING)
               .values(status=D.FAILED, lease_until=None, last_error=error[:MAX_ERROR],
                       next_attempt_at=now + backoff(attempts))
               .execution_options(synchronize_session=False))
    db.commit()
    return "failed"


def _forget_push_subscription(db: Session, message: PushMessage) -> None:
    db.execute(delete(Subscription).where(Subscription.channel == NotifyChannel.PUSH,
                                          Subscription.address == message.endpoint))
    db.commit()


# -- composing one message ------------------------------------------------------------------

def _compose(db: Session, row: Notification, settings: MessageSettings,
             cache: dict) -> Email | PushMessage | str:
    """The message to send, or (a string) why there is nobody to send it to."""
    request = db.get(ServiceRequest, row.request_id)
    subscription = row.subscription
    if subscription is None:
        return _compose_for_staff(db, row, request, settings, cache)
    if subscription.channel == NotifyChannel.EMAIL and not subscription.confirmed \
            and row.template != "confirm":
        return "subscription not confirmed"
    if row.template == "confirm" and subscription.confirmed:
        return "already confirmed"
    language = templates.language_of(row.language)
    context = _context(db, row, request, subscription, settings, language)
    wording = _wording(db, request.service_id, language, row.template, cache)
    if subscription.channel == NotifyChannel.PUSH:
        rendered = templates.render(wording, context, language=language, footer=False)
        return PushMessage(endpoint=subscription.address, keys=dict(subscription.keys or {}),
                           key=row.idempotency_key,
                           payload={"title": rendered.subject,
                                    "body": rendered.body.split("\n\n")[0],
                                    "url": context["track_url"], "tracking": request.tracking,
                                    "kind": row.template, "lang": language})
    rendered = templates.render(wording, context, language=language)
    return Email(to=subscription.address, subject=rendered.subject, body=rendered.body,
                 key=row.idempotency_key, language=language,
                 headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})


def _compose_for_staff(db: Session, row: Notification, request: ServiceRequest,
                       settings: MessageSettings, cache: dict) -> Email | str:
    if row.template != "escalated":
        return "no recipient (unsubscribed)"
    recipient = db.scalar(select(SlaEscalation.recipient)
                          .where(SlaEscalation.event_id == row.event_id))
    if not recipient:
        return "no dispatcher address configured"
    language = templates.language_of(row.language)
    context = _context(db, row, request, None, settings, language)
    wording = _wording(db, request.service_id, language, row.template, cache)
    rendered = templates.render(wording, context, language=language, footer=False)
    return Email(to=recipient, subject=rendered.subject, body=rendered.body,
                 key=row.idempotency_key, language=language)


def _context(db: Session, row: Notification, request: ServiceRequest,
             subscription: Subscription | None, settings: MessageSettings,
             language: str) -> dict[str, str]:
    """Only public facts: never the reporter's contact, a crew, or an internal note."""
    links = Links(settings.public_base_url)
    context = {
        "city": settings.city_name, "tracking": request.tracking,
        "service": request.service.name, "address": request.address,
        "expected_date": templates.format_date(request.expected_at, language,
                                               settings.timezone),
        "track_url": links.track(request.tracking), "reopen_days":
            str(settings.reopen_window_days),
    }
    if subscription is not None:
        context["unsubscribe_url"] = links.unsubscribe(subscription.token)
        context["confirm_url"] = links.confirm(subscription.token)
    if row.template == "resolved":
        proof = db.scalar(select(Media.public_id).where(
            Media.request_id == request.id, Media.kind == MediaKind.PROOF,
            Media.hidden.is_(False)).order_by(Media.id.desc()).limit(1))
        context["photo_url"] = links.photo(proof) if proof else ""
        if subscription is not None and settings.reopen_window_days > 0:
            context["reopen_url"] = links.reopen(
                reopen_token(settings.secret_key, subscription.id, request.id))
    return context


def _wording(db: Session, service_id: int, language: str, kind: str,
             cache: dict) -> templates.Wording:
    """The service's own wording, else the city-wide one, else the built-in default."""
    key = (service_id, language, kind)
    if key not in cache:
        rows = {t.service_id: t for t in db.scalars(select(MessageTemplate).where(
            or_(MessageTemplate.service_id == service_id, MessageTemplate.service_id.is_(None)),
            MessageTemplate.language == language, MessageTemplate.kind == kind))}
        chosen = rows.get(service_id) or rows.get(None)
        cache[key] = templates.Wording(chosen.subject, chosen.body) if chosen \
            else templates.default_wording(kind, language)
    return cache[key]
