"""Fixtures for the hardening tests: staff of every role (their own accounts, never the
session's shared tokens), Open311 keys, and apps with rate limits turned on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session

from backend import create_app, db
from backend.config import Config
from backend.services import accounts, open311

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
GRAFFITI = {"service_code": "graffiti-removal", **CITY_HALL,
            "description": "Fresh tags on the wall by the bus stop.",
            "attributes": {"surface": "wall"}}
OPEN311_GRAFFITI = {"service_code": "graffiti-removal", "lat": "34.0537", "long": "-118.2427",
                    "attribute[surface]": "wall", "description": "Tags on the wall."}
PASSWORD = "hardening-pass-1"
# The owning crew of the matrix's work orders, and a crew that does not own them.
OWN_CREW, OTHER_CREW = "Sanitation North", "Graffiti Busters"
STAFF_ROLES = {"crew_own": ("crew", OWN_CREW), "crew_other": ("crew", OTHER_CREW),
               "dispatcher": ("dispatcher", None), "admin": ("admin", None)}


def engine_of(app):
    return app.extensions["frontdoor.db"]["engine"]


@dataclass
class Staff:
    """One account per staff role (made for these tests) and a bearer token for each."""

    app: object
    usernames: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def sign_in(self, role: str) -> None:
        """A fresh token (after a test signed this account out everywhere)."""
        answer = self.app.test_client().post(
            "/api/v1/auth/login", json={"username": self.usernames[role], "password": PASSWORD})
        assert answer.status_code == 201, answer.json
        self.tokens[role] = answer.json["token"]

    def user_id(self, role: str) -> int:
        answer = self.app.test_client().get("/api/v1/auth/me", headers=self.headers(role))
        return answer.json["id"]


@pytest.fixture(scope="session")
def staff(app) -> Staff:
    made = Staff(app)
    suffix = uuid.uuid4().hex[:6]
    with Session(engine_of(app)) as session:
        for role, (kind, crew) in STAFF_ROLES.items():
            name = f"hardening-{role}-{suffix}"
            accounts.create_user(session, username=name, password=PASSWORD, role=kind,
                                 crew=crew)
            made.usernames[role] = name
        session.commit()
    for role in STAFF_ROLES:
        made.sign_in(role)
    return made


@pytest.fixture
def api_key(app, client):
    """make_key(rate_limit=…) → a new Open311 key (emptied with the other tables)."""
    def make(rate_limit: int = 600) -> str:
        with Session(engine_of(app)) as session:
            key, _ = open311.create_api_key(session, f"hardening-{uuid.uuid4().hex[:8]}",
                                            rate_limit=rate_limit)
            session.commit()
        return key
    return make


@pytest.fixture
def limited_app(app, database_url, client):
    """make(**settings) → an app on the test database with rate limits on (in memory, unless
    RATELIMIT_STORAGE_URI says otherwise). Depends on `client` so tables are emptied after."""
    made = []

    def make(**settings):
        config = Config(DATABASE_URL=database_url, TESTING=True, RATELIMIT_ENABLED=True,
                        PHOTO_DIR=app.config["PHOTO_DIR"], **settings)
        limited = create_app(config, commands=False)
        made.append(limited)
        return limited

    yield make
    for limited in made:
        with limited.app_context():
            db.close_session()
        engine_of(limited).dispose()
