"""Keys for Open311 clients: who may submit reports, and how often."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models.types import UTCDateTime, utcnow

DEFAULT_RATE_LIMIT = 600  # requests per hour


class ApiKey(Base):
    """One client application's key. Only the key's hash is stored; the prefix lets
    admins tell keys apart without seeing them."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[int] = mapped_column(Integer, default=DEFAULT_RATE_LIMIT)  # per hour
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
