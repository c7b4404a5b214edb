"""Importing a city's 311 export in the Los Angeles (MyLA311) format.

Bad rows never abort an import: each is counted under its reason. Rows already
imported (same srnumber) are skipped, so an import can be re-run.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.geo.zones import ZoneIndex
from backend.models import Channel, Event, RequestZone, Service, ServiceRequest, Status
from backend.services import zones
from backend.services.tracking import unused_tracking_numbers

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BATCH = 1000

STATUSES = {
    "Closed": Status.CLOSED,
    "Cancelled": Status.REJECTED,
    "Referred Out": Status.CLOSED,
    "Open": Status.SUBMITTED,
    "Pending": Status.ACKNOWLEDGED,
}


@dataclass
class ImportReport:
    imported: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason → rows

    @property
    def total(self) -> int:
        return self.imported + sum(self.skipped.values())


def service_code_for(request_type: str) -> str:
    """'Metal/Household Appliances' → 'metal-household-appliances'."""
    return re.sub(r"[^a-z0-9]+", "-", request_type.lower()).strip("-")


def import_rows(db: Session, rows: Iterable[dict], *,
                progress: Callable[[int], None] = lambda n: None) -> ImportReport:
    report = ImportReport()
    services = {s.code: s for s in db.scalars(select(Service))}
    index, _kinds = zones.zone_index(db)
    seen = set(db.scalars(select(ServiceRequest.external_id)
                          .where(ServiceRequest.external_id.is_not(None))))
    batch: list[ServiceRequest] = []
    for row in rows:
        reason = _problem(row, services, seen)
        progress(1)
        if reason:
            report.skipped[reason] += 1
            continue
        seen.add(row["srnumber"])
        batch.append(_request_from(row, services))
        if len(batch) >= BATCH:
            report.imported += _store(db, batch, index)
            batch = []
    report.imported += _store(db, batch, index)
    return report


def _problem(row: dict, services: dict, seen: set) -> str | None:
    if row.get("srnumber", "") in seen:
        return "already_imported"
    if service_code_for(row.get("requesttype", "")) not in services:
        return "unknown_type"
    if row.get("status") not in STATUSES:
        return "unknown_status"
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except (KeyError, ValueError):
        return "missing_coordinates"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return "bad_coordinates"
    created, closed = _when(row.get("createddate")), _when(row.get("closeddate"))
    if created is None:
        return "missing_created_date"
    if closed is not None and closed < created:
        return "closed_before_created"
    return None


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=LOS_ANGELES).astimezone(UTC)


def _request_from(row: dict, services: dict) -> ServiceRequest:
    status = STATUSES[row["status"]]
    created = _when(row["createddate"])
    closed = _when(row.get("closeddate")) if not status.is_open else None
    request = ServiceRequest(
        tracking="", external_id=row["srnumber"],
        service=services[service_code_for(row["requesttype"])],
        lat=float(row["latitude"]), lon=float(row["longitude"]),
        address=row.get("address", "")[:300], channel=Channel.IMPORT, status=status,
        created_at=created, updated_at=closed or created, closed_at=closed,
        attributes={}, description="")
    request.events.append(Event(kind="created", new_status=Status.SUBMITTED.value,
                                created_at=created, data={"source": row.get("requestsource")}))
    if status != Status.SUBMITTED:
        request.events.append(Event(kind="status", old_status=Status.SUBMITTED.value,
                                    new_status=status.value, created_at=closed or created))
    return request


def _store(db: Session, batch: list[ServiceRequest], index: ZoneIndex) -> int:
    if not batch:
        return 0
    for request, number in zip(batch, unused_tracking_numbers(db, len(batch)), strict=True):
        request.tracking = number
    db.add_all(batch)
    db.flush()
    found = index.zones_at_many([(r.lon, r.lat) for r in batch])
    db.add_all(RequestZone(request_id=r.id, zone_id=z)
               for r, zone_ids in zip(batch, found, strict=True) for z in zone_ids)
    db.flush()
    return len(batch)
