"""Submissions read the city's settings from memory; any change to them, by any session,
replaces their version in its own transaction, so the next submission sees it."""

from datetime import datetime

import pytest
from sqlalchemy import select, update

from backend.models import Priority, Service, SyncCounter
from backend.services import settings_cache

GRAFFITI = {"service_code": "graffiti-removal", "lat": 34.0537, "lon": -118.2427,
            "attributes": {"surface": "wall"}}


def submit(client, **changes):
    return client.post("/api/v1/requests", json={**GRAFFITI, **changes})


def stored_version(db_session) -> int | None:
    db_session.rollback()
    return db_session.scalar(select(SyncCounter.value)
                             .where(SyncCounter.name == settings_cache.VERSION_NAME))


def change_graffiti(db_session, **values) -> None:
    """Change the service from a session of its own, as another process would."""
    db_session.rollback()  # a fresh snapshot, after whatever the API committed
    service = db_session.scalar(select(Service).where(Service.code == "graffiti-removal"))
    for name, value in values.items():
        setattr(service, name, value)
    db_session.commit()


@pytest.fixture
def graffiti(db_session):
    """The graffiti service is put back as it was (the catalog is shared by the whole
    test session)."""
    service = db_session.scalar(select(Service).where(Service.code == "graffiti-removal"))
    before = {"active": service.active, "default_priority": service.default_priority,
              "sla_hours": service.sla_hours}
    yield
    change_graffiti(db_session, **before)


def test_an_edit_through_the_api_is_seen_by_the_next_report(client, auth, graffiti):
    assert submit(client).status_code == 201  # reads the settings and keeps them
    assert submit(client).status_code == 201  # from memory
    off = client.patch("/api/v1/services/graffiti-removal", json={"active": False},
                       headers=auth("admin"))
    assert off.status_code == 200, off.json
    refused = submit(client)
    assert refused.status_code == 422 and refused.json["code"] == "inactive_service"
    on = client.patch("/api/v1/services/graffiti-removal", json={"active": True},
                      headers=auth("admin"))
    assert on.status_code == 200
    assert submit(client).status_code == 201


def test_an_edit_by_another_session_and_a_bulk_update_are_seen(client, db_session, graffiti):
    assert submit(client).json["priority"] == "normal"
    kept = stored_version(db_session)
    change_graffiti(db_session, default_priority=Priority.HIGH)
    assert stored_version(db_session) != kept
    assert submit(client).json["priority"] == "high"

    db_session.rollback()  # a fresh snapshot, after the API's commit
    db_session.execute(update(Service).where(Service.code == "graffiti-removal")
                       .values(default_priority=Priority.URGENT))
    db_session.commit()
    assert submit(client).json["priority"] == "urgent"


def test_a_new_target_changes_the_next_expected_date(client, db_session, graffiti):
    first = submit(client).json
    change_graffiti(db_session, sla_hours=1)
    second = submit(client).json
    hours = (datetime.fromisoformat(second["expected_at"])
             - datetime.fromisoformat(second["created_at"])).total_seconds() / 3600
    assert first["expected_at"] != second["expected_at"] and hours == pytest.approx(1, abs=0.01)


def test_a_new_routing_rule_is_seen_by_the_next_report(client, auth):
    assert submit(client).json["agency_responsible"] != "Triage"
    added = client.post("/api/v1/routing-rules", headers=auth("admin"), json={
        "service_code": "graffiti-removal", "department_code": "triage", "priority": 1})
    assert added.status_code == 201, added.json
    assert submit(client).json["agency_responsible"] == "Triage"


def test_a_change_rolled_back_keeps_the_version_and_kept_settings_stay_usable(
        client, db_session, graffiti):
    assert submit(client).status_code == 201
    kept = stored_version(db_session)
    db_session.scalar(select(Service).where(Service.code == "graffiti-removal")).active = False
    db_session.flush()  # the version is replaced in the same transaction …
    assert db_session.scalar(select(SyncCounter.value).where(
        SyncCounter.name == settings_cache.VERSION_NAME)) != kept
    db_session.rollback()  # … and comes back with the rollback
    assert stored_version(db_session) == kept
    bad = submit(client, attributes={"surface": "ceiling"})  # fails after reading settings
    assert bad.status_code == 422 and bad.json["code"] == "invalid_attribute"
    assert submit(client).status_code == 201


def test_a_missing_version_is_stored_afresh(client, db_session):
    assert submit(client).status_code == 201
    db_session.rollback()
    db_session.execute(SyncCounter.__table__.delete())
    db_session.commit()
    assert submit(client).status_code == 201
    assert stored_version(db_session) is not None
