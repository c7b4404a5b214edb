"""Requests placed around downtown LA, and photos attached to them, for duplicate tests."""

import secrets

import pytest
from sqlalchemy import select

from backend.models import Media, ServiceRequest

DOWNTOWN_LAT, DOWNTOWN_LON = 34.0537, -118.2427
METRES_PER_DEGREE_LAT = 111_195


@pytest.fixture
def place(client):
    """place(metres_north, service_code="metal-household-appliances", **fields) → tracking."""
    def make(north_m: float, service_code: str = "metal-household-appliances", **fields):
        body = {"service_code": service_code, "lat": DOWNTOWN_LAT + north_m /
                METRES_PER_DEGREE_LAT, "lon": DOWNTOWN_LON, **fields}
        answer = client.post("/api/v1/requests", json=body)
        assert answer.status_code == 201, answer.json
        return answer.json["tracking"]
    return make


@pytest.fixture
def photo(db_session):
    """photo(tracking, phash) attaches a processed photo with a thumbnail; → its public id."""
    def attach(tracking: str, phash: str, *, hidden: bool = False) -> str:
        db_session.rollback()
        request = db_session.scalar(select(ServiceRequest)
                                    .where(ServiceRequest.tracking == tracking))
        public_id = secrets.token_hex(8)
        db_session.add(Media(public_id=public_id, request_id=request.id, content_hash="0" * 64,
                             phash=phash, width=800, height=600, size_bytes=1000, hidden=hidden,
                             variants={"thumb": {"key": f"{public_id}/thumb.jpg", "width": 160,
                                                 "height": 120}}))
        db_session.commit()
        return public_id
    return attach


def request_by(db_session, tracking: str) -> ServiceRequest:
    db_session.rollback()
    return db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
