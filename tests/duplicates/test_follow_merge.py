"""'Me too' (follow), merging duplicates, and resolving a primary with duplicates."""

import pytest
from sqlalchemy import func, select

from backend.models import Event, NotifyChannel, Status, Subscription
from backend.services import followers
from tests.duplicates.conftest import request_by


def follow(client, tracking, **body):
    return client.post(f"/api/v1/requests/{tracking}/follow", json=body)


def merge(client, auth, tracking, into, who="dispatcher"):
    return client.post(f"/api/v1/requests/{tracking}/merge", json={"into": into},
                       headers=auth(who))


def subscribers(db_session, tracking):
    request = request_by(db_session, tracking)
    return sorted(db_session.scalars(select(Subscription.address)
                                     .where(Subscription.request_id == request.id)))


def kinds(db_session, tracking):
    request = request_by(db_session, tracking)
    return [e.kind for e in db_session.scalars(select(Event).where(Event.request_id == request.id)
                                               .order_by(Event.id))]


def test_follow_counts_once_per_email(client, db_session, place):
    tracking = place(0)
    seen = []
    def spy(db, subscription):
        seen.append(subscription.address)

    followers.ON_SUBSCRIBED.append(spy)
    try:
        first = follow(client, tracking, email="Ana@Example.org", language="es")
        again = follow(client, tracking, email="ANA@example.ORG")
        anonymous = follow(client, tracking)
    finally:
        followers.ON_SUBSCRIBED.remove(spy)  # the confirmation hook stays
    assert first.status_code == 200, first.json
    assert first.json == {"tracking": tracking, "supporters": 1, "counted": True,
                          "subscribed": True, "confirmed": False}
    assert again.json["counted"] is False and again.json["supporters"] == 1
    assert anonymous.json["counted"] is True and anonymous.json["supporters"] == 2
    assert seen == ["ana@example.org"]
    assert subscribers(db_session, tracking) == ["ana@example.org"]
    sub = db_session.scalar(select(Subscription))
    assert (sub.channel, sub.language, sub.confirmed) == (NotifyChannel.EMAIL, "es", False)
    public = client.get(f"/api/v1/requests/{tracking}").json
    assert public["supporters"] == 2
    assert [e["kind"] for e in public["timeline"]].count("supported") == 2
    assert "example.org" not in str(public)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"email": "not-an-email"}, 422, "invalid_input"),
    ({"language": "fr"}, 422, "invalid_input"),
    ({"email": "a@b.org", "extra": 1}, 422, "invalid_input"),
])
def test_follow_bad_input(client, place, body, status, code):
    answer = follow(client, place(0), **body)
    assert answer.status_code == status and answer.json["code"] == code, answer.json


def test_follow_unknown_closed_and_duplicate(client, auth, place, db_session):
    assert follow(client, "ZZZZ-ZZZZ").json["code"] == "unknown_request"
    assert follow(client, "x" * 500).status_code == 404
    closed = place(0)
    client.post(f"/api/v1/requests/{closed}/status", json={"status": "rejected"},
                headers=auth("dispatcher"))
    answer = follow(client, closed)
    assert answer.status_code == 409 and answer.json["code"] == "request_closed"
    primary, duplicate = place(0), place(5)
    assert merge(client, auth, duplicate, primary).status_code == 200
    answer = follow(client, duplicate, email="b@example.org")
    assert answer.json["tracking"] == primary and answer.json["supporters"] == 2
    assert subscribers(db_session, primary) == ["b@example.org"]


def test_merge_moves_followers_and_supporters(client, auth, place, db_session):
    primary, duplicate = place(0), place(10)
    follow(client, primary, email="both@example.org")
    follow(client, duplicate, email="both@example.org")
    follow(client, duplicate, email="only-dup@example.org")
    follow(client, duplicate)
    answer = merge(client, auth, duplicate, primary)
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "duplicate" and answer.json["duplicate_of"] == primary
    assert answer.json["public_status"] == "closed"
    assert subscribers(db_session, primary) == ["both@example.org", "only-dup@example.org"]
    assert subscribers(db_session, duplicate) == ["both@example.org"]  # its link still works
    # primary: 1 own follow + the duplicate's 3 + 1 for the duplicate's own reporter
    assert client.get(f"/api/v1/requests/{primary}").json["supporters"] == 5
    assert kinds(db_session, duplicate)[-2:] == ["status", "merged"]
    assert kinds(db_session, primary)[-1] == "merged"


def test_merge_rules(client, auth, place, db_session):
    a, b, c, d = place(0), place(1), place(2), place(3)
    assert merge(client, auth, a, b, who="crew").status_code == 403
    assert client.post(f"/api/v1/requests/{a}/merge", json={"into": b}).status_code == 401
    assert merge(client, auth, a, a).json["code"] == "merge_into_itself"
    assert merge(client, auth, a, "NOPE-NOPE").json["code"] == "unknown_request"
    assert merge(client, auth, "NOPE-NOPE", a).status_code == 404
    bad = client.post(f"/api/v1/requests/{a}/merge", json={}, headers=auth("dispatcher"))
    assert bad.status_code == 422

    client.post(f"/api/v1/requests/{d}/status", json={"status": "rejected"},
                headers=auth("dispatcher"))
    answer = merge(client, auth, a, d)
    assert answer.status_code == 409 and answer.json["code"] == "primary_closed"
    answer = merge(client, auth, d, a)  # a rejected request cannot become a duplicate
    assert answer.status_code == 409 and answer.json["code"] == "invalid_transition"

    assert merge(client, auth, b, a).status_code == 200  # b → a
    assert merge(client, auth, b, c).json["code"] == "already_duplicate"
    assert merge(client, auth, a, b).json["code"] == "merge_cycle"  # b already points at a
    assert merge(client, auth, c, b).json["duplicate_of"] == a  # into a duplicate: its primary
    # a (primary of b and c) joins a new primary e: b and c follow along, no chains.
    e = place(4)
    assert merge(client, auth, a, e).status_code == 200
    for tracking in (a, b, c):
        assert request_by(db_session, tracking).duplicate_of.tracking == e
    assert request_by(db_session, e).supporters == 3


def test_resolving_the_primary_resolves_its_duplicates(client, auth, place, db_session):
    primary, one, two, unrelated = place(0), place(1), place(2), place(3)
    follow(client, one, email="c@example.org")
    merge(client, auth, one, primary)
    merge(client, auth, two, primary)
    answer = client.post(f"/api/v1/requests/{primary}/status", json={"status": "resolved"},
                         headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    for tracking in (one, two):
        view = client.get(f"/api/v1/requests/{tracking}").json
        assert view["status"] == "duplicate"  # stays a duplicate, closed to the public
        assert view["timeline"][-1]["kind"] == "primary_resolved"
        assert primary in view["timeline"][-1]["note"]
    assert "primary_resolved" not in kinds(db_session, unrelated)
    # Followers of a duplicate hear of it through the primary.
    assert subscribers(db_session, primary) == ["c@example.org"]
    assert request_by(db_session, one).status == Status.DUPLICATE
    count = db_session.scalar(select(func.count(Event.id)).where(Event.kind == "primary_resolved"))
    assert count == 2
