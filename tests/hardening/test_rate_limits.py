"""Rate limits: anonymous submissions, sign-in attempts and Open311 submissions are refused
with 429, Retry-After and the usual error body once over their limit, and nothing refused
is stored. Several processes share their counts through Redis."""

import socket
import uuid

import pytest
from sqlalchemy import func, select

from backend.api import limits
from backend.models import Media, ServiceRequest
from tests.hardening.conftest import GRAFFITI, OPEN311_GRAFFITI, PASSWORD
from tests.hardening.permissions import jpeg

REDIS = ("127.0.0.1", 6379)


def stored_requests(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(ServiceRequest))


def assert_refused(answer, *, open311: bool = False) -> None:
    assert answer.status_code == 429, answer.get_data(as_text=True)
    assert int(answer.headers["Retry-After"]) >= 1
    if open311:
        error = answer.json[0]
        assert error["code"] == 429 and "wait" in error["description"]
    else:
        assert answer.json["code"] == "too_many_requests"
        assert "wait" in answer.json["message"]


def test_anonymous_submissions_are_limited_per_address(limited_app, db_session, staff):
    app = limited_app(RATE_LIMIT_SUBMIT="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/api/v1/requests", json=GRAFFITI).status_code == 201
    assert_refused(client.post("/api/v1/requests", json=GRAFFITI))
    assert stored_requests(db_session) == 3

    # Another address has its own count; staff keying in phone reports are not held back.
    elsewhere = client.post("/api/v1/requests", json=GRAFFITI,
                            environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert elsewhere.status_code == 201
    for _ in range(3):
        answer = client.post("/api/v1/requests", json=GRAFFITI,
                             headers=staff.headers("dispatcher"))
        assert answer.status_code == 201, answer.json
    # A made-up token is no way around the limit.
    forged = client.post("/api/v1/requests", json=GRAFFITI,
                         headers={"Authorization": "Bearer made-up"})
    assert_refused(forged)
    assert stored_requests(db_session) == 7


def test_photo_uploads_are_limited_per_address(limited_app, db_session):
    app = limited_app(RATE_LIMIT_PHOTOS="2 per minute")
    if "photos.Photos" not in app.view_functions:
        pytest.skip("this app takes no photos")
    client = app.test_client()
    for _ in range(2):
        answer = client.post("/api/v1/photos", data={"photo": jpeg()},
                             content_type="multipart/form-data")
        assert answer.status_code == 201, answer.json
    assert_refused(client.post("/api/v1/photos", data={"photo": jpeg()},
                               content_type="multipart/form-data"))
    # Direct uploads count separately, under the same limit.
    for _ in range(2):
        assert client.post("/api/v1/photos/uploads", json={}).status_code == 201
    assert_refused(client.post("/api/v1/photos/uploads", json={}))
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Media)) == 2


def test_wrong_passwords_are_limited_per_username(limited_app, staff):
    app = limited_app(RATE_LIMIT_LOGIN_FAILURES="3 per 15 minutes")
    client = app.test_client()
    name = staff.usernames["crew_own"]
    wrong = {"username": name, "password": "not-the-password"}
    # Right passwords are not counted as failures.
    for _ in range(4):
        answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 201
    for _ in range(3):
        assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
    # Now even the right password waits: guessing cannot go on.
    assert_refused(client.post("/api/v1/auth/login",
                               json={"username": name.upper(), "password": PASSWORD}))
    other = {"username": staff.usernames["dispatcher"], "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=other).status_code == 201


def test_sign_in_attempts_are_limited_per_address(limited_app):
    app = limited_app(RATE_LIMIT_LOGIN="4 per minute")
    client = app.test_client()
    for attempt in range(4):
        wrong = {"username": f"nobody-{attempt}", "password": "whatever-it-is"}
        assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
    assert_refused(client.post("/api/v1/auth/login",
                               json={"username": "nobody-5", "password": "whatever-it-is"}))


def test_open311_submissions_follow_each_keys_rate_limit(limited_app, api_key, db_session):
    app = limited_app()
    client = app.test_client()
    slow, other = api_key(rate_limit=2), api_key()
    for _ in range(2):
        answer = client.post("/open311/v2/requests.json", data={**OPEN311_GRAFFITI,
                                                                 "api_key": slow})
        assert answer.status_code == 201, answer.json
    assert_refused(client.post("/open311/v2/requests.json",
                               data={**OPEN311_GRAFFITI, "api_key": slow}), open311=True)
    refused_xml = client.post("/open311/v2/requests.xml",
                              data={**OPEN311_GRAFFITI, "api_key": slow})
    assert refused_xml.status_code == 429 and b"<code>429</code>" in refused_xml.data
    assert client.post("/open311/v2/requests.json",
                       data={**OPEN311_GRAFFITI, "api_key": other}).status_code == 201
    # Reading is not limited by the key's submissions.
    assert client.get("/open311/v2/requests.json").status_code == 200
    assert stored_requests(db_session) == 3


def test_open311_posts_are_limited_per_address_whatever_the_key(limited_app, db_session):
    app = limited_app(RATE_LIMIT_OPEN311_ADDRESS="3 per minute")
    client = app.test_client()
    for _ in range(3):
        guessed = {**OPEN311_GRAFFITI, "api_key": f"fd_{uuid.uuid4().hex}"}
        assert client.post("/open311/v2/requests.json", data=guessed).status_code == 403
    assert_refused(client.post("/open311/v2/requests.json",
                               data={**OPEN311_GRAFFITI, "api_key": "fd_guess"}), open311=True)
    assert stored_requests(db_session) == 0


def test_every_limited_endpoint_that_exists_is_limited(limited_app):
    """Each endpoint of the limits table is wrapped (photo upload too, once it exists)."""
    app = limited_app()
    for rule in limits.LIMITS:
        view = app.view_functions.get(rule.endpoint)
        if view is not None:
            assert view.__code__ is not _unwrapped(view).__code__, rule.endpoint
        assert rule.setting is None or rule.setting in app.config


def _unwrapped(view):
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def test_limits_off_when_disabled(app, client):
    """The shared test app runs without limits (so the rest of the suite is not slowed)."""
    assert app.extensions["frontdoor.limiter"].enabled is False


def redis_reachable() -> bool:
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_processes_share_counts_through_redis(limited_app, db_session):
    settings = {"RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}/0",
                "RATELIMIT_KEY_PREFIX": f"frontdoor-test-{uuid.uuid4().hex}",
                "RATE_LIMIT_SUBMIT": "2 per minute"}
    first, second = limited_app(**settings), limited_app(**settings)
    assert first.test_client().post("/api/v1/requests", json=GRAFFITI).status_code == 201
    assert second.test_client().post("/api/v1/requests", json=GRAFFITI).status_code == 201
    assert_refused(first.test_client().post("/api/v1/requests", json=GRAFFITI))
    assert_refused(second.test_client().post("/api/v1/requests", json=GRAFFITI))
    assert stored_requests(db_session) == 2


def test_an_unreachable_redis_does_not_stop_reports(limited_app, db_session):
    """Limits fall back to this process's memory; submissions go on."""
    app = limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",
                      RATE_LIMIT_SUBMIT="2 per minute")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/requests", json=GRAFFITI).status_code == 201
    assert_refused(client.post("/api/v1/requests", json=GRAFFITI))
    assert stored_requests(db_session) == 2
