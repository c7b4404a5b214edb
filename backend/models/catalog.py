"""The service catalog: what residents can report and what each report asks."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.types import enum_column


class ServiceType(StrEnum):
    REALTIME = "realtime"
    BATCH = "batch"
    BLACKBOX = "blackbox"


class Datatype(StrEnum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Service(Base):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(80), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    type: Mapped[ServiceType] = mapped_column(enum_column(ServiceType),
                                              default=ServiceType.REALTIME)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_priority: Mapped[Priority] = mapped_column(enum_column(Priority),
                                                       default=Priority.NORMAL)
    sla_hours: Mapped[int | None] = mapped_column(Integer)
    duplicate_radius_m: Mapped[int] = mapped_column(Integer, default=250)
    proof_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether crews may take unassigned work orders of this service without a dispatcher.
    crews_self_assign: Mapped[bool] = mapped_column(Boolean, default=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    department: Mapped[Department | None] = relationship()
    attributes: Mapped[list[ServiceAttribute]] = relationship(
        back_populates="service", order_by="ServiceAttribute.order",
        cascade="all, delete-orphan")


class ServiceAttribute(Base):
    """One extra question of a service (an Open311 service-definition attribute)."""

    __tablename__ = "service_attribute"
    __table_args__ = (UniqueConstraint("service_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    datatype: Mapped[Datatype] = mapped_column(enum_column(Datatype))
    description: Mapped[str] = mapped_column(Text)  # the question put to the resident
    datatype_description: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # False for informational attributes that take no input (Open311 "variable").
    variable: Mapped[bool] = mapped_column(Boolean, default=True)
    order: Mapped[int] = mapped_column(Integer, default=0)
    # [{"key": "...", "name": "..."}] for list datatypes
    values: Mapped[list[dict]] = mapped_column(JSON, default=list)

    service: Mapped[Service] = relationship(back_populates="attributes")
