"""Subscribing by tracking number, confirming, and the one-click unsubscribe link: no sign-in,
and no way to forge a link. No message carries another resident's contact details."""

import re

from sqlalchemy import select

from backend.models import Notification, Subscription
from backend.notify import outbox
from tests.notify.conftest import body_of, move, path_of, submit


def subscribe_email(client, tracking, address, language="en"):
    return client.post(f"/api/v1/requests/{tracking}/subscriptions",
                       json={"channel": "email", "address": address, "language": language})


def link(message, kind) -> str:
    return re.search(rf"https://311\.example\.org/api/v1/subscriptions/{kind}/\S+",
                     body_of(message)).group()


def test_subscribe_confirm_and_unsubscribe_without_signing_in(client, auth, db_session,
                                                              worker_session, senders, mailbox):
    tracking = submit(client)
    answer = subscribe_email(client, tracking, " Eve@Example.org ", "es")
    assert answer.status_code == 201
    assert answer.json == {"tracking": tracking, "channel": "email", "language": "es",
                           "confirmed": False}  # no token: only the mailbox gets it
    assert subscribe_email(client, tracking, "eve@example.org").status_code == 200
    outbox.send_pending(worker_session, senders)
    [confirm] = mailbox.to("eve@example.org")

    page = client.get(path_of(link(confirm, "confirm")), headers={"Accept": "text/html"})
    assert page.status_code == 200 and tracking.encode() in page.data
    move(client, auth, tracking, "acknowledged")
    outbox.send_pending(worker_session, senders)
    [news] = [m for m in mailbox.to("eve@example.org") if m is not confirm]
    unsubscribe = path_of(link(news, "unsubscribe"))

    shown = client.get(unsubscribe, headers={"Accept": "text/html"})
    assert shown.status_code == 200 and b'<form method="post">' in shown.data
    assert client.get(unsubscribe).json == {"tracking": tracking, "unsubscribed": False}
    done = client.post(unsubscribe, headers={"Accept": "text/html"})  # the page's empty form
    assert done.status_code == 200 and "No recibirá más mensajes".encode() in done.data
    db_session.rollback()
    assert db_session.scalars(select(Subscription)).all() == []
    gone = client.post(unsubscribe)
    assert gone.status_code == 404 and gone.json["code"] == "unknown_subscription"

    move(client, auth, tracking, "resolved")
    assert outbox.send_pending(worker_session, senders).claimed == 0
    assert len(mailbox.to("eve@example.org")) == 2


def test_links_cannot_be_forged(client, db_session, worker_session, senders, mailbox):
    tracking = submit(client, contact={"email": "fay@example.org"})
    outbox.send_pending(worker_session, senders)
    [confirm] = mailbox.to("fay@example.org")
    real = path_of(link(confirm, "confirm")).rsplit("/", 1)[1]
    flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
    for token in (flipped, real[:-5], "x" * 43, "not a token", "a" * 500):
        for path in (f"/api/v1/subscriptions/unsubscribe/{token}",
                     f"/api/v1/subscriptions/confirm/{token}"):
            answer = client.get(path)
            assert answer.status_code in (404, 400), (path, answer.status_code)
        assert client.post(f"/api/v1/subscriptions/unsubscribe/{token}").status_code in (404, 400)
        assert client.get(f"/api/v1/reopen/{token}").status_code in (404, 400)
    html = client.get(f"/api/v1/subscriptions/unsubscribe/{flipped}",
                      headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    db_session.rollback()
    assert db_session.scalar(select(Subscription)).confirmed is False
    assert client.get(f"/api/v1/requests/{tracking}").status_code == 200


def test_bad_subscriptions_are_refused(client):
    tracking = submit(client)
    for body, code in (({"channel": "email", "address": "not-an-address"}, "invalid_email"),
                       ({"channel": "email", "address": "a@b.org", "language": "fr"},
                        "invalid_input"),
                       ({"channel": "sms", "address": "555"}, "invalid_input"),
                       ({"channel": "email"}, "invalid_input")):
        answer = client.post(f"/api/v1/requests/{tracking}/subscriptions", json=body)
        assert answer.status_code == 422 and answer.json["code"] == code, body
    unknown = subscribe_email(client, "ZZZZ-ZZZZ", "a@b.org")
    assert unknown.status_code == 404 and unknown.json["code"] == "unknown_request"


def test_no_message_carries_another_residents_contact(client, auth, db_session, worker_session,
                                                      senders, mailbox, push_service):
    reporter = {"name": "Gina Reporter", "phone": "323-555-0199",
                "email": "gina@example.org", "language": "en"}
    tracking = submit(client, contact=reporter)
    subscribe_email(client, tracking, "hal@example.org", "es")
    follow = client.post(f"/api/v1/requests/{tracking}/follow",
                         json={"email": "ivy@example.org"})
    assert follow.status_code == 200, follow.json
    browser = push_service.browser("jo")
    client.post(f"/api/v1/requests/{tracking}/subscriptions",
                json={"channel": "push", "subscription": browser.subscription})
    outbox.send_pending(worker_session, senders)
    for message in list(mailbox.messages):
        client.get(path_of(link(message, "confirm")))
    for status in ("acknowledged", "resolved"):
        move(client, auth, tracking, status)
    outbox.send_pending(worker_session, senders)

    residents = {"gina@example.org", "hal@example.org", "ivy@example.org"}
    assert {m["To"] for m in mailbox.messages} == residents
    assert len(mailbox.messages) == 9  # 3 confirmations + 2 changes × 3
    for message in mailbox.messages:
        raw = message.as_string()
        for other in residents - {message["To"]}:
            assert other not in raw
        assert "Gina" not in raw and "555-0199" not in raw
    for _, _, body in push_service.received:
        text = str(browser.decrypt(body))
        assert not any(r in text for r in residents) and "Gina" not in text
    assert len(push_service.received) == 2

    page = client.get("/api/v1/outbox", headers=auth("dispatcher")).json
    assert page["counts"]["sent"] == 11 and page["counts"]["cancelled"] == 0
    shown = str(page)
    assert not any(r in shown for r in residents)
    db_session.rollback()
    assert db_session.query(Notification).count() == page["total"]
