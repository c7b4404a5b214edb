"""Field work: work orders, where crew members last were, the actions crews sent, and the
numbered log of work-order changes that offline crews sync from."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.catalog import Priority, Service
from backend.models.people import Crew, User
from backend.models.request import ServiceRequest
from backend.models.types import UTCDateTime, enum_column, utcnow


class WorkStatus(StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    COULD_NOT_COMPLETE = "could_not_complete"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in OPEN_WORK


OPEN_WORK = frozenset({WorkStatus.UNASSIGNED, WorkStatus.ASSIGNED, WorkStatus.ACCEPTED,
                       WorkStatus.IN_PROGRESS})
# The same set as SQL, for the partial spatial indexes and the queries that must match them
# literally (a bound parameter would hide the implication from PostgreSQL's planner).
OPEN_WORK_SQL = "status IN ('unassigned', 'assigned', 'accepted', 'in_progress')"


class WorkOrder(Base):
    """One job for a crew on one request. ``lon``/``lat`` and ``service_id`` are copied from
    the request so spatial and filtered queries never join it."""

    __tablename__ = "work_order"
    __table_args__ = (
        Index("ix_work_order_crew_id_status", "crew_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    kind: Mapped[str] = mapped_column(String(24), default="repair")  # inspect, repair …
    status: Mapped[WorkStatus] = mapped_column(enum_column(WorkStatus),
                                               default=WorkStatus.UNASSIGNED, index=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crew.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    instructions: Mapped[str] = mapped_column(Text, default="")  # from the dispatcher
    notes: Mapped[str] = mapped_column(Text, default="")         # from the crew, on closing
    reason: Mapped[str] = mapped_column(Text, default="")        # why it could not be done
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    request: Mapped[ServiceRequest] = relationship(lazy="joined", innerjoin=True)
    service: Mapped[Service] = relationship()
    crew: Mapped[Crew | None] = relationship(lazy="joined")
    worker: Mapped[User | None] = relationship()


class CrewPosition(Base):
    """The last known position of one crew member (one row each, replaced by newer pings)."""

    __tablename__ = "crew_position"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crew.id"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)   # on the device
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    crew: Mapped[Crew | None] = relationship()


class ClientAction(Base):
    """An action a client sent, under its own id, with the answer it got: a replay of the
    same id is answered from here and changes nothing."""

    __tablename__ = "client_action"
    __table_args__ = (UniqueConstraint("user_id", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    action_id: Mapped[str] = mapped_column(String(80))
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    result_version: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncCounter(Base):
    """Hands out change numbers. Incrementing the row locks it until commit, so numbers
    are handed out in commit order (see backend.services.work_lifecycle)."""

    __tablename__ = "sync_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkChange(Base):
    """One numbered change of a work order, for each crew that must hear of it (the crew
    it belongs to now, and the crew it was taken from)."""

    __tablename__ = "work_change"

    crew_id: Mapped[int] = mapped_column(ForeignKey("crew.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"))
