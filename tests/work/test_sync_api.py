"""The sync feed over HTTP: a paged snapshot, then deltas with tombstones."""

from tests.work.conftest import act, crew_named


def pull(client, headers, since=None, limit=2):
    items, cursor = {}, since
    while True:
        query = f"?limit={limit}" + (f"&since={cursor}" if cursor else "")
        page = client.get("/api/v1/sync" + query, headers=headers)
        assert page.status_code == 200, page.json
        for change in page.json["changes"]:
            items[change["id"]] = change
        cursor = page.json["cursor"]
        if not page.json["has_more"]:
            return items, cursor


def test_snapshot_then_deltas_with_tombstones(client, auth, make_work, db_session):
    mine = [make_work() for _ in range(5)]
    make_work(crew="Graffiti Busters")
    snapshot, cursor = pull(client, auth("crew"))
    assert set(snapshot) == {w.id for w in mine}
    assert all(c["removed"] is None and c["work_order"]["crew"]["id"] for c in
               snapshot.values())
    again, same = pull(client, auth("crew"), cursor)
    assert again == {} and same == cursor

    south = crew_named(db_session, "Sanitation South").id
    act(client, auth("dispatcher"), mine[0].id, "reassign", mine[0].version, crew_id=south)
    act(client, auth("dispatcher"), mine[1].id, "cancel", mine[1].version)
    act(client, auth("dispatcher"), mine[2].id, "unassign", mine[2].version)
    started = act(client, auth("crew"), mine[3].id, "start", mine[3].version)
    new = make_work()
    delta, _ = pull(client, auth("crew"), cursor)
    assert {i: c["removed"] for i, c in delta.items()} == {
        mine[0].id: "reassigned", mine[1].id: "cancelled", mine[2].id: "unassigned",
        mine[3].id: None, new.id: None}
    assert delta[mine[3].id]["work_order"]["version"] == started.json["version"]
    assert delta[mine[0].id]["work_order"] is None


def test_feed_is_for_crews_and_refuses_foreign_cursors(client, auth):
    assert client.get("/api/v1/sync", headers=auth("dispatcher")).status_code == 403
    bad = client.get("/api/v1/sync?since=abc", headers=auth("crew"))
    assert bad.status_code == 422 and bad.json["code"] == "invalid_cursor"
