"""The public links a message carries, and the signed "was it fixed?" token.

Confirm and unsubscribe links use the subscription's own random token (stored, so a link
stops working once the subscription is gone). The reopen link is signed with the
application's secret over (subscription, request), so it cannot be made up or moved to
another request; whether it is still in time is decided from the request's resolution
date, not from the token.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

REOPEN_SALT = "frontdoor.reopen.v1"


@dataclass(frozen=True)
class Links:
    base_url: str

    def track(self, tracking: str) -> str:
        return f"{self._base}/#/track/{tracking}"

    def confirm(self, token: str) -> str:
        return f"{self._base}/api/v1/subscriptions/confirm/{token}"

    def unsubscribe(self, token: str) -> str:
        return f"{self._base}/api/v1/subscriptions/unsubscribe/{token}"

    def reopen(self, token: str) -> str:
        return f"{self._base}/api/v1/reopen/{token}"

    def photo(self, public_id: str, variant: str = "display") -> str:
        return f"{self._base}/api/v1/photos/{public_id}/{variant}"

    @property
    def _base(self) -> str:
        return self.base_url.rstrip("/")


def reopen_token(secret: str, subscription_id: int, request_id: int) -> str:
    return URLSafeSerializer(secret, salt=REOPEN_SALT).dumps([subscription_id, request_id])


def read_reopen_token(secret: str, token: str) -> tuple[int, int] | None:
    """(subscription id, request id), or None for a token this server did not sign."""
    try:
        value = URLSafeSerializer(secret, salt=REOPEN_SALT).loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return None
    return value[0], value[1]
