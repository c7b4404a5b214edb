"""Per-cell request counts for the map at coarse zoom levels.

One row per (grid level, cell, service, status, priority): how many requests with
coordinates lie in that cell of the global web-mercator grid (``backend.geo.grid``) and the
sums of their coordinates (for the cluster's mean position). Database triggers keep it in
step with ``service_request`` in the same transaction (migration ``0003_spatial``;
``0015_map_cell_level_19`` added level 19); no code writes it. It lets a city-wide map
view read a few thousand rows instead of aggregating a million requests.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

# Grid levels kept here (map zoom = level - 2); finer views are aggregated on the fly.
MAP_CELL_LEVELS = range(10, 20)
FINEST_MAP_CELL_LEVEL = MAP_CELL_LEVELS[-1]


class MapCell(Base):
    __tablename__ = "map_cell"
    __table_args__ = (
        PrimaryKeyConstraint("level", "y", "x", "service_id", "status", "priority"),
        {"sqlite_with_rowid": False},
    )

    level: Mapped[int] = mapped_column(SmallInteger)
    y: Mapped[int] = mapped_column(Integer)
    x: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(24))
    n: Mapped[int] = mapped_column(Integer)
    sum_lon: Mapped[float] = mapped_column(Float)
    sum_lat: Mapped[float] = mapped_column(Float)
