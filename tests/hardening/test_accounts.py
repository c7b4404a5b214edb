"""Staff accounts: passwords hashed with argon2id at a sound cost, tokens stored only as
hashes, expiring, revoked everywhere at once, and dead with a deactivated account."""

import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.models import AuthToken, User
from backend.models.types import utcnow
from backend.services import accounts
from tests.hardening.conftest import engine_of

PASSWORD = "a-long-enough-secret"


def new_user(app, role: str = "dispatcher") -> str:
    name = f"accounts-{uuid.uuid4().hex[:8]}"
    with Session(engine_of(app)) as db:
        accounts.create_user(db, username=name, password=PASSWORD, role=role)
        db.commit()
    return name


def sign_in(client, name: str) -> dict:
    answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 201, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}"}


def test_passwords_are_argon2id_at_a_sound_cost(app):
    name = new_user(app)
    with Session(engine_of(app)) as db:
        stored = db.scalar(select(User.password_hash).where(User.username == name))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    cost = dict(re.findall(r"([mtp])=(\d+)", stored))
    # OWASP's floor for argon2id: 19 MiB with 2 passes (or more memory for fewer passes).
    assert int(cost["m"]) >= 19 * 1024 and int(cost["t"]) >= 2 and int(cost["p"]) >= 1


def test_tokens_are_stored_only_as_hashes(app, client):
    name = new_user(app)
    token = sign_in(client, name)["Authorization"].split()[1]
    with Session(engine_of(app)) as db:
        stored = db.scalars(select(AuthToken.token_hash).join(User)
                            .where(User.username == name)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_an_expired_token_is_refused(app, client):
    name = new_user(app)
    headers = sign_in(client, name)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with Session(engine_of(app)) as db:
        user_id = db.scalar(select(User.id).where(User.username == name))
        db.execute(update(AuthToken).where(AuthToken.user_id == user_id)
                   .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    answer = client.get("/api/v1/auth/me", headers=headers)
    assert answer.status_code == 401 and answer.json["code"] == "token_expired"


def test_tokens_expire_after_the_configured_hours(app, client):
    name = new_user(app)
    answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    remaining = datetime.fromisoformat(answer.json["expires_at"]) - utcnow()
    hours = app.config["TOKEN_HOURS"]
    assert timedelta(hours=hours) - timedelta(minutes=1) < remaining <= timedelta(hours=hours)


def test_signing_out_everywhere_revokes_every_token_of_that_user_only(app, client):
    name, other = new_user(app), new_user(app)
    phone, laptop, others = sign_in(client, name), sign_in(client, name), sign_in(client, other)
    assert client.post("/api/v1/auth/logout-everywhere", headers=phone).status_code == 204
    for headers in (phone, laptop):
        answer = client.get("/api/v1/auth/me", headers=headers)
        assert answer.status_code == 401 and answer.json["code"] == "invalid_token"
    assert client.get("/api/v1/auth/me", headers=others).status_code == 200
    assert client.get("/api/v1/auth/me", headers=sign_in(client, name)).status_code == 200


def test_a_deactivated_account_can_neither_use_nor_get_a_token(app, client):
    name = new_user(app)
    headers = sign_in(client, name)
    with Session(engine_of(app)) as db:
        db.execute(update(User).where(User.username == name).values(active=False))
        db.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 401 and answer.json["code"] == "invalid_credentials"


def test_wrong_user_and_wrong_password_look_the_same(app, client):
    name = new_user(app)
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody-at-all",
                                                       "password": PASSWORD})
    wrong = client.post("/api/v1/auth/login", json={"username": name, "password": "not-it-1"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json == wrong.json
