"""Audit: every staff action on a request or a work order leaves its events in the timeline
with who did it and when. The walk goes through the API as staff would, and after each
action checks every event the action wrote: its actor is the person who acted, its time
between the action's start and end.
"""

import io
import uuid
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from backend.models import Event, Notification, User
from backend.models.notify import DeliveryStatus
from backend.models.types import utcnow

V1 = "/api/v1"
CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
# Written by the system as a consequence, on the resident's behalf, never a staff act: the
# reporter's email subscription (and the confirmation message it queues).
NOT_STAFF_ACTS = {"subscribed"}
# Clocks: an event's time is the database session's, read at the flush.
SLACK = timedelta(seconds=1)


def jpeg(colour=(30, 120, 200)) -> tuple[io.BytesIO, str]:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    out.seek(0)
    return out, "photo.jpg"


class Trail:
    """Runs one staff action and returns the events it wrote, checked."""

    def __init__(self, client, db_session, auth):
        self.client, self.db, self.auth = client, db_session, auth
        self.ids = {name: db_session.scalar(select(User.id).where(User.username == name))
                    for name in ("admin", "dispatcher", "crew")}
        self.walked: list[tuple[str, str, str]] = []  # (who, action, event kind)

    def act(self, who: str, action: str, method: str, path: str, *, expect=200,
            kinds: set[str], **kwargs):
        before = self._last_event_id()
        started = utcnow()
        answer = self.client.open(path, method=method, headers={
            **self.auth(who), **kwargs.pop("headers", {})}, **kwargs)
        ended = utcnow()
        assert answer.status_code == expect, (action, answer.json)
        events = self._events_after(before)
        staff_events = [e for e in events if e.kind not in NOT_STAFF_ACTS]
        assert kinds <= {e.kind for e in staff_events}, (action, [e.kind for e in events])
        for e in staff_events:
            assert e.actor_id == self.ids[who], f"{action}: {e.kind} {e.data} has no actor"
            assert started - SLACK <= e.created_at <= ended + SLACK, (action, e.kind)
            self.walked.append((who, action, e.kind))
        return answer

    def _last_event_id(self) -> int:
        self.db.rollback()  # a fresh snapshot: see what the request committed
        return self.db.scalar(select(func.coalesce(func.max(Event.id), 0)))

    def _events_after(self, event_id: int) -> list[Event]:
        self.db.rollback()
        return list(self.db.scalars(select(Event).where(Event.id > event_id)
                                    .order_by(Event.id)))


@pytest.fixture
def trail(client, db_session, auth):
    return Trail(client, db_session, auth)


def report(client, headers=None, **extra) -> str:
    body = {"service_code": "graffiti-removal", "attributes": {"surface": "wall"},
            "description": "Tags on the wall.", **CITY_HALL, **extra}
    answer = client.post(f"{V1}/requests", json=body, headers=headers or {})
    assert answer.status_code == 201, answer.json
    return answer.json["tracking"]


def photo(client, kind="report") -> str:
    answer = client.post(f"{V1}/photos", data={"photo": jpeg(), "kind": kind},
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def work_order(client, auth, tracking: str) -> dict:
    return client.get(f"{V1}/workorders", query_string={"tracking": tracking},
                      headers=auth("dispatcher")).json[0]


def crew_id(client, auth, name: str) -> int:
    crews = client.get(f"{V1}/dispatch/crews", headers=auth("dispatcher")).json
    return next(c["id"] for c in crews if c["name"] == name)


def action_call(trail, who, work: dict, name: str, kinds: set[str], **fields):
    return trail.act(who, name, "POST", f"{V1}/workorders/{work['id']}/actions",
                     kinds=kinds, json={"action": name, **fields},
                     headers={"If-Match": f'"{work["version"]}"',
                              "Idempotency-Key": f"audit-{uuid.uuid4().hex}"}).json


def test_every_staff_action_on_requests_and_work_orders_names_who_and_when(
        trail, client, auth):
    graffiti_busters = crew_id(client, auth, "Graffiti Busters")
    sanitation = crew_id(client, auth, "Sanitation North")  # the demo account crew's

    # A call-taker reports on a caller's behalf, with a photo.
    tracking = trail.act("dispatcher", "report by phone", "POST", f"{V1}/requests",
                         expect=201, kinds={"created", "routed", "photo"}, json={
                             "service_code": "metal-household-appliances", **CITY_HALL,
                             "channel": "phone", "description": "A fridge on the kerb.",
                             "photos": [photo(client)],
                             "contact": {"name": "Caller", "email": "caller@example.org"}},
                         ).json["tracking"]
    trail.act("dispatcher", "status", "POST", f"{V1}/requests/{tracking}/status",
              kinds={"status"}, json={"status": "acknowledged", "note": "Seen."})
    trail.act("dispatcher", "priority", "POST", f"{V1}/requests/{tracking}/priority",
              kinds={"priority"}, json={"priority": "high"})

    # Moderation of a resident's photo.
    resident_photo = photo(client)
    reported = report(client, photos=[resident_photo])
    trail.act("dispatcher", "hide photo", "POST", f"{V1}/photos/{resident_photo}/hide",
              kinds={"photo_hidden"}, json={"hidden": True, "reason": "A face."})
    trail.act("admin", "show photo", "POST", f"{V1}/photos/{resident_photo}/hide",
              kinds={"photo_shown"}, json={"hidden": False})
    trail.act("admin", "redact photo", "POST", f"{V1}/photos/{resident_photo}/redact",
              kinds={"photo_redacted"}, json={"x": 0.1, "y": 0.1, "width": 0.3,
                                               "height": 0.2})

    # Merging: an earlier duplicate of the merged report is re-pointed too.
    earlier = report(client)
    trail.act("dispatcher", "merge", "POST", f"{V1}/requests/{earlier}/merge",
              kinds={"status", "merged"}, json={"into": reported})
    trail.act("admin", "merge with a chain", "POST", f"{V1}/requests/{reported}/merge",
              kinds={"status", "merged"}, json={"into": tracking})

    # Field work: create, assign by list and by area, reassign, unassign, cancel.
    made = trail.act("dispatcher", "create work order", "POST", f"{V1}/workorders",
                     expect=201, kinds={"work_order"}, json={"tracking": tracking}).json
    trail.act("dispatcher", "assign", "POST", f"{V1}/dispatch/assign", kinds={"work_order"},
              json={"work_orders": [made["id"]], "crew_id": graffiti_busters})
    work = work_order(client, auth, tracking)
    work = action_call(trail, "dispatcher", work, "reassign", {"work_order"},
                       crew_id=sanitation)
    work = action_call(trail, "admin", work, "unassign", {"work_order"})
    trail.act("dispatcher", "assign by area", "POST", f"{V1}/dispatch/assign-area",
              kinds={"work_order"}, json={"bbox": [-118.25, 34.05, -118.24, 34.06],
                                          "crew_id": sanitation})
    work = work_order(client, auth, tracking)

    # The crew: accept, start (the request is in progress), complete with a proof photo
    # (the request and its duplicates are resolved).
    work = action_call(trail, "crew", work, "accept", {"work_order"})
    work = action_call(trail, "crew", work, "start", {"work_order", "status"})
    proof = photo(client, kind="proof")
    action_call(trail, "crew", work, "complete", {"work_order", "photo", "status",
                                                  "primary_resolved"},
                notes="Taken away.", photos=[proof])
    trail.act("dispatcher", "close", "POST", f"{V1}/requests/{tracking}/status",
              kinds={"status"}, json={"status": "closed"})

    # Another job: could not complete (crew, from its offline queue), then cancelled.
    second = report(client, service_code="metal-household-appliances", attributes={})
    made = trail.act("admin", "create assigned work order", "POST", f"{V1}/workorders",
                     expect=201, kinds={"work_order"},
                     json={"tracking": second, "crew_id": sanitation}).json
    trail.act("crew", "queued start", "POST", f"{V1}/sync/actions",
              kinds={"work_order", "status"}, json={"actions": [{
                  "action": "start", "work_order_id": made["id"], "version": made["version"],
                  "action_id": f"audit-{uuid.uuid4().hex}"}]})
    work = action_call(trail, "crew", work_order(client, auth, second), "could_not_complete",
                       {"work_order"}, reason="Blocked by a parked truck.")
    action_call(trail, "dispatcher", work, "cancel", {"work_order"})

    kinds = {kind for _, _, kind in trail.walked}
    assert {"created", "routed", "photo", "status", "priority", "photo_hidden", "photo_shown",
            "photo_redacted", "merged", "work_order", "primary_resolved"} <= kinds
    assert {who for who, _, _ in trail.walked} == {"admin", "dispatcher", "crew"}


def test_retrying_a_message_is_recorded_with_who(trail, client, db_session):
    tracking = report(client, contact={"email": "follower@example.org"})
    db_session.rollback()
    message = db_session.scalar(select(Notification).order_by(Notification.id.desc()))
    message.status = DeliveryStatus.DEAD
    db_session.commit()
    trail.act("dispatcher", "retry message", "POST", f"{V1}/outbox/{message.id}/retry",
              kinds={"message_retried"})
    events = client.get(f"{V1}/requests/{tracking}").json["timeline"]
    assert "message_retried" not in {e["kind"] for e in events}  # staff's business only
