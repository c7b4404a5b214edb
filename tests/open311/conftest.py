"""Fixtures for the Open311 conformance suite: a client key, and services of every kind.

The demo catalog has only public realtime services; the standard also knows batch
(answered with a token) and blackbox (never shown), and the city may keep a service
private. Those three are added for each test module and removed after it.
"""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.models import Service, ServiceRequest
from backend.services import catalog, open311
from tests.open311.support import BASE, EXTRA_CODES, EXTRA_SERVICES, GRAFFITI, engine_of


@pytest.fixture(scope="module", autouse=True)
def services_of_every_kind(app):
    with Session(engine_of(app)) as db:
        for spec in EXTRA_SERVICES:
            if not db.scalar(select(Service.id).where(Service.code == spec["code"])):
                catalog.create_service(db, **spec)
        db.commit()
    yield
    with Session(engine_of(app)) as db:
        ids = select(Service.id).where(Service.code.in_(EXTRA_CODES))
        db.execute(delete(ServiceRequest).where(ServiceRequest.service_id.in_(ids)))
        for service in db.scalars(select(Service).where(Service.code.in_(EXTRA_CODES))):
            db.delete(service)
        db.commit()


@pytest.fixture
def api_key(app, client) -> str:
    """A fresh client key (emptied with the other per-test tables)."""
    with Session(engine_of(app)) as db:
        key, _record = open311.create_api_key(db, "conformance-suite", rate_limit=100)
        db.commit()
    return key


@pytest.fixture
def post(client, api_key):
    """post("json", service_code=…, …) → the response of an Open311 POST (form-encoded)."""
    def send(fmt: str = "json", data: dict | None = None, *, headers=None, **fields):
        body = {"api_key": api_key, **(data or {}), **fields}
        return client.post(f"{BASE}/requests.{fmt}", data=body, headers=headers or {})
    return send


@pytest.fixture
def submit(post):
    """submit(**fields) → the new request's id, from a JSON POST that must succeed."""
    def send(**fields):
        answer = post("json", {**GRAFFITI, **fields})
        assert answer.status_code == 201, answer.data
        return answer.json[0]["service_request_id"]
    return send


