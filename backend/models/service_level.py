"""Service levels: working calendars, each service's target, and the escalations of overdue
requests.

A calendar's working hours, time zone and holidays are data (one row per calendar; one of
them is the city's default). A service's target is a number of working hours or business
days on a calendar, with optional per-priority overrides. A service without a row falls back
to its catalog ``sla_hours`` as working hours on the default calendar.

An escalation row is written once per overdue episode: the pair (request, expected_at) is
unique, so running the escalation again never escalates the same lateness twice, and a new
expected date (after a priority change) starts a new episode.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.catalog import Department, Service
from backend.models.request import Event, ServiceRequest
from backend.models.types import UTCDateTime, utcnow


class WorkCalendar(Base):
    __tablename__ = "work_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name
    # {"mon": [["07:00", "17:00"]], …, "sun": []}; "24:00" ends a day.
    hours: Mapped[dict] = mapped_column(JSON, default=dict)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["2026-01-01", …]
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceLevel(Base):
    __tablename__ = "service_level"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    target_value: Mapped[int] = mapped_column(Integer)
    target_unit: Mapped[str] = mapped_column(String(16), default="hours")  # or business_days
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_calendar.id", ondelete="SET NULL"))
    # {"urgent": {"value": 4, "unit": "hours", "calendar": "la-7day"}}; calendar optional.
    priority_overrides: Mapped[dict] = mapped_column(JSON, default=dict)

    service: Mapped[Service] = relationship()
    calendar: Mapped[WorkCalendar | None] = relationship()


class SlaEscalation(Base):
    """An overdue request brought to its department's dispatcher queue (the overdue flag)."""

    __tablename__ = "sla_escalation"
    __table_args__ = (UniqueConstraint("request_id", "expected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    expected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # Where the queue's message goes (DISPATCH_EMAIL with the department code filled in);
    # empty when no address is configured: the escalation then shows in the app only.
    recipient: Mapped[str] = mapped_column(String(254), default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))

    department: Mapped[Department | None] = relationship()


# What the metrics and exports filter and group by (made by migration 0007_service_levels).
Index("ix_service_request_service_created", ServiceRequest.service_id, ServiceRequest.created_at)
# On PostgreSQL the period index also carries what the counts read (index-only scans).
Index("ix_service_request_created_at", ServiceRequest.created_at,
      postgresql_include=["service_id", "channel", "status", "closed_at", "expected_at"])
Index("ix_service_request_closed_at", ServiceRequest.closed_at)
Index("ix_event_reopened", Event.request_id, sqlite_where=Event.new_status == "reopened",
      postgresql_where=Event.new_status == "reopened")
