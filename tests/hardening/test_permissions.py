"""The permission matrix (tests/hardening/permissions.py), walked in full on both databases,
and kept complete: a route the matrix does not list fails the suite."""

import pytest

from tests.hardening.permissions import ROLES, ROWS, World

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - IGNORED_METHODS}


def test_every_route_is_in_the_matrix(app):
    listed = {(row.endpoint, row.method) for row in ROWS}
    missing = sorted(routes(app) - listed)
    assert not missing, ("routes with no row in tests/hardening/permissions.py — say who may "
                         f"call them: {missing}")


def test_every_row_states_every_role():
    for row in ROWS:
        assert set(row.expect) == set(ROLES), row.id
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows share an id: give one a case"


@pytest.fixture
def world(app, staff, client):
    return World(app, staff)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_permission(row, app, client, world, staff):
    if (row.endpoint, row.method) not in routes(app):
        pytest.skip(f"{row.endpoint} is not in this app")
    wrong = []
    for role in ROLES:
        call = row.call(world, role)
        answer = client.open(call.path, method=row.method, query_string=call.query,
                             json=call.json, data=call.form,
                             headers={**world.headers(role), **call.headers})
        body = answer.get_data()  # read to the end: streamed answers close
        answer.close()
        if answer.status_code != row.expect[role]:
            wrong.append(f"{role}: {answer.status_code} (expected {row.expect[role]}) "
                         f"{body[:200]!r}")
        elif row.endpoint == "sync.Queue" and answer.status_code == 200:
            result = answer.json["results"][0]["outcome"]
            expected = "rejected" if role == "crew_other" else "applied"
            if result != expected:
                wrong.append(f"{role}: queued action {result} (expected {expected})")
        if row.signs_out and role in staff.tokens:
            staff.sign_in(role)
    assert not wrong, f"{row.id}:\n" + "\n".join(wrong)
