"""Who follows a request, and the outbox of messages owed to them.

An outbox row is written in the same transaction as the change it reports; a
sender delivers it later. The idempotency key (event, subscription) makes a
second row for the same message impossible.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.types import UTCDateTime, enum_column, utcnow


class NotifyChannel(StrEnum):
    EMAIL = "email"
    PUSH = "push"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until lease_until (added by 0008_notifications)
    SENT = "sent"
    FAILED = "failed"  # will be retried
    DEAD = "dead"      # gave up after too many failures
    CANCELLED = "cancelled"  # nobody to send to any more (unsubscribed, push expired)


class Subscription(Base):
    """A follower of one request: the reporter, or someone who said "me too"."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("request_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    channel: Mapped[NotifyChannel] = mapped_column(enum_column(NotifyChannel))
    address: Mapped[str] = mapped_column(String(600))  # email, or a push endpoint URL
    keys: Mapped[dict] = mapped_column(JSON, default=dict)  # push p256dh/auth
    language: Mapped[str] = mapped_column(String(8), default="en")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Secret in confirm/unsubscribe links, so they work without signing in.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"),
                                          index=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscription.id", ondelete="SET NULL"))
    channel: Mapped[NotifyChannel] = mapped_column(enum_column(NotifyChannel))
    template: Mapped[str] = mapped_column(String(40))  # acknowledged, scheduled, resolved …
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus),
                                                   default=DeliveryStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Added by 0008_notifications: the claim of the sender working on it, and what the
    # provider called the message (SES message id, SMTP Message-ID, push Location).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str] = mapped_column(String(300), default="", server_default="")

    subscription: Mapped[Subscription | None] = relationship()
