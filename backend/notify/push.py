"""Web Push sender: payloads encrypted (aes128gcm, RFC 8291) and signed with VAPID (RFC 8292)
by pywebpush.

A push service answering 404 or 410 says the browser's subscription is gone for good
(``SubscriptionGone``); the outbox then deletes it. Each message carries a ``Topic`` made
from its idempotency key: a push service holding an undelivered message replaces it with a
later one of the same topic instead of delivering both, so a resend after a crash is not
shown twice while the device was offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from backend.notify.email import PermanentFailure, TemporaryFailure

PUSH_TTL_SECONDS = 7 * 24 * 3600
PUSH_TIMEOUT = 15


class SubscriptionGone(PermanentFailure):
    """The push service no longer knows this subscription (HTTP 404 or 410)."""


@dataclass(frozen=True)
class PushMessage:
    endpoint: str
    keys: dict  # {"p256dh": …, "auth": …} from the browser's PushSubscription
    payload: dict  # {"title", "body", "url", "tracking", "kind"}
    key: str  # the outbox idempotency key


class PushSender(Protocol):
    def send(self, message: PushMessage) -> str: ...

    def close(self) -> None: ...


def topic_for(key: str) -> str:
    """At most 32 URL-safe base64 characters, as the Topic header requires."""
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).decode()[:32]


def public_key_of(private_key: str) -> str:
    """The application server key the browser needs (uncompressed point, base64url)."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid01

    vapid = Vapid01.from_string(private_key)
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_vapid_keys() -> tuple[str, str]:
    """(private, public) as base64url strings, for the VAPID_* settings."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    return encode(private), encode(public)


class WebPushSender:
    def __init__(self, *, private_key: str, subject: str, ttl: int = PUSH_TTL_SECONDS,
                 timeout: float = PUSH_TIMEOUT):
        self.private_key, self.subject, self.ttl, self.timeout = \
            private_key, subject, ttl, timeout
        self._session = None

    def send(self, message: PushMessage) -> str:
        import requests
        from pywebpush import WebPushException, webpush

        if not self.private_key:
            raise TemporaryFailure("VAPID_PRIVATE_KEY is not set")
        if self._session is None:
            self._session = requests.Session()
        try:
            response = webpush(
                {"endpoint": message.endpoint, "keys": message.keys},
                data=json.dumps(message.payload, ensure_ascii=False),
                vapid_private_key=self.private_key,
                vapid_claims={"sub": self.subject},  # a fresh dict: webpush adds aud and exp
                ttl=self.ttl, timeout=self.timeout, requests_session=self._session,
                headers={"Topic": topic_for(message.key), "Urgency": "normal"})
        except WebPushException as e:
            status = e.response.status_code if e.response is not None else None
            if status in (404, 410):
                raise SubscriptionGone(f"push subscription gone ({status})") from None
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                raise PermanentFailure(f"push refused ({status})") from None
            raise TemporaryFailure(f"push failed ({status or 'no answer'})") from None
        except (requests.RequestException, OSError) as e:
            raise TemporaryFailure(f"push: {e.__class__.__name__}") from None
        except ValueError as e:  # malformed keys in the stored subscription
            raise PermanentFailure(f"push subscription unusable: {e}") from None
        return response.headers.get("Location", "")

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()
