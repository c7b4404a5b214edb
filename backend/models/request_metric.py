"""What the management metrics read: each request's figures, once city-wide and once for
every zone it lies in.

One row per (request, scope): ``zone_id`` 0 for the whole city (every request has that
row), otherwise one of the request's zones (``request_zone``). The row copies the request's
period, filter and closing columns and adds ``close_seconds`` (creation to closing, for
requests whose work was done), and the request's work orders and reopening (first-time fix
and the reopen rate). Database triggers keep it in step with ``service_request``,
``request_zone``, ``work_order`` and ``event`` in the same transaction (migrations
``0011_request_metric`` and ``0014_request_metric_work``); no code writes it.

Why it exists: a neighbourhood breakdown over a year would otherwise join a million requests
to two million zone rows, and every median would sort its durations. Here each scope's rows
sit in three index orders that hold every column the metrics read (index-only scans): by
creation time (periods), by time to close (medians and 90th percentiles come out of the
index already sorted) and by service then time to close (per-service figures).

``metric_hour`` rolls the same rows up per scope and UTC hour (created, closed), for daily
figures; triggers on request_metric keep it (migration ``0013_metric_hour``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models.types import UTCDateTime

EVERYWHERE = 0  # the zone_id of each request's city-wide row


class RequestMetric(Base):
    __tablename__ = "request_metric"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    service_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the work was done (resolved or closed, with a closing time).
    close_seconds: Mapped[float | None] = mapped_column(Float)
    # The request's work orders not cancelled, and whether it was ever reopened (a status
    # event to "reopened"): first-time fix and the reopen rate (migration 0014).
    work_orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopened: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


_m = RequestMetric.__table__.c
_FILTERS = (_m.service_id, _m.channel)
_FIGURES = (_m.status, _m.closed_at, _m.expected_at)
_WORK = (_m.work_orders, _m.reopened)
# request_id last: requests are looked up by it, still inside the index.
Index("ix_request_metric_period", _m.zone_id, _m.created_at, *_FILTERS, *_FIGURES,
      _m.close_seconds, *_WORK, _m.request_id)
Index("ix_request_metric_close", _m.zone_id, _m.close_seconds, _m.created_at, *_FILTERS,
      *_FIGURES, *_WORK, _m.request_id)
Index("ix_request_metric_service_close", _m.zone_id, _m.service_id, _m.close_seconds,
      _m.created_at, _m.channel, *_FIGURES, *_WORK, _m.request_id)


class MetricHour(Base):
    """Per scope (``zone_id`` as in request_metric) and UTC hour: how many of the scope's
    requests were created in that hour, and how many closed in it (any closing status).
    Triggers on request_metric keep it (migration ``0013_metric_hour``); daily figures add
    up a year in a few thousand rows. Hours whose counts went back to zero stay, as zeros."""

    __tablename__ = "metric_hour"
    __table_args__ = ({"sqlite_with_rowid": False},)

    zone_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    created: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
