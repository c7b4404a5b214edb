"""Staff sign-in, roles on staff endpoints, and editing the catalog."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.models import AuthToken
from backend.models.types import utcnow
from backend.services import accounts

NEW_SERVICE = {
    "code": "pothole-test", "name": "Pothole", "group": "Streets", "sla_hours": 72,
    "attributes": [
        {"code": "depth", "datatype": "singlevaluelist", "description": "How deep?",
         "required": True, "values": [{"key": "shallow", "name": "Shallow"},
                                      {"key": "deep", "name": "Deep"}]}],
}


def test_login_and_me(client):
    answer = client.post("/api/v1/auth/login",
                         json={"username": "dispatcher", "password": "frontdoor-dispatch"})
    assert answer.status_code == 201
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {answer.json['token']}"})
    assert me.json["role"] == "dispatcher" and "password" not in str(me.json)


@pytest.mark.parametrize("password", ["wrong", ""])
def test_wrong_password(client, password):
    answer = client.post("/api/v1/auth/login", json={"username": "admin", "password": password})
    assert answer.status_code in (401, 422)
    assert "token" not in answer.json


def test_unknown_user_looks_like_wrong_password(client):
    answer = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "x" * 9})
    assert answer.status_code == 401 and answer.json["code"] == "invalid_credentials"


def test_forged_token(client):
    answer = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"})
    assert answer.status_code == 401 and answer.json["code"] == "invalid_token"


def test_expired_token(client, db_session):
    token = client.post("/api/v1/auth/login",
                        json={"username": "crew", "password": "frontdoor-crew"}).json["token"]
    db_session.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1))
                       .where(AuthToken.token_hash == accounts._digest(token)))
    db_session.commit()
    answer = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and answer.json["code"] == "token_expired"


def test_sign_out_everywhere(client, db_session):
    # An account of its own: the shared demo accounts' session tokens must stay valid.
    accounts.create_user(db_session, username="leaving", password="leaving-crew",
                         role="crew", display_name="Leaving")
    db_session.commit()
    login = {"username": "leaving", "password": "leaving-crew"}
    first = client.post("/api/v1/auth/login", json=login).json["token"]
    second = client.post("/api/v1/auth/login", json=login).json["token"]
    out = client.post("/api/v1/auth/logout-everywhere",
                      headers={"Authorization": f"Bearer {first}"})
    assert out.status_code == 204
    for token in (first, second):
        assert client.get("/api/v1/auth/me",
                          headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_only_admins_edit_the_catalog(client, auth):
    assert client.post("/api/v1/services", json=NEW_SERVICE).status_code == 401
    assert client.post("/api/v1/services", json=NEW_SERVICE,
                       headers=auth("dispatcher")).status_code == 403


def test_admin_creates_and_edits_a_service(client, auth):
    code = NEW_SERVICE["code"]
    created = client.post("/api/v1/services", json=NEW_SERVICE, headers=auth("admin"))
    if created.status_code == 409:  # made by this test on the other run of the session
        client.patch(f"/api/v1/services/{code}", json={"name": "Pothole"}, headers=auth("admin"))
    else:
        assert created.status_code == 201, created.json
    assert client.post("/api/v1/services", json=NEW_SERVICE,
                       headers=auth("admin")).json["code"] == "service_exists"
    edited = client.patch(f"/api/v1/services/{code}", headers=auth("admin"),
                          json={"name": "Pothole or sinkhole", "public": False})
    assert edited.status_code == 200 and edited.json["name"] == "Pothole or sinkhole"
    assert code not in {s["code"] for s in client.get("/api/v1/services").json}
    assert code in {s["code"] for s in client.get("/api/v1/services",
                                                  headers=auth("admin")).json}
    assert client.get(f"/api/v1/services/{code}").status_code == 404


def test_list_attribute_without_values_is_refused(client, auth):
    broken = {**NEW_SERVICE, "code": "broken-list",
              "attributes": [{"code": "x", "datatype": "singlevaluelist", "description": "?"}]}
    answer = client.post("/api/v1/services", json=broken, headers=auth("admin"))
    assert answer.status_code == 422 and answer.json["code"] == "invalid_attribute_definition"


def test_openapi_document_and_docs(client):
    spec = client.get("/api/openapi.json").json
    assert "/api/v1/requests" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert client.get("/api/docs").status_code == 200


def test_pwa_is_served(client):
    with client.get("/") as page:
        assert page.status_code == 200 and b"Frontdoor" in page.data
