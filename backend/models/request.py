"""Service requests, their private reporter contact, and their timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.catalog import Department, Priority, Service
from backend.models.media import Media
from backend.models.people import Crew, User
from backend.models.types import UTCDateTime, enum_column, utcnow


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS,
                           Status.REOPENED})


class Channel(StrEnum):
    PWA = "pwa"
    PHONE = "phone"
    OPEN311 = "open311"
    IMPORT = "import"


class LocationSource(StrEnum):
    DEVICE = "device"      # coordinates sent by the client
    PHOTO = "photo"        # taken from a photo's EXIF GPS
    ADDRESS = "address"    # only an address was given


class ServiceRequest(Base):
    __tablename__ = "service_request"
    __table_args__ = (
        Index("ix_service_request_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking: Mapped[str] = mapped_column(String(12), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    location_source: Mapped[str] = mapped_column(String(12), default=LocationSource.DEVICE)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), default=Channel.PWA)
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.SUBMITTED)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("service_request.id"),
                                                        index=True)
    # Where routing sent it (backend.services.routing); the crew is internal, never public.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crew.id"), index=True)
    # "Me too" count: follows, and reports merged into this one.
    supporters: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    external_id: Mapped[str | None] = mapped_column(String(40), unique=True)  # e.g. an LA srnumber
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    service: Mapped[Service] = relationship(lazy="joined")
    contact: Mapped[ReporterContact | None] = relationship(
        back_populates="request", cascade="all, delete-orphan", uselist=False)
    events: Mapped[list[Event]] = relationship(back_populates="request",
                                               order_by="Event.id")
    duplicate_of: Mapped[ServiceRequest | None] = relationship(remote_side=[id])
    department: Mapped[Department | None] = relationship()
    crew: Mapped[Crew | None] = relationship()
    photos: Mapped[list[Media]] = relationship(order_by="Media.id", viewonly=True)


class ReporterContact(Base):
    """Who reported: private, never in any public output (kept apart on purpose)."""

    __tablename__ = "reporter_contact"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")

    request: Mapped[ServiceRequest] = relationship(back_populates="contact")


class Event(Base):
    """Append-only: one row per change, written in the transaction that made it."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # created, status, note, photo, merged …
    old_status: Mapped[str | None] = mapped_column(String(24))
    new_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set on the events of a work order's lifecycle (added by migration 0005_work_orders).
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_order.id", ondelete="SET NULL"), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ServiceRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
