"""Admins list staff sign-ins: who, when, from where, still active or not; paged."""

import uuid

import pytest

from backend.services import accounts

V1 = "/api/v1"
PASSWORD = "sign-in-test-password"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) FrontdoorTest/1.0"


@pytest.fixture
def staff_member(db_session):
    """A dispatcher of this test's own (the shared demo sign-ins stay untouched)."""
    username = f"signin-{uuid.uuid4().hex[:8]}"
    accounts.create_user(db_session, username=username, password=PASSWORD, role="dispatcher")
    db_session.commit()
    return username


def sign_in(client, username: str, agent: str = BROWSER) -> str:
    answer = client.post(f"{V1}/auth/login", json={"username": username, "password": PASSWORD},
                         headers={"User-Agent": agent})
    assert answer.status_code == 201, answer.json
    return answer.json["token"]


def sign_ins(client, auth, **query):
    answer = client.get(f"{V1}/auth/sign-ins", query_string=query, headers=auth("admin"))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_each_sign_in_is_listed_with_who_when_and_where(client, auth, staff_member):
    first = sign_in(client, staff_member)
    sign_in(client, staff_member, agent="FrontdoorPWA/2 (Android)")
    page = sign_ins(client, auth, username=staff_member)
    assert page["total"] == 2
    newest, older = page["items"]
    assert newest["user"]["username"] == staff_member and newest["user"]["role"] == "dispatcher"
    assert (newest["user_agent"], older["user_agent"]) == ("FrontdoorPWA/2 (Android)", BROWSER)
    assert newest["ip"] == "127.0.0.1"
    assert newest["signed_in_at"] >= older["signed_in_at"] and newest["id"] > older["id"]
    assert newest["active"] and not newest["revoked"]
    assert first not in str(page) and "hash" not in str(page)  # never the token itself


def test_signing_out_everywhere_shows_as_revoked(client, auth, staff_member):
    token = sign_in(client, staff_member)
    out = client.post(f"{V1}/auth/logout-everywhere", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204
    [item] = sign_ins(client, auth, username=staff_member)["items"]
    assert item["revoked"] and not item["active"]


def test_pages_are_newest_first_and_add_up(client, auth, staff_member):
    for n in range(5):
        sign_in(client, staff_member, agent=f"agent-{n}")
    pages = [sign_ins(client, auth, username=staff_member, limit=2, offset=offset)
             for offset in (0, 2, 4)]
    assert {p["total"] for p in pages} == {5}
    agents = [item["user_agent"] for p in pages for item in p["items"]]
    assert agents == [f"agent-{n}" for n in reversed(range(5))]
    everyone = sign_ins(client, auth, limit=500)
    assert everyone["total"] >= 5 and len(everyone["items"]) == min(everyone["total"], 500)


def test_a_wrong_password_is_not_a_sign_in(client, auth, staff_member):
    wrong = client.post(f"{V1}/auth/login", json={"username": staff_member,
                                                   "password": "not-the-password"})
    assert wrong.status_code == 401
    assert sign_ins(client, auth, username=staff_member)["total"] == 0


@pytest.mark.parametrize("who", ["dispatcher", "crew"])
def test_only_admins_see_sign_ins(client, auth, who):
    answer = client.get(f"{V1}/auth/sign-ins", headers=auth(who))
    assert answer.status_code == 403 and answer.json["code"] == "forbidden"
    assert client.get(f"{V1}/auth/sign-ins").status_code == 401


def test_bad_paging_is_refused_clearly(client, auth):
    answer = client.get(f"{V1}/auth/sign-ins", query_string={"limit": 0},
                        headers=auth("admin"))
    assert answer.status_code == 422 and answer.json["code"]
