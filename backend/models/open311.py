"""What an Open311 submission carried beyond the report itself.

Kept beside the request: the key that sent it, the batch token that resolves to it,
the client's media URL and address id, and the client's private identifiers
(device and account ids), which no public output ever shows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.apikey import ApiKey
from backend.models.request import ServiceRequest
from backend.models.types import UTCDateTime, utcnow


class Open311Submission(Base):
    __tablename__ = "open311_submission"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL"), index=True)
    # Handed out instead of an id for services of type "batch".
    token: Mapped[str | None] = mapped_column(String(40), unique=True)
    media_url: Mapped[str] = mapped_column(String(500), default="")
    address_id: Mapped[str] = mapped_column(String(80), default="")
    device_id: Mapped[str] = mapped_column(String(120), default="")   # private
    account_id: Mapped[str] = mapped_column(String(120), default="")  # private
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ServiceRequest] = relationship()
    api_key: Mapped[ApiKey | None] = relationship()
