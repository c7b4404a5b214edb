"""Residents following a request's news: by email (confirmed by a link) or Web Push (from the
PWA), leaving with one click, and saying "it is not fixed" from the resolved message.

No sign-in anywhere: the subscription's random token (in its confirm and unsubscribe links)
or the signed reopen token is the proof. An unknown or altered token is simply not found.

Reporters who give an email with their report are subscribed to it (unconfirmed, like anyone
else: an address typed into a form is not yet proof that its owner wants mail). A new email
subscription queues its confirmation message in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import Event, NotifyChannel, ServiceRequest, Status, Subscription
from backend.models.types import utcnow
from backend.notify import outbox
from backend.notify.links import read_reopen_token
from backend.services import followers, lifecycle

EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_EMAIL = 254
MAX_ENDPOINT = 600

if outbox.queue_confirmation not in followers.ON_SUBSCRIBED:
    followers.ON_SUBSCRIBED.append(outbox.queue_confirmation)


def subscribe_email(db: Session, request: ServiceRequest, email: str,
                    language: str = "en") -> tuple[Subscription, bool]:
    """Follow a request by email; a confirmation message is queued for a new address."""
    email = email.strip().lower()
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise InvalidInput("invalid_email", "That does not look like an email address.")
    _check_language(language)
    return followers.subscribe(db, followers.primary_of(request), email, language)


def subscribe_push(db: Session, request: ServiceRequest, push: dict, language: str = "en", *,
                   allow_http: bool = False) -> tuple[Subscription, bool]:
    """Follow a request by Web Push with the browser's PushSubscription (endpoint + keys).
    The same endpoint again updates its keys and language."""
    _check_language(language)
    endpoint, keys = _valid_push(push, allow_http)
    request = followers.primary_of(request)
    existing = _push_subscription(db, request.id, endpoint)
    if existing is not None:
        existing.keys, existing.language = keys, language
        return existing, False
    subscription = Subscription(request_id=request.id, channel=NotifyChannel.PUSH,
                                address=endpoint, keys=keys, language=language,
                                confirmed=True, token=secrets.token_urlsafe(32))
    try:
        with db.begin_nested():
            db.add(subscription)
            db.flush()
    except IntegrityError:
        return _push_subscription(db, request.id, endpoint), False
    db.add(Event(request_id=request.id, kind="subscribed", public=False,
                 data={"channel": NotifyChannel.PUSH.value}))
    return subscription, True


def subscribe_reporter(db: Session, request: ServiceRequest) -> Subscription | None:
    """The reporter's email, if they gave a usable one, follows their report."""
    contact = request.contact
    email = (contact.email if contact else "").strip().lower()
    if not email or len(email) > MAX_EMAIL or not EMAIL.match(email):
        return None
    language = contact.language if contact.language in followers.LANGUAGES else "en"
    return followers.subscribe(db, request, email, language)[0]


def by_token(db: Session, token: str) -> Subscription:
    found = TOKEN.match(token or "") and db.scalar(
        select(Subscription).where(Subscription.token == token))
    if not found:
        raise NotFound("unknown_subscription",
                       "This link is not valid, or the subscription has already ended.")
    return found


def confirm(db: Session, token: str) -> Subscription:
    subscription = by_token(db, token)
    if not subscription.confirmed:
        subscription.confirmed = True
        db.add(Event(request_id=subscription.request_id, kind="subscription_confirmed",
                     public=False, data={"channel": subscription.channel.value}))
    return subscription


def unsubscribe(db: Session, token: str) -> ServiceRequest:
    """End the subscription; returns the request it followed."""
    subscription = by_token(db, token)
    request = db.get(ServiceRequest, subscription.request_id)
    db.add(Event(request_id=subscription.request_id, kind="unsubscribed", public=False,
                 data={"channel": subscription.channel.value}))
    db.delete(subscription)
    db.flush()
    return request


@dataclass(frozen=True)
class ReopenOffer:
    request: ServiceRequest
    allowed: bool
    reason: str  # "" when allowed, else a machine code
    deadline: datetime | None


def reopen_offer(db: Session, token: str, *, secret: str, window_days: int,
                 now: datetime | None = None) -> ReopenOffer:
    """May the holder of this "was it fixed?" link still reopen the request?"""
    request, _ = _reopen_target(db, token, secret)
    now = now or utcnow()
    deadline = (request.closed_at + timedelta(days=window_days)) if request.closed_at else None
    if request.status != Status.RESOLVED:
        return ReopenOffer(request, False, "not_resolved", deadline)
    if deadline is None or now > deadline:
        return ReopenOffer(request, False, "reopen_window_closed", deadline)
    return ReopenOffer(request, True, "", deadline)


def reopen(db: Session, token: str, *, secret: str, window_days: int, note: str = "",
           now: datetime | None = None) -> ServiceRequest:
    """The resident says it is not fixed: back to the queue, with a public timeline entry."""
    offer = reopen_offer(db, token, secret=secret, window_days=window_days, now=now)
    if not offer.allowed:
        messages = {"not_resolved": "This report is not waiting for confirmation of a fix "
                                    "any more.",
                    "reopen_window_closed": f"Reports can be reopened within {window_days} "
                                            "days of the fix; please report it again."}
        raise Conflict(offer.reason, messages[offer.reason],
                       request_status=offer.request.status.value,
                       tracking=offer.request.tracking)
    _, subscription_id = _reopen_target(db, token, secret)
    note = " ".join(note.split())[:500]
    event = lifecycle.move(db, offer.request, Status.REOPENED,
                           note=note or "The resident says the problem is not fixed.")
    event.data = {"by": "resident", "subscription": subscription_id}
    return offer.request


def _reopen_target(db: Session, token: str, secret: str) -> tuple[ServiceRequest, int]:
    ids = read_reopen_token(secret, token) if len(token or "") <= 200 else None
    request = db.get(ServiceRequest, ids[1]) if ids else None
    if request is None:
        raise NotFound("unknown_link", "This link is not valid.")
    return request, ids[0]


def _push_subscription(db: Session, request_id: int, endpoint: str) -> Subscription | None:
    return db.scalar(select(Subscription).where(Subscription.request_id == request_id,
                                                Subscription.channel == NotifyChannel.PUSH,
                                                Subscription.address == endpoint))


def _check_language(language: str) -> None:
    if language not in followers.LANGUAGES:
        raise InvalidInput("invalid_language",
                           f"Language must be one of {sorted(followers.LANGUAGES)}.")


def _valid_push(push: dict, allow_http: bool) -> tuple[str, dict]:
    endpoint = str(push.get("endpoint") or "")
    parts = urlsplit(endpoint)
    schemes = {"https", "http"} if allow_http else {"https"}
    if len(endpoint) > MAX_ENDPOINT or parts.scheme not in schemes or not parts.hostname:
        raise InvalidInput("invalid_push_subscription",
                           "The push endpoint must be an https URL from the browser.")
    keys = push.get("keys") if isinstance(push.get("keys"), dict) else {}
    p256dh, auth = _b64(keys.get("p256dh")), _b64(keys.get("auth"))
    if p256dh is None or len(p256dh) != 65 or p256dh[0] != 4 or auth is None \
            or len(auth) != 16:
        raise InvalidInput("invalid_push_subscription",
                           "The push subscription's keys (p256dh, auth) are missing or wrong.")
    return endpoint, {"p256dh": keys["p256dh"], "auth": keys["auth"]}


def _b64(value) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
