"""Requests placed where a test wants them, straight into the table (the triggers keep the
spatial indexes), and emptied again after each test by the shared ``client`` fixture."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from backend.models import Priority, Service, ServiceRequest, Status

DOWNTOWN = (-118.2427, 34.0537)  # (lon, lat)
_numbers = itertools.count(1)


@pytest.fixture
def db(client, db_session):
    """A session on a database that is emptied of requests after the test."""
    yield db_session
    db_session.rollback()


@pytest.fixture
def services(db):
    return {s.code: s.id for s in db.scalars(select(Service))}


def add_requests(db, rows) -> list[int]:
    """rows: dicts with lon, lat and optionally service_id, status, priority, created_at.
    Returns the new ids in order."""
    now = datetime.now(UTC)
    default_service = db.scalar(select(Service.id).order_by(Service.id).limit(1))
    values = []
    for row in rows:
        number = next(_numbers)
        created = row.get("created_at", now)
        values.append({
            "tracking": f"T{number:07d}"[-9:], "service_id": row.get("service_id",
                                                                      default_service),
            "description": "", "lat": row["lat"], "lon": row["lon"], "address": "",
            "location_source": "device", "attributes": {}, "channel": "pwa",
            "status": row.get("status", Status.SUBMITTED),
            "priority": row.get("priority", Priority.NORMAL),
            "created_at": created, "updated_at": created, "version": 1,
        })
    ids = list(db.scalars(insert(ServiceRequest).returning(ServiceRequest.id,
                                                            sort_by_parameter_order=True),
                          values))
    db.commit()
    return ids


@pytest.fixture
def place(db):
    """place([{"lon": .., "lat": .., ...}, ...]) → new request ids."""
    return lambda rows: add_requests(db, rows)


@pytest.fixture
def days_ago():
    return lambda days: datetime.now(UTC) - timedelta(days=days)
