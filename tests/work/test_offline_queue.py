"""A crew's offline queue: 100 actions (chains, duplicates, stale versions, refusals),
sent twice. Each is answered on its own; nothing is applied twice."""

from collections import Counter

from sqlalchemy import func, select

from backend.models import ClientAction, Event, Notification, User, WorkOrder
from tests.work.conftest import act, crew_named


def build_queue(orders, moved_away, old_versions):
    """25 chains of accept → start → complete, 10 duplicates, 10 stale, 5 refused."""
    queue, expected = [], {}
    for n, order in enumerate(orders):
        chain = [("accept", {"version": order.version}), ("start", {}), ("complete", {})]
        previous = None
        for step, (action, fields) in enumerate(chain):
            action_id = f"q{n:02d}-{step}-{action}"
            entry = {"action_id": action_id, "work_order_id": order.id, "action": action,
                     **(fields or {"based_on": previous})}
            queue.append(entry)
            expected[action_id] = "conflict" if order.id in moved_away else "applied"
            previous = action_id
    duplicates = [dict(queue[i]) for i in range(0, 30, 3)]  # the accepts, sent again
    for entry in duplicates:
        expected[entry["action_id"] + "#dup"] = (
            "conflict" if entry["work_order_id"] in moved_away else "already_applied")
    stale = [{"action_id": f"stale-{i:02d}", "work_order_id": old.id, "action": "accept",
              "version": version} for i, (old, version) in enumerate(old_versions)]
    expected |= {e["action_id"]: "conflict" for e in stale}
    refused = [{"action_id": f"refused-{i}", "work_order_id": old.id,
                "action": "could_not_complete", "version": version + 2, "reason": ""}
               for i, (old, version) in enumerate(old_versions[:4])]  # no reason given
    refused.append({"action_id": "refused-4", "work_order_id": 10**9, "action": "start",
                    "version": 1})
    expected["refused-4"] = "rejected"
    expected |= {f"refused-{i}": "rejected" for i in range(4)}
    mixed = queue[:40] + duplicates[:5] + stale[:5] + queue[40:] + duplicates[5:] + stale[5:]
    return mixed + refused, expected


def test_queue_of_100_replayed_twice(client, auth, make_work, db_session):
    orders = [make_work() for _ in range(25)]
    others = [make_work() for _ in range(10)]
    south = crew_named(db_session, "Sanitation South").id
    moved_away = set()
    for order in orders[-3:]:  # dispatch moves three away while the crew is offline
        answer = act(client, auth("dispatcher"), order.id, "reassign", order.version,
                     crew_id=south)
        assert answer.status_code == 200
        moved_away.add(order.id)
    old_versions = []
    for other in others:  # and touches ten more, so the versions the crew holds are stale
        answer = act(client, auth("dispatcher"), other.id, "reassign", other.version,
                     crew_id=south)
        back = act(client, auth("dispatcher"), other.id, "reassign",
                   answer.json["version"], crew_id=crew_named(db_session,
                                                              "Sanitation North").id)
        assert back.status_code == 200
        old_versions.append((other, other.version))
    queue, expected = build_queue(orders, moved_away, old_versions)
    assert len(queue) == 100

    first = client.post("/api/v1/sync/actions", headers=auth("crew"),
                        json={"actions": queue}).json["results"]
    outcomes = [r["outcome"] for r in first]
    keys = _keys(queue)
    assert dict(zip(keys, outcomes, strict=True)) == expected
    assert Counter(outcomes) == {"applied": 66, "already_applied": 10, "conflict": 19,
                                 "rejected": 5}
    conflict = next(r for r in first if r["action_id"] == "stale-00")
    assert conflict["work_order"]["version"] > 2 and conflict["error"]["code"] == \
        "stale_version"
    assert next(r for r in first if r["action_id"] == "refused-4")["error"]["code"] == \
        "unknown_work_order"
    assert next(r for r in first if r["action_id"] == "refused-0")["error"]["code"] == \
        "reason_required"

    second = client.post("/api/v1/sync/actions", headers=auth("crew"),
                         json={"actions": queue}).json["results"]
    for entry, before, after in zip(queue, first, second, strict=True):
        if before["outcome"] in ("applied", "already_applied"):
            assert after["outcome"] == "already_applied", entry
            assert after["work_order"] == before["work_order"]
        else:
            assert after["outcome"] == before["outcome"], entry

    db_session.rollback()
    db_session.expire_all()
    done = [o for o in orders if o.id not in moved_away]
    for order in done:
        row = db_session.get(WorkOrder, order.id)
        assert row.status == "completed" and row.version == 2 + 3  # assigned at 2
        actions = db_session.scalars(select(Event.data["action"].as_string()).where(
            Event.work_order_id == order.id, Event.kind == "work_order")).all()
        assert Counter(actions) == {"create": 1, "assign": 1, "accept": 1, "start": 1,
                                    "complete": 1}
    crew_actions = select(func.count(ClientAction.id)).join(
        User, User.id == ClientAction.user_id).where(User.username == "crew")
    assert db_session.scalar(crew_actions) == 66
    resolved = db_session.scalars(select(Event.request_id).where(
        Event.new_status == "resolved")).all()
    assert len(resolved) == len(set(resolved)) == len(done)
    assert db_session.scalar(select(func.count(Notification.id))) == 0  # no followers here


def _keys(queue):
    seen, keys = set(), []
    for entry in queue:
        key = entry["action_id"]
        keys.append(key + "#dup" if key in seen else key)
        seen.add(key)
    return keys
