"""Fixtures for field-work tests: requests with work orders, and extra crew members."""

import uuid

import pytest
from sqlalchemy import select

from backend.models import Crew, Priority, Service, ServiceRequest, Status
from backend.services import accounts, work_orders
from backend.services.tracking import unused_tracking_numbers

CITY_HALL = (-118.2427, 34.0537)  # (lon, lat)


def crew_named(db, name: str) -> Crew:
    return db.scalar(select(Crew).where(Crew.name == name))


def new_request(db, *, service: str = "bulky-items", lon: float = CITY_HALL[0],
                lat: float = CITY_HALL[1], priority: Priority = Priority.NORMAL) -> ServiceRequest:
    found = db.scalar(select(Service).where(Service.code == service))
    request = ServiceRequest(tracking=unused_tracking_numbers(db, 1)[0], service=found,
                             lon=lon, lat=lat, status=Status.SUBMITTED, priority=priority,
                             attributes={})
    db.add(request)
    db.flush()
    return request


@pytest.fixture
def make_work(db_session):
    """make_work(crew="Sanitation North", service=…, lon=…, lat=…) → committed work order."""

    def make(crew: str | None = "Sanitation North", **request_fields):
        # End any read snapshot first: SQLite cannot turn a stale reader into a writer.
        db_session.rollback()
        request = new_request(db_session, **request_fields)
        work_order = work_orders.create_work_order(
            db_session, request, crew=crew_named(db_session, crew) if crew else None)
        db_session.commit()
        return work_order

    return make


@pytest.fixture
def crew_member(app, client):
    """crew_member("Sanitation North") → auth headers of a new member of that crew."""

    def make(crew: str = "Sanitation North") -> dict:
        name = f"crew-{uuid.uuid4().hex[:8]}"
        with app.app_context():
            from backend import db
            session = db.session()
            accounts.create_user(session, username=name, password="frontdoor-crew",
                                 role="crew", crew=crew)
            session.commit()
            db.close_session()
        answer = client.post("/api/v1/auth/login",
                             json={"username": name, "password": "frontdoor-crew"})
        return {"Authorization": f"Bearer {answer.json['token']}"}

    return make


def act(client, headers, work_order_id, action, version, key=None, **fields):
    """POST one action with If-Match and a fresh (or given) Idempotency-Key."""
    return client.post(f"/api/v1/workorders/{work_order_id}/actions",
                       json={"action": action, **fields},
                       headers={**headers, "If-Match": f'"{version}"',
                                "Idempotency-Key": key or f"k-{uuid.uuid4().hex}"})
