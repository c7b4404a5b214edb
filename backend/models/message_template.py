"""Staff-edited wording of the messages sent to residents.

One row overrides the built-in default for a (service, language, kind); a row without a
service applies to every service that has no row of its own. The built-in defaults live in
backend.notify.templates.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models.catalog import Service
from backend.models.types import UTCDateTime, utcnow


class MessageTemplate(Base):
    __tablename__ = "message_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(40))  # confirm, acknowledged, scheduled …
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    service: Mapped[Service | None] = relationship()

    # NULL service means "every service"; coalesce makes that one slot unique too.
    __table_args__ = (Index("uq_message_template_scope", func.coalesce(service_id, 0),
                            "language", "kind", unique=True),)
