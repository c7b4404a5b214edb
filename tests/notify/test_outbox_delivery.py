"""The outbox's promises, against the real SMTP server: a crash never loses a message and
never makes two different ones; failures are retried with backoff and end dead; concurrent
workers send each message once."""

import re
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from backend.models import Notification, ServiceRequest, Status, Subscription
from backend.models.types import utcnow
from backend.notify import outbox
from backend.services import lifecycle, work_orders
from tests.notify.conftest import bulk_requests, notifications

TRACKING = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")


class WorkerCrash(BaseException):
    """Stands for the worker process dying: nothing after it runs, nothing is marked."""


class CrashAfterDelivery:
    """Delivers through the real sender, then dies before the outbox can mark the row."""

    def __init__(self, sender):
        self.sender = sender

    def send(self, email):
        self.sender.send(email)
        raise WorkerCrash

    def close(self):
        self.sender.close()


def queued_acknowledgements(db, count=1):
    requests = bulk_requests(db, count)
    for request in requests:
        lifecycle.move(db, request, Status.ACKNOWLEDGED)
    db.commit()
    return requests


def test_crash_after_commit_before_send_sends_once_after_restart(db_session, worker_session,
                                                                 senders, mailbox):
    queued_acknowledgements(db_session)
    now = utcnow()
    claimed = outbox.claim(worker_session, now=now, batch=10)  # …and the worker dies here
    assert len(claimed) == 1
    assert outbox.send_pending(worker_session, senders, now=now).claimed == 0  # leased
    later = now + outbox.LEASE + timedelta(seconds=1)
    report = outbox.send_pending(worker_session, senders, now=later)
    assert (report.claimed, report.sent) == (1, 1)
    assert len(mailbox.transactions) == 1
    assert outbox.send_pending(worker_session, senders, now=later + outbox.LEASE * 2).claimed == 0
    [row] = notifications(db_session)
    assert row.status == "sent" and row.attempts == 2


def test_crash_between_send_and_mark_is_the_same_message_after_restart(
        db_session, worker_session, senders, mailbox):
    [request] = queued_acknowledgements(db_session)
    now = utcnow()
    crashing = outbox.Senders(email=CrashAfterDelivery(senders.email), settings=senders.settings)
    try:
        outbox.send_pending(worker_session, crashing, now=now)
    except WorkerCrash:
        worker_session.rollback()
    else:
        raise AssertionError("the worker should have died")
    [row] = notifications(db_session)
    assert row.status == "sending"  # delivered, not marked
    assert len(mailbox.transactions) == 1

    # While the lease lasts no other worker sends it again.
    assert outbox.send_pending(worker_session, senders, now=now + timedelta(minutes=1)).claimed \
        == 0
    report = outbox.send_pending(worker_session, senders, now=now + outbox.LEASE * 2)
    assert report.sent == 1
    # The provider was handed the message twice (at-least-once), as the very same message:
    # same Message-ID, so the mailbox keeps one.
    first, second = (m for _, m in mailbox.transactions)
    assert first["Message-ID"] == second["Message-ID"] == \
        f"{outbox_message_id(row.idempotency_key)}"
    assert len(mailbox.messages) == 1 and mailbox.messages[0]["To"] == "r0@example.net"
    assert request.tracking in mailbox.messages[0]["Subject"]
    assert notifications(db_session)[0].status == "sent"


def outbox_message_id(key):
    from backend.notify.email import message_id_for

    return message_id_for(key, "updates@311.example.org")


def test_temporary_failures_back_off_then_die_and_staff_can_retry(
        client, auth, db_session, worker_session, senders, mailbox):
    queued_acknowledgements(db_session)
    mailbox.refuse["r0@example.net"] = "451 4.3.0 Try again later"
    now = utcnow()
    report = outbox.send_pending(worker_session, senders, now=now)
    assert (report.claimed, report.failed) == (1, 1)
    [row] = notifications(db_session)
    assert row.status == "failed" and "451" in row.last_error
    wait = row.next_attempt_at - now
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=60)
    assert outbox.send_pending(worker_session, senders, now=now + timedelta(seconds=10)).claimed \
        == 0
    report = outbox.send_pending(worker_session, senders, now=now + timedelta(minutes=1))
    assert report.failed == 1
    second_wait = notifications(db_session)[0].next_attempt_at - (now + timedelta(minutes=1))
    assert timedelta(seconds=60) <= second_wait <= timedelta(seconds=120)
    report = outbox.send_pending(worker_session, senders, now=now + timedelta(hours=1))
    assert report.dead == 1  # OUTBOX_MAX_ATTEMPTS = 3
    assert mailbox.transactions == []

    page = client.get("/api/v1/outbox?status=dead", headers=auth("dispatcher")).json
    assert page["counts"]["dead"] == 1 and page["total"] == 1
    [item] = page["items"]
    assert item["recipient"] == "r***@example.net" and "451" in item["last_error"]
    assert client.post(f"/api/v1/outbox/{item['id']}/retry",
                       headers=auth("crew")).status_code == 403
    answer = client.post(f"/api/v1/outbox/{item['id']}/retry", headers=auth("dispatcher"))
    assert answer.status_code == 200 and answer.json["status"] == "pending"
    del mailbox.refuse["r0@example.net"]
    assert outbox.send_pending(worker_session, senders).sent == 1
    again = client.post(f"/api/v1/outbox/{item['id']}/retry", headers=auth("dispatcher"))
    assert again.status_code == 409 and again.json["code"] == "not_retryable"
    assert client.post("/api/v1/outbox/999999/retry",
                       headers=auth("dispatcher")).status_code == 404


def test_permanent_refusal_is_dead_at_once(db_session, worker_session, senders, mailbox):
    queued_acknowledgements(db_session)
    mailbox.refuse["r0@example.net"] = "550 5.1.1 No such user"
    report = outbox.send_pending(worker_session, senders)
    assert report.dead == 1
    [row] = notifications(db_session)
    assert row.status == "dead" and row.attempts == 1 and "550" in row.last_error


def test_the_same_change_queued_twice_is_one_message(db_session, worker_session, senders,
                                                     mailbox):
    """Resolving through the work-order path queues its own rows too: one message each."""
    [request] = bulk_requests(db_session, 1)
    db_session.add(Subscription(request_id=request.id, channel="email",
                                address="second@example.net", confirmed=True,
                                token="second-subscriber-token-0001"))
    db_session.commit()
    work_orders.resolve_request(db_session, request, actor=None)
    db_session.commit()
    rows = notifications(db_session)
    assert len(rows) == 2 and len({r.idempotency_key for r in rows}) == 2
    assert outbox.send_pending(worker_session, senders).sent == 2
    assert sorted(m["To"] for m in mailbox.messages) == ["r0@example.net",
                                                         "second@example.net"]


def test_a_thousand_status_changes_make_a_thousand_messages(app, db_session, senders, mailbox):
    requests = queued_acknowledgements(db_session, 1000)
    # Every change is one committed status event; no change is announced twice.
    assert len(notifications(db_session)) == 1000
    makers = app.extensions["frontdoor.db"]["write"]
    reports, errors = [], []

    def worker():
        session = makers()
        own = outbox.senders_from_config(app.config)
        try:
            while True:
                report = outbox.send_pending(session, own, batch=50)
                reports.append(report)
                if report.claimed == 0:
                    break
        except Exception as e:  # surfaced below
            errors.append(e)
        finally:
            own.close()
            session.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert errors == []
    assert sum(r.sent for r in reports) == 1000
    assert len(mailbox.transactions) == 1000  # not one sent twice, even at the transport
    ids = [m["Message-ID"] for _, m in mailbox.transactions]
    assert len(set(ids)) == 1000
    expected = {(f"r{i}@example.net", r.tracking) for i, r in enumerate(requests)}
    got = {(m["To"], TRACKING.search(m["Subject"]).group()) for _, m in mailbox.transactions}
    assert got == expected
    print(f"\n1000 messages through SMTP by 3 workers in {elapsed:.2f} s "
          f"({1000 / elapsed:.0f}/s, {app.extensions['frontdoor.db']['engine'].dialect.name})")
    db_session.rollback()
    assert {n.status for n in notifications(db_session)} == {"sent"}


def test_unconfirmed_and_unsubscribed_recipients_are_cancelled(db_session, worker_session,
                                                               senders, mailbox):
    [request] = queued_acknowledgements(db_session)
    db_session.execute(update(Subscription).values(confirmed=False))
    db_session.commit()
    assert outbox.send_pending(worker_session, senders).cancelled == 1
    lifecycle.move(db_session, db_session.get(ServiceRequest, request.id), Status.RESOLVED)
    db_session.commit()
    assert len(notifications(db_session)) == 1  # unconfirmed: nothing queued
    assert mailbox.transactions == []


def test_cli_sends_what_is_due(app, db_session, mailbox, notify_config):
    queued_acknowledgements(db_session, 3)
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "claimed=2 sent=2" in result.output and "claimed=1 sent=1" in result.output
    assert len(mailbox.messages) == 3
    assert db_session.scalar(select(Notification.status).distinct()) == "sent"
