"""Shared by the Open311 tests: addresses, sample reports, and seeding requests."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import ApiKey, Status
from backend.services import reports

BASE = "/open311/v2"
CITY_HALL = {"lat": "34.0537", "long": "-118.2427"}
GRAFFITI = {"service_code": "graffiti-removal", **CITY_HALL, "attribute[surface]": "wall",
            "description": "Fresh tags on the wall by the bus stop."}
EXTRA_SERVICES = [
    {"code": "sidewalk-survey", "name": "Sidewalk Survey", "type": "batch", "group": "Streets",
     "department": "BOS", "sla_hours": 240, "description": "Checked in a weekly batch."},
    {"code": "anonymous-tip", "name": "Anonymous Tip", "type": "blackbox", "group": "General",
     "department": "ITA", "description": "Tips that get no public status."},
    {"code": "internal-inspection", "name": "Internal Inspection", "public": False,
     "group": "General", "department": "BOS", "description": "Staff-only inspections."},
]
EXTRA_CODES = [s["code"] for s in EXTRA_SERVICES]


def engine_of(app):
    return app.extensions["frontdoor.db"]["engine"]


def seed(app, *, service_code: str = "graffiti-removal", created_at: datetime | None = None,
         updated_at: datetime | None = None, status: Status | None = None,
         lat: float = 34.0537, lon: float = -118.2427, contact: dict | None = None,
         attributes: dict | None = None) -> str:
    """A request stored directly (as an import would), with the times a test needs."""
    answers = attributes if attributes is not None else (
        {"surface": "wall"} if service_code == "graffiti-removal" else {})
    with Session(engine_of(app), expire_on_commit=False) as db:
        request, _ = reports.submit_report(db, reports.Report(
            service_code=service_code, lat=lat, lon=lon, attributes=answers, contact=contact))
        db.flush()
        if status is not None:
            request.status = status
        if created_at is not None:
            request.created_at = created_at
        request.updated_at = updated_at or request.created_at
        db.commit()
        return request.tracking


def key_record(app, name: str = "conformance-suite") -> ApiKey:
    with Session(engine_of(app), expire_on_commit=False) as db:
        return db.scalar(select(ApiKey).where(ApiKey.name == name))
