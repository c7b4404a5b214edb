"""Retention: `flask privacy anonymise-contacts` forgets reporters' and followers' contact
details on requests closed longer ago than the retention period, and nothing else."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.models import (
    DeliveryStatus,
    Event,
    Notification,
    Open311Submission,
    ReporterContact,
    ServiceRequest,
    Status,
    Subscription,
)
from backend.models.types import utcnow
from backend.services import followers, lifecycle, open311, reports, subscriptions
from backend.services.retention import EVENT_KIND

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
RETENTION_DAYS = 30


def report(db, *, contact: bool = True, channel_details: open311.ClientDetails | None = None
           ) -> ServiceRequest:
    marker = uuid.uuid4().hex[:8]
    given = {"name": f"Rita {marker}", "email": f"rita-{marker}@example.org",
             "phone": "+1 213 555 0142", "language": "es"} if contact else None
    body = reports.Report(service_code="metal-household-appliances", contact=given,
                          description="An old fridge on the kerb.", **CITY_HALL)
    if channel_details is None:
        made, _ = reports.submit_report(db, body)
        return made
    _, api_key = open311.create_api_key(db, f"retention-{marker}")
    return open311.submit(db, body, channel_details, api_key).request


def closed_days_ago(db, request: ServiceRequest, days: float,
                    status: Status = Status.RESOLVED) -> ServiceRequest:
    if request.status != status:
        lifecycle.move(db, request, status)
    db.flush()
    db.execute(update(ServiceRequest).where(ServiceRequest.id == request.id)
               .values(closed_at=utcnow() - timedelta(days=days)))
    return request


def anonymise(app, *args: str):
    return app.test_cli_runner().invoke(args=["privacy", "anonymise-contacts", *args])


def contact_of(db, request_id: int) -> ReporterContact:
    return db.scalar(select(ReporterContact).where(ReporterContact.request_id == request_id))


def events_of(db, request_id: int) -> list[Event]:
    return list(db.scalars(select(Event).where(Event.request_id == request_id,
                                               Event.kind == EVENT_KIND)))


@pytest.fixture
def city(db_session, client):
    """Requests in every situation the command must tell apart (committed)."""
    db = db_session
    old = closed_days_ago(db, report(db), 200)
    subscriptions.subscribe_email(db, old, "neighbour@example.org")
    failed = db.scalar(select(Notification).where(Notification.request_id == old.id)
                       .order_by(Notification.id))
    failed.status, failed.last_error = (DeliveryStatus.FAILED,
                                        "550 <neighbour@example.org> mailbox unavailable")
    anonymous = closed_days_ago(db, report(db, contact=False), 200)
    recent = closed_days_ago(db, report(db), RETENTION_DAYS - 5)
    still_open = report(db)
    db.execute(update(ServiceRequest).where(ServiceRequest.id == still_open.id)
               .values(created_at=utcnow() - timedelta(days=400)))
    open_primary, waiting_duplicate = report(db), report(db)
    followers.merge(db, waiting_duplicate, open_primary)
    closed_days_ago(db, waiting_duplicate, 200, Status.DUPLICATE)
    done_primary, done_duplicate = report(db), report(db)
    followers.merge(db, done_duplicate, done_primary)
    closed_days_ago(db, done_duplicate, 200, Status.DUPLICATE)
    closed_days_ago(db, done_primary, 150)
    from_app = closed_days_ago(db, report(db, channel_details=open311.ClientDetails(
        device_id="device-5d41", account_id="account-7788")), 200, Status.REJECTED)
    db.commit()
    return {"old": old, "anonymous": anonymous, "recent": recent, "still_open": still_open,
            "open_primary": open_primary, "waiting_duplicate": waiting_duplicate,
            "done_primary": done_primary, "done_duplicate": done_duplicate,
            "from_app": from_app}


def test_contacts_of_requests_closed_before_the_period_are_forgotten(app, city, db_session):
    result = anonymise(app, "--days", str(RETENTION_DAYS), "--batch", "2")
    assert result.exit_code == 0, result.output
    db = db_session
    db.expire_all()
    gone = ("old", "done_primary", "done_duplicate", "from_app")
    assert result.output.startswith(f"{len(gone)} requests closed over {RETENTION_DAYS} days")
    for name in gone:
        contact = contact_of(db, city[name].id)
        assert (contact.name, contact.email, contact.phone) == ("", "", ""), name
        assert contact.language == "es"  # says nothing about who they were
        assert db.scalars(select(Subscription).where(
            Subscription.request_id == city[name].id)).all() == [], name
        [event] = events_of(db, city[name].id)
        assert not event.public and event.actor_id is None
        assert event.data["contact"] is True
    assert events_of(db, city["old"].id)[0].data["subscriptions"] == 2  # reporter, neighbour
    submission = db.get(Open311Submission, city["from_app"].id)
    assert (submission.device_id, submission.account_id) == ("", "")
    assert events_of(db, city["from_app"].id)[0].data["open311_ids"] is True
    for name in ("recent", "still_open", "open_primary", "waiting_duplicate"):
        contact = contact_of(db, city[name].id)
        assert contact.email and contact.name and contact.phone, name
        assert events_of(db, city[name].id) == [], name
    # A report that never had contact details has nothing to forget: no event.
    assert events_of(db, city["anonymous"].id) == []


def test_unsent_messages_are_cancelled_and_errors_quoting_addresses_cleared(
        app, city, db_session):
    assert anonymise(app, "--days", str(RETENTION_DAYS)).exit_code == 0
    db_session.expire_all()
    rows = db_session.scalars(select(Notification).where(
        Notification.request_id == city["old"].id)).all()
    assert rows and all(r.status in (DeliveryStatus.CANCELLED, DeliveryStatus.SENT) for r in rows)
    assert all(r.last_error == "" for r in rows)
    assert all("@" not in str(e.data) for e in events_of(db_session, city["old"].id))


def test_running_it_again_changes_nothing(app, city, db_session):
    assert anonymise(app, "--days", str(RETENTION_DAYS)).exit_code == 0
    count = len(db_session.scalars(select(Event).where(Event.kind == EVENT_KIND)).all())
    again = anonymise(app, "--days", str(RETENTION_DAYS))
    assert again.exit_code == 0 and again.output.startswith("0 requests")
    assert len(db_session.scalars(select(Event).where(Event.kind == EVENT_KIND)).all()) == count


def test_the_configured_period_is_the_default(app, city, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "CONTACT_RETENTION_DAYS", 180)
    result = anonymise(app)
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    # Closed 200 days ago: forgotten. The primary closed 150 days ago keeps its duplicate's.
    assert contact_of(db_session, city["old"].id).email == ""
    assert contact_of(db_session, city["done_primary"].id).email
    assert contact_of(db_session, city["done_duplicate"].id).email


def test_a_period_shorter_than_the_reopen_window_is_refused(app, city, db_session):
    result = anonymise(app, "--days", "3")
    assert result.exit_code != 0 and "REOPEN_WINDOW_DAYS" in result.output
    db_session.expire_all()
    assert contact_of(db_session, city["old"].id).email
    assert db_session.scalars(select(Event).where(Event.kind == EVENT_KIND)).all() == []


def test_an_anonymised_request_still_shows_publicly_without_the_event(app, city, client):
    assert anonymise(app, "--days", str(RETENTION_DAYS)).exit_code == 0
    answer = client.get(f"/api/v1/requests/{city['old'].tracking}")
    assert answer.status_code == 200
    assert EVENT_KIND not in {e["kind"] for e in answer.json["timeline"]}
