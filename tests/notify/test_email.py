"""Email through a real SMTP server on localhost: what arrives, in which language, with which
links, and that the links work without signing in."""

import re

from sqlalchemy import select

from backend.models import Event, Media, MediaKind, ServiceRequest, Subscription
from backend.notify import outbox
from tests.notify.conftest import body_of, move, notifications, path_of, submit

URL = re.compile(r"https://311\.example\.org/\S+")


def urls(text: str) -> list[str]:
    return URL.findall(text)


def test_reporter_confirms_then_hears_each_change_in_spanish(client, auth, db_session,
                                                             worker_session, senders, mailbox):
    tracking = submit(client, contact={"name": "Rosa Díaz", "phone": "213-555-0100",
                                       "email": "Rosa@Example.org", "language": "es"})
    report = outbox.send_pending(worker_session, senders)
    assert (report.claimed, report.sent) == (1, 1)
    [confirm] = mailbox.to("rosa@example.org")
    assert confirm["Subject"] == f"Confirme los avisos sobre el reporte {tracking}"
    assert confirm["Content-Language"] == "es"
    body = body_of(confirm)
    assert "confirme aquí" in body and "Rosa Díaz" not in body and "555-0100" not in body
    confirm_url = next(u for u in urls(body) if "/subscriptions/confirm/" in u)

    # Nothing is sent to an unconfirmed address.
    move(client, auth, tracking, "acknowledged")
    assert outbox.send_pending(worker_session, senders).claimed == 0

    answer = client.get(path_of(confirm_url))
    assert answer.status_code == 200 and answer.json["confirmed"] is True
    assert answer.json["tracking"] == tracking
    move(client, auth, tracking, "in_progress")
    move(client, auth, tracking, "acknowledged")
    assert outbox.send_pending(worker_session, senders).sent == 1
    news = [m for m in mailbox.to("rosa@example.org") if m is not confirm]
    assert [m["Subject"] for m in news] == [f"El reporte {tracking} fue revisado"]
    text = body_of(news[0])
    assert "fue revisado y está en la cola" in text
    assert f"https://311.example.org/#/track/{tracking}" in text
    unsubscribe = next(u for u in urls(text) if "/subscriptions/unsubscribe/" in u)
    assert news[0]["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert news[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert news[0]["Message-ID"].endswith("@311.example.org>")
    [row] = [n for n in notifications(db_session) if n.template == "acknowledged"]
    assert news[0]["X-Frontdoor-Key"] == row.idempotency_key
    assert row.status == "sent" and row.provider_id == news[0]["Message-ID"]


def test_resolved_message_links_the_proof_photo_and_reopens_within_the_window(
        client, auth, db_session, worker_session, senders, mailbox, monkeypatch, app):
    tracking = submit(client, contact={"email": "ana@example.org", "language": "en"})
    db_session.rollback()
    request = db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
    subscription = db_session.scalar(select(Subscription))
    subscription.confirmed = True
    db_session.add(Media(public_id="proofphoto0001", request_id=request.id, kind=MediaKind.PROOF,
                         content_hash="0" * 64, width=800, height=600, size_bytes=1000))
    db_session.commit()

    move(client, auth, tracking, "resolved")
    outbox.send_pending(worker_session, senders)
    [fixed] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("Fixed")]
    text = body_of(fixed)
    assert "https://311.example.org/api/v1/photos/proofphoto0001/display" in text
    assert "within 14 days" in text
    reopen_url = next(u for u in urls(text) if "/api/v1/reopen/" in u)

    offer = client.get(path_of(reopen_url))
    assert offer.status_code == 200
    assert offer.json["allowed"] is True and offer.json["tracking"] == tracking
    page = client.get(path_of(reopen_url), headers={"Accept": "text/html"})
    assert page.mimetype == "text/html" and b'<form method="post">' in page.data

    tampered = reopen_url[:-3] + ("aaa" if not reopen_url.endswith("aaa") else "bbb")
    assert client.post(path_of(tampered)).status_code == 404

    answer = client.post(path_of(reopen_url), json={"note": "Still there"})
    assert answer.status_code == 200 and answer.json["status"] == "reopened"
    timeline = client.get(f"/api/v1/requests/{tracking}").json["timeline"]
    assert timeline[-1]["status"] == "reopened" and timeline[-1]["note"] == "Still there"
    again = client.post(path_of(reopen_url))
    assert again.status_code == 409 and again.json["code"] == "not_resolved"


def test_reopen_is_refused_after_the_window(client, auth, db_session, worker_session, senders,
                                            mailbox, monkeypatch, app):
    tracking = submit(client, contact={"email": "ben@example.org"})
    db_session.rollback()
    db_session.scalar(select(Subscription)).confirmed = True
    db_session.commit()
    move(client, auth, tracking, "resolved")
    outbox.send_pending(worker_session, senders)
    [fixed] = [m for m in mailbox.to("ben@example.org") if m["Subject"].startswith("Fixed")]
    reopen_url = next(u for u in urls(body_of(fixed)) if "/api/v1/reopen/" in u)
    monkeypatch.setitem(app.config, "REOPEN_WINDOW_DAYS", 0)
    offer = client.get(path_of(reopen_url))
    assert offer.json["allowed"] is False and offer.json["reason"] == "reopen_window_closed"
    answer = client.post(path_of(reopen_url))
    assert answer.status_code == 409 and answer.json["code"] == "reopen_window_closed"
    assert client.get(f"/api/v1/requests/{tracking}").json["status"] == "resolved"


def test_edited_wording_is_used_and_unknown_variables_are_refused(
        client, auth, db_session, worker_session, senders, mailbox):
    url = "/api/v1/message-templates/acknowledged/en?service=graffiti-removal"
    wording = {"subject": "Graffiti {{ tracking }} queued",
               "body": "Our graffiti team has {{ tracking }} on its list."}
    assert client.put(url, json=wording, headers=auth("dispatcher")).status_code == 403
    answer = client.put(url, json=wording, headers=auth("admin"))
    assert answer.status_code == 200 and answer.json["source"] == "service"
    for bad in ("{{ contact.email }}", "{{ tracking.__class__.__mro__ }}", "{% if %}"):
        refused = client.put(url, json={**wording, "body": bad}, headers=auth("admin"))
        assert refused.status_code == 422 and refused.json["code"] == "invalid_template", bad
    listing = client.get("/api/v1/message-templates?service=graffiti-removal",
                         headers=auth("dispatcher")).json
    sources = {(w["kind"], w["language"]): w["source"] for w in listing["wordings"]}
    assert sources[("acknowledged", "en")] == "service"
    assert sources[("acknowledged", "es")] == "default"

    tracking = submit(client, contact={"email": "cy@example.org"})
    db_session.rollback()
    db_session.scalar(select(Subscription)).confirmed = True
    db_session.commit()
    move(client, auth, tracking, "acknowledged")
    outbox.send_pending(worker_session, senders)
    [queued] = [m for m in mailbox.to("cy@example.org") if "queued" in m["Subject"]]
    assert queued["Subject"] == f"Graffiti {tracking} queued"
    assert body_of(queued).startswith(f"Our graffiti team has {tracking} on its list.")
    assert "/subscriptions/unsubscribe/" in body_of(queued)  # the footer stays

    assert client.delete(url, headers=auth("admin")).json["source"] == "default"


def test_private_status_changes_and_internal_notes_never_go_out(
        client, auth, db_session, worker_session, senders, mailbox):
    tracking = submit(client, contact={"email": "dee@example.org"})
    db_session.rollback()
    db_session.scalar(select(Subscription)).confirmed = True
    db_session.commit()
    move(client, auth, tracking, "acknowledged", note="Crew Bravo, ask Joe", public=False)
    move(client, auth, tracking, "resolved", note="Internal: overtime approved")
    outbox.send_pending(worker_session, senders)
    subjects = [m["Subject"] for m in mailbox.to("dee@example.org")]
    # Confirmed before the confirmation went out: that one is cancelled, not sent.
    assert subjects == [f"Fixed: report {tracking}"]
    for message in mailbox.messages:
        assert "Joe" not in message.as_string() and "overtime" not in message.as_string()
    events = db_session.scalars(select(Event).where(Event.kind == "subscribed")).all()
    assert events and all(e.public is False and "dee@" not in str(e.data) for e in events)


def test_one_click_unsubscribe_as_mail_providers_send_it(client, db_session, worker_session,
                                                         senders, mailbox):
    """RFC 8058: a form POST of List-Unsubscribe=One-Click to the List-Unsubscribe URL."""
    tracking = submit(client, contact={"email": "leo@example.org"})
    outbox.send_pending(worker_session, senders)
    [confirm] = mailbox.to("leo@example.org")
    unsubscribe = next(u for u in urls(body_of(confirm)) if "/subscriptions/unsubscribe/" in u)
    answer = client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"tracking": tracking, "unsubscribed": True}
    db_session.rollback()
    assert db_session.scalar(select(Subscription)) is None
    # A form POST elsewhere in the API is still refused.
    refused = client.post("/api/v1/requests", data={"service_code": "graffiti-removal"})
    assert refused.status_code == 415 and refused.json["code"] == "unsupported_media_type"
