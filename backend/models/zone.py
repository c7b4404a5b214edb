"""Named polygons (city boundary, neighbourhoods, districts) and the requests in them."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class Zone(Base):
    __tablename__ = "zone"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(60))  # the source's own id, e.g. LA's nc_id
    name: Mapped[str] = mapped_column(String(160))
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON, EPSG:4326
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)


class RequestZone(Base):
    __tablename__ = "request_zone"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
