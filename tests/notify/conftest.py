"""Real receivers for the messages: an SMTP server (aiosmtpd) and a Web Push endpoint (an HTTP
server that decrypts what it gets with the subscription's private key), both on localhost;
and the settings that point the application at them."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from backend.models import Notification, Service, ServiceRequest, Status, Subscription
from backend.notify import outbox
from backend.notify.push import new_vapid_keys
from backend.services.tracking import unused_tracking_numbers

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
BASE_URL = "https://311.example.org"
logging.getLogger("mail.log").setLevel(logging.WARNING)  # the SMTP server's chatter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- SMTP ------------------------------------------------------------------------------------

@dataclass
class Mailbox:
    """Every SMTP transaction that arrived, and the mailbox view: one message per Message-ID,
    as mailbox providers store it."""

    transactions: list = field(default_factory=list)
    refuse: dict = field(default_factory=dict)  # recipient → SMTP reply, e.g. "451 …"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.transactions.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list:
        unique = {}
        for _, message in list(self.transactions):
            unique.setdefault(message["Message-ID"], message)
        return list(unique.values())

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# -- Web Push ----------------------------------------------------------------------------------

@dataclass
class PushBrowser:
    """A browser's push subscription: a real P-256 key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def subscription(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth,
                                 version="aes128gcm")
        return json.loads(plain)


@dataclass
class PushService:
    url: str
    received: list = field(default_factory=list)  # (path, headers, body)
    answers: dict = field(default_factory=dict)  # path → status code

    def browser(self, name: str) -> PushBrowser:
        return PushBrowser(f"{self.url}/push/{name}", ec.generate_private_key(ec.SECP256R1()),
                           os.urandom(16))


@pytest.fixture
def push_service():
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.received.append((self.path, self.headers, body))  # case-insensitive
            status = service.answers.get(self.path, 201)
            self.send_response(status)
            self.send_header("Location", f"{service.url}/message/{len(service.received)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()
    thread.join()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- the application pointed at them -------------------------------------------------------------

@pytest.fixture(scope="session")
def vapid_keys():
    return new_vapid_keys()


@pytest.fixture
def notify_config(app, monkeypatch, mailbox, vapid_keys):
    private, public = vapid_keys
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port,
                        "MAIL_FROM": "Frontdoor City <updates@311.example.org>",
                        "MAIL_SENDER": "smtp", "PUBLIC_BASE_URL": BASE_URL,
                        "VAPID_PRIVATE_KEY": private, "VAPID_PUBLIC_KEY": public,
                        "VAPID_SUBJECT": "mailto:ops@311.example.org",
                        "PUSH_ALLOW_HTTP": True, "REOPEN_WINDOW_DAYS": 14,
                        "OUTBOX_MAX_ATTEMPTS": 3}.items():
        monkeypatch.setitem(app.config, name, value)
    return app.config


@pytest.fixture
def senders(notify_config):
    made = outbox.senders_from_config(notify_config)
    yield made
    made.close()


@pytest.fixture
def worker_session(app):
    """A session like the CLI's (SQLite: BEGIN IMMEDIATE), for the sending loop."""
    session = app.extensions["frontdoor.db"]["write"]()
    yield session
    session.close()


# -- requests ------------------------------------------------------------------------------------

def submit(client, *, contact: dict | None = None, service: str = "graffiti-removal") -> str:
    body = {"service_code": service, **CITY_HALL, "description": "Tag on the wall",
            "attributes": {"surface": "wall"} if service == "graffiti-removal" else {}}
    if contact:
        body["contact"] = contact
    answer = client.post("/api/v1/requests", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json["tracking"]


def move(client, auth, tracking: str, status: str, **fields):
    answer = client.post(f"/api/v1/requests/{tracking}/status",
                         json={"status": status, **fields}, headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    return answer.json


def path_of(url: str) -> str:
    assert url.startswith(BASE_URL), url
    return url[len(BASE_URL):]


def notifications(db) -> list[Notification]:
    db.rollback()
    return list(db.scalars(select(Notification).order_by(Notification.id)))


def bulk_requests(db, count: int, *, service: str = "graffiti-removal") -> list[ServiceRequest]:
    """Requests with one confirmed email follower each, made directly (fast)."""
    found = db.scalar(select(Service).where(Service.code == service))
    numbers = unused_tracking_numbers(db, count)
    requests = [ServiceRequest(tracking=t, service=found, lon=CITY_HALL["lon"],
                               lat=CITY_HALL["lat"], status=Status.SUBMITTED,
                               attributes={"surface": "wall"}) for t in numbers]
    db.add_all(requests)
    db.flush()
    db.add_all([Subscription(request_id=r.id, channel="email", address=f"r{i}@example.net",
                             language="es" if i % 2 else "en", confirmed=True,
                             token=f"bulk-token-{r.id:08d}-{i:06d}")
                for i, r in enumerate(requests)])
    db.flush()
    return requests


@pytest.fixture(autouse=True)
def _emptied_after(client):
    """Every test here leaves the per-test tables empty (the client fixture does it)."""
    yield
