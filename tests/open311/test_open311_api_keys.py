"""API keys: admins manage them over the API and the command line; the demo has one."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import demo
from backend.models import ApiKey
from tests.open311.support import BASE, GRAFFITI, engine_of


def test_admin_creates_lists_changes_and_revokes_a_key(client, auth):
    made = client.post("/api/v1/apikeys", json={"name": "SeeClickFix", "rate_limit": 120},
                       headers=auth("admin"))
    assert made.status_code == 201, made.json
    key, key_id = made.json["key"], made.json["id"]
    assert made.json["rate_limit"] == 120 and made.json["active"] is True
    assert key.startswith(made.json["key_prefix"])

    listed = client.get("/api/v1/apikeys", headers=auth("admin")).json
    assert [k["name"] for k in listed] == ["SeeClickFix"]
    assert "key" not in listed[0] and key not in str(listed)

    assert client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": key}
                       ).status_code == 201
    changed = client.patch(f"/api/v1/apikeys/{key_id}", json={"rate_limit": 60},
                           headers=auth("admin"))
    assert changed.json["rate_limit"] == 60 and changed.json["last_used_at"]

    revoked = client.delete(f"/api/v1/apikeys/{key_id}", headers=auth("admin"))
    assert revoked.status_code == 200 and revoked.json["active"] is False
    assert client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": key}
                       ).status_code == 403


def test_only_admins_manage_keys(client, auth):
    assert client.get("/api/v1/apikeys").status_code == 401
    assert client.get("/api/v1/apikeys", headers=auth("dispatcher")).status_code == 403
    assert client.post("/api/v1/apikeys", json={"name": "x"},
                       headers=auth("crew")).status_code == 403


def test_key_names_are_unique_and_limits_bounded(client, auth):
    assert client.post("/api/v1/apikeys", json={"name": "app"},
                       headers=auth("admin")).status_code == 201
    again = client.post("/api/v1/apikeys", json={"name": "app"}, headers=auth("admin"))
    assert again.status_code == 409 and again.json["code"] == "api_key_exists"
    bad = client.post("/api/v1/apikeys", json={"name": "b", "rate_limit": 0},
                      headers=auth("admin"))
    assert bad.status_code == 422
    assert client.get("/api/v1/apikeys/999999", headers=auth("admin")).status_code == 404


def test_command_line_creates_lists_and_revokes(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["apikeys", "create", "Open311 Mobile", "--rate-limit", "90"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().rsplit(" ", 1)[-1]
    assert client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": key}
                       ).status_code == 201
    listed = runner.invoke(args=["apikeys", "list"])
    assert "Open311 Mobile" in listed.output and "90/hour" in listed.output
    assert key not in listed.output
    duplicate = runner.invoke(args=["apikeys", "create", "Open311 Mobile"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    assert runner.invoke(args=["apikeys", "revoke", "Open311 Mobile"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["apikeys", "list"]).output
    assert client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": key}
                       ).status_code == 403
    assert runner.invoke(args=["apikeys", "revoke", "nobody"]).exit_code != 0


def test_demo_key_works_and_only_its_hash_is_stored(app, client):
    with Session(engine_of(app)) as db:
        key = demo.load_api_key(db)
        assert demo.load_api_key(db) == key  # loading twice changes nothing
        db.commit()
        stored = db.scalar(select(ApiKey).where(ApiKey.name == "demo"))
        assert stored.key_hash != key and key not in stored.key_hash
    assert key == "frontdoor-demo-key"
    assert client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": key}
                       ).status_code == 201
