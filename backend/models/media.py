"""Photos: the processed variants of one upload, and what was read from it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from backend.models.request import ServiceRequest


class MediaKind(StrEnum):
    REPORT = "report"
    PROOF = "proof"  # the after-photo that shows the fix


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id clients see and reference; never sequential.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_request.id", ondelete="SET NULL"), index=True)
    kind: Mapped[MediaKind] = mapped_column(enum_column(MediaKind), default=MediaKind.REPORT)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str] = mapped_column(String(16), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    # {"large": {"key", "width", "height"}, "display": …, "thumb": …}: what the public sees.
    variants: Mapped[dict] = mapped_column(JSON, default=dict)
    # After a redaction: the variants as uploaded, shown to staff only (None: never redacted).
    unredacted_variants: Mapped[dict | None] = mapped_column(JSON)
    # A replay of an upload with the same key returns this row (migration 0009).
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    # The storage key a direct upload arrived under; processing it twice finds this row.
    upload_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_direction: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ServiceRequest | None] = relationship(viewonly=True)

    @property
    def redacted(self) -> bool:
        return self.unredacted_variants is not None
