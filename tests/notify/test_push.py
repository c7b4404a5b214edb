"""Web Push to a push endpoint on localhost that decrypts each payload (aes128gcm) with the
subscription's own private key; expired subscriptions (404/410) are removed."""

import base64
import json

from sqlalchemy import select

from backend.models import Subscription
from backend.notify import outbox
from tests.notify.conftest import move, notifications, submit


def subscribe(client, tracking, browser, language="en"):
    return client.post(f"/api/v1/requests/{tracking}/subscriptions",
                       json={"channel": "push", "subscription": browser.subscription,
                             "language": language})


def test_push_is_delivered_encrypted_and_signed(client, auth, db_session, worker_session,
                                                senders, push_service, vapid_keys):
    key = client.get("/api/v1/push/vapid-public-key").json["public_key"]
    assert key == vapid_keys[1]
    tracking = submit(client)
    browser = push_service.browser("phone-1")
    answer = subscribe(client, tracking, browser, language="es")
    assert answer.status_code == 201, answer.json
    assert answer.json["confirmed"] is True and answer.json["unsubscribe_token"]
    assert subscribe(client, tracking, browser, language="es").status_code == 200

    move(client, auth, tracking, "acknowledged")
    report = outbox.send_pending(worker_session, senders)
    assert (report.claimed, report.sent) == (1, 1)
    [(path, headers, body)] = push_service.received
    assert path == "/push/phone-1"
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["Authorization"].startswith("vapid t=") and f"k={key}" in \
        headers["Authorization"]
    assert len(headers["Topic"]) <= 32
    claims = json.loads(base64.urlsafe_b64decode(
        headers["Authorization"].split("t=")[1].split(",")[0].split(".")[1] + "=="))
    assert claims["aud"] == push_service.url and claims["sub"] == "mailto:ops@311.example.org"
    assert tracking.encode() not in body  # encrypted on the wire
    payload = browser.decrypt(body)
    assert payload == {"title": f"El reporte {tracking} fue revisado",
                       "body": payload["body"], "url": f"https://311.example.org/#/track/"
                                                        f"{tracking}",
                       "tracking": tracking, "kind": "acknowledged", "lang": "es"}
    assert "fue revisado y está en la cola" in payload["body"]
    [row] = notifications(db_session)
    assert row.status == "sent" and row.provider_id.startswith(push_service.url)


def test_another_browser_cannot_read_the_payload(client, auth, worker_session, senders,
                                                 push_service):
    tracking = submit(client)
    mine, other = push_service.browser("mine"), push_service.browser("other")
    subscribe(client, tracking, mine)
    move(client, auth, tracking, "acknowledged")
    outbox.send_pending(worker_session, senders)
    [(_, _, body)] = push_service.received
    other.auth = mine.auth  # even with the auth secret, the wrong private key fails
    try:
        other.decrypt(body)
    except Exception as e:  # http_ece raises InvalidTag from cryptography
        assert e.__class__.__name__ in {"InvalidTag", "ECEException"}
    else:
        raise AssertionError("decrypted with the wrong key")


def test_expired_push_subscription_is_removed(client, auth, db_session, worker_session,
                                              senders, push_service):
    tracking = submit(client)
    gone, alive = push_service.browser("gone"), push_service.browser("alive")
    subscribe(client, tracking, gone)
    subscribe(client, tracking, alive)
    push_service.answers["/push/gone"] = 410
    move(client, auth, tracking, "acknowledged")
    report = outbox.send_pending(worker_session, senders)
    assert (report.sent, report.cancelled) == (1, 1)
    db_session.rollback()
    assert [s.address for s in db_session.scalars(select(Subscription))] == [alive.endpoint]
    rows = {n.status: n for n in notifications(db_session)}
    assert set(rows) == {"sent", "cancelled"} and "410" in rows["cancelled"].last_error


def test_push_needs_https_and_real_keys(client, push_service, app, monkeypatch):
    tracking = submit(client)
    browser = push_service.browser("x")
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", False)
    refused = subscribe(client, tracking, browser)
    assert refused.status_code == 422 and refused.json["code"] == "invalid_push_subscription"
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", True)
    bad = browser.subscription
    bad["keys"]["p256dh"] = "AAAA"
    answer = client.post(f"/api/v1/requests/{tracking}/subscriptions",
                         json={"channel": "push", "subscription": bad})
    assert answer.status_code == 422 and answer.json["code"] == "invalid_push_subscription"
    missing = client.post(f"/api/v1/requests/{tracking}/subscriptions", json={"channel": "push"})
    assert missing.status_code == 422


def test_no_vapid_key_means_no_push(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", "")
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", "")
    answer = client.get("/api/v1/push/vapid-public-key")
    assert answer.status_code == 404 and answer.json["code"] == "push_not_configured"
