"""Where requests go (routing rules) and where things are (the city's address points)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.catalog import Department, Service
from backend.models.people import Crew
from backend.models.types import UTCDateTime, utcnow
from backend.models.zone import Zone


class RoutingRule(Base):
    """(service, zone) → department and/or crew. An empty service or zone means "any".

    Which rule wins is decided in backend.services.routing (most specific first, then
    ``priority``, lowest first).
    """

    __tablename__ = "routing_rule"
    __table_args__ = (
        CheckConstraint("department_id IS NOT NULL OR crew_id IS NOT NULL", name="has_target"),
        CheckConstraint("service_id IS NOT NULL OR zone_id IS NOT NULL", name="has_condition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"),
                                                index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"))
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crew.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service | None] = relationship(lazy="joined")
    zone: Mapped[Zone | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    crew: Mapped[Crew | None] = relationship(lazy="joined")


class AddressStreet(Base):
    """One distinct street name (normalized), shared by every address on it.

    Small enough (tens of thousands in a big city) to search in memory for typos.
    """

    __tablename__ = "address_street"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # normalized, e.g. "w vanowen st"


class Address(Base):
    """An address point: what a call-taker types and what a resident reads."""

    __tablename__ = "address"
    __table_args__ = (
        Index("ix_address_street_id_number", "street_id", "number"),
        Index("ix_address_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(300))  # as written, e.g. "16815 W VANOWEN ST, 91406"
    normalized: Mapped[str] = mapped_column(String(300), unique=True)
    number: Mapped[str] = mapped_column(String(20), default="", index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("address_street.id", ondelete="CASCADE"))
    locality: Mapped[str] = mapped_column(String(100), default="")  # after the comma: zip, town
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    zone_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    street: Mapped[AddressStreet] = relationship(lazy="joined")
