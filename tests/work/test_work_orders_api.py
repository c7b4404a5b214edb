"""Dispatch and crews over HTTP: creating, acting, permissions, closing the loop, privacy."""

import uuid

from sqlalchemy import select

from backend.models import (
    Event,
    Media,
    Notification,
    NotifyChannel,
    Service,
    Subscription,
    WorkOrder,
)
from tests.work.conftest import act, crew_named


def report(client, service="bulky-items", attributes=None):
    answer = client.post("/api/v1/requests", json={
        "service_code": service, "lat": 34.0537, "lon": -118.2427,
        "description": "A sofa on the pavement.",
        "attributes": attributes or {"items": ["furniture"]}})
    assert answer.status_code == 201, answer.json
    return answer.json["tracking"]


def test_dispatch_creates_crew_acts_and_request_resolves(client, auth, db_session):
    tracking = report(client)
    sub = Subscription(request_id=_request_id(db_session, tracking),
                       channel=NotifyChannel.EMAIL, address="rosa@example.org",
                       token=uuid.uuid4().hex, confirmed=True)  # unconfirmed hear nothing
    db_session.add(sub)
    db_session.commit()
    crew = crew_named(db_session, "Sanitation North")
    created = client.post("/api/v1/workorders", headers=auth("dispatcher"), json={
        "tracking": tracking, "crew_id": crew.id, "instructions": "Bring the big truck."})
    assert created.status_code == 201, created.json
    order = created.json
    assert order["status"] == "assigned" and order["crew"]["name"] == "Sanitation North"
    assert created.headers["ETag"] == f'"{order["version"]}"'

    accepted = act(client, auth("crew"), order["id"], "accept", order["version"])
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    started = act(client, auth("crew"), order["id"], "start", accepted.json["version"])
    assert client.get(f"/api/v1/requests/{tracking}").json["status"] == "in_progress"
    done = act(client, auth("crew"), order["id"], "complete", started.json["version"],
               notes="Collected; internal: gate code 4411")
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed" and done.headers["ETag"] == \
        f'"{done.json["version"]}"'

    public = client.get(f"/api/v1/requests/{tracking}").json
    assert public["status"] == "resolved"
    text = str(public)
    assert "Sanitation North" not in text and "4411" not in text
    assert "Bring the big truck" not in text and "work_order" not in text
    db_session.rollback()  # end the read snapshot begun above; see what the API committed
    outbox = db_session.scalars(select(Notification).where(
        Notification.template == "resolved")).all()
    assert [(n.template, n.subscription_id) for n in outbox] == [("resolved", sub.id)]
    resolved = db_session.get(Event, outbox[0].event_id)
    assert outbox[0].idempotency_key == f"{resolved.id}:{sub.id}"
    assert resolved.new_status == "resolved"
    kinds = db_session.scalars(select(Event.data).where(Event.work_order_id == order["id"])
                               .order_by(Event.id))
    assert [d["action"] for d in kinds] == ["create", "assign", "accept", "start", "complete"]


def _request_id(db_session, tracking):
    from backend.models import ServiceRequest
    return db_session.scalar(select(ServiceRequest.id).where(ServiceRequest.tracking == tracking))


def test_request_stays_open_while_another_work_order_is(client, auth, make_work, db_session):
    first = make_work()
    second = make_work()
    second_row = db_session.get(WorkOrder, second.id)
    second_row.request_id = first.request_id  # inspect, then repair: one request, two jobs
    db_session.commit()
    version = first.version
    for action in ("start", "complete"):
        answer = act(client, auth("crew"), first.id, action, version)
        assert answer.status_code == 200, answer.json
        version = answer.json["version"]
    assert answer.json["request"]["status"] == "in_progress"
    db_session.rollback()
    db_session.expire_all()
    version = db_session.get(WorkOrder, second.id).version
    for action in ("start", "complete"):
        answer = act(client, auth("crew"), second.id, action, version)
        version = answer.json["version"]
    assert answer.json["request"]["status"] == "resolved"


def test_proof_photo_required_and_joins_public_timeline(client, auth, make_work, db_session):
    order = make_work(crew="Graffiti Busters", service="graffiti-removal")
    started = act(client, auth("crew2"), order.id, "start", order.version)
    missing = act(client, auth("crew2"), order.id, "complete", started.json["version"])
    assert missing.status_code == 422 and missing.json["code"] == "proof_required"
    unknown = act(client, auth("crew2"), order.id, "complete", started.json["version"],
                  photos=["nope-nope"])
    assert unknown.status_code == 422 and unknown.json["code"] == "unknown_photo"
    db_session.add(Media(public_id="proofphoto0001", content_hash="0" * 64, width=4,
                         height=3, size_bytes=10, variants={"display": {"key": "x"}}))
    db_session.commit()
    done = act(client, auth("crew2"), order.id, "complete", started.json["version"],
               photos=["proofphoto0001"])
    assert done.status_code == 200, done.json
    tracking = done.json["request"]["tracking"]
    public = client.get(f"/api/v1/requests/{tracking}").json
    assert [p["id"] for p in public["photos"]] == ["proofphoto0001"]
    assert public["photos"][0]["kind"] == "proof"
    assert [e["kind"] for e in public["timeline"]][-2:] in (["photo", "status"],
                                                           ["status", "photo"])


def test_if_match_and_action_id_are_required(client, auth, make_work):
    order = make_work()
    url = f"/api/v1/workorders/{order.id}/actions"
    no_match = client.post(url, json={"action": "accept"},
                           headers={**auth("crew"), "Idempotency-Key": "abcdefgh-1"})
    assert no_match.status_code == 428 and no_match.json["code"] == "if_match_required"
    no_key = client.post(url, json={"action": "accept"},
                         headers={**auth("crew"), "If-Match": '"2"'})
    assert no_key.status_code == 422 and no_key.json["code"] == "action_id_required"
    bad = client.post(url, json={"action": "accept"},
                      headers={**auth("crew"), "If-Match": "soon", "Idempotency-Key": "k" * 9})
    assert bad.status_code == 422 and bad.json["code"] == "invalid_if_match"
    unknown = act(client, auth("crew"), order.id, "fly", order.version)
    assert unknown.status_code == 422


def test_replay_answers_the_first_result_and_changes_nothing(client, auth, make_work,
                                                             db_session):
    order = make_work()
    first = act(client, auth("crew"), order.id, "accept", order.version, key="same-key-1")
    again = act(client, auth("crew"), order.id, "accept", order.version, key="same-key-1")
    assert first.status_code == again.status_code == 200
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(WorkOrder, order.id).version == first.json["version"]
    other = act(client, auth("crew"), order.id, "start", first.json["version"],
                key="same-key-1")
    assert other.status_code == 409 and other.json["code"] == "action_id_reused"


def test_stale_version_gets_409_with_current_state(client, auth, make_work, db_session):
    order = make_work()
    moved = act(client, auth("dispatcher"), order.id, "reassign", order.version,
                crew_id=crew_named(db_session, "Sanitation South").id)
    assert moved.status_code == 200, moved.json
    late = act(client, auth("crew"), order.id, "accept", order.version)
    assert late.status_code == 409 and late.json["code"] == "stale_version"
    assert "Sanitation South" in late.json["message"]
    assert late.json["details"]["work_order"]["crew"]["name"] == "Sanitation South"
    assert late.json["details"]["current_version"] == moved.json["version"]


def test_crews_act_only_on_their_own_work(client, auth, make_work, db_session):
    theirs = make_work(crew="Graffiti Busters")
    refused = act(client, auth("crew"), theirs.id, "accept", theirs.version)
    assert refused.status_code == 403 and refused.json["code"] == "not_your_work_order"
    assert client.get(f"/api/v1/workorders/{theirs.id}", headers=auth("crew")).status_code \
        == 403
    mine = make_work()
    assign = act(client, auth("crew"), mine.id, "reassign", mine.version, crew_id=1)
    assert assign.status_code == 403 and assign.json["code"] == "dispatchers_assign"
    assert client.post("/api/v1/dispatch/assign", headers=auth("crew"),
                       json={"work_orders": [mine.id], "crew_id": 1}).status_code == 403


def test_self_assignment_only_where_the_service_allows(client, auth, make_work, db_session):
    loose = make_work(crew=None)
    refused = act(client, auth("crew"), loose.id, "accept", loose.version)
    assert refused.status_code == 403
    service = db_session.scalar(select(Service).where(Service.code == "bulky-items"))
    service.crews_self_assign = True
    db_session.commit()
    try:
        taken = act(client, auth("crew"), loose.id, "accept", loose.version)
        assert taken.status_code == 200, taken.json
        assert taken.json["crew"]["name"] == "Sanitation North"
        assert taken.json["status"] == "accepted"
    finally:
        service.crews_self_assign = False
        db_session.commit()


def test_could_not_complete_needs_reason(client, auth, make_work):
    order = make_work()
    refused = act(client, auth("crew"), order.id, "could_not_complete", order.version)
    assert refused.status_code == 422 and refused.json["code"] == "reason_required"
    done = act(client, auth("crew"), order.id, "could_not_complete", order.version,
               reason="Car parked on it")
    assert done.json["status"] == "could_not_complete" and done.json["reason"] == \
        "Car parked on it"


def test_crew_day_sorted_by_distance_with_tour_and_unassigned(client, auth, make_work):
    near = make_work(lon=-118.2430, lat=34.0540)
    far = make_work(lon=-118.2600, lat=34.0700)
    middle = make_work(lon=-118.2500, lat=34.0600)
    loose = make_work(crew=None, lon=-118.2440, lat=34.0545)
    make_work(crew="Graffiti Busters", lon=-118.2431, lat=34.0541)
    day = client.get("/api/v1/crew/workorders?near=34.0537,-118.2427",
                     headers=auth("crew")).json
    assert [w["id"] for w in day["mine"]] == [near.id, middle.id, far.id]
    distances = [w["distance_m"] for w in day["mine"]]
    assert distances == sorted(distances) and 30 < distances[0] < 60
    assert day["tour"] == [near.id, middle.id, far.id] and day["tour_m"] > distances[-1]
    assert [w["id"] for w in day["unassigned"]] == [loose.id]
    bad = client.get("/api/v1/crew/workorders?near=north", headers=auth("crew"))
    assert bad.status_code == 422


def test_positions_and_suggested_crews(client, auth, make_work, crew_member):
    order = make_work(crew=None, lon=-118.2427, lat=34.0537)
    assert client.post("/api/v1/crew/position", headers=auth("crew"),
                       json={"lat": 34.06, "lon": -118.25}).status_code == 200
    other = crew_member("Sanitation South")
    client.post("/api/v1/crew/position", headers=other, json={"lat": 34.054, "lon": -118.243})
    stale = client.post("/api/v1/crew/position", headers=auth("crew"),
                        json={"lat": 1.0, "lon": 1.0, "recorded_at": "2020-01-01T00:00:00Z"})
    assert stale.json["lat"] == 34.06  # an old ping sent late changes nothing
    positions = client.get("/api/v1/dispatch/positions", headers=auth("dispatcher")).json
    assert {p["crew"]["name"] for p in positions} == {"Sanitation North", "Sanitation South"}
    suggested = client.get(f"/api/v1/dispatch/workorders/{order.id}/suggested-crews",
                           headers=auth("dispatcher")).json
    assert [s["crew"]["name"] for s in suggested] == ["Sanitation South", "Sanitation North"]
    assert suggested[0]["distance_m"] < suggested[1]["distance_m"]


def test_assign_list_reports_skips(client, auth, make_work, db_session):
    ready = make_work(crew=None)
    busy = make_work()
    busy_row = db_session.get(WorkOrder, busy.id)
    busy_row.status = "in_progress"
    db_session.commit()
    stale = make_work(crew=None)
    south = crew_named(db_session, "Sanitation South").id
    answer = client.post("/api/v1/dispatch/assign", headers=auth("dispatcher"), json={
        "work_orders": [ready.id, busy.id, stale.id, 999999], "crew_id": south,
        "versions": {str(stale.id): stale.version + 5}})
    assert answer.status_code == 200, answer.json
    assert answer.json["assigned"] == [ready.id]
    assert {(s["id"], s["reason"]) for s in answer.json["skipped"]} == {
        (busy.id, "in_progress"), (stale.id, "version_conflict"), (999999, "not_found")}
