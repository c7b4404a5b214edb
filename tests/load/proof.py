"""After a load run: the database held to what the clients were told (``Ledger``).

- lost: something acknowledged that is not there (a submission, a photo, a work order,
  an assignment, a start, a completion);
- doubled: something stored twice (a report, a work order per request, a completion);
- inconsistent: the event log disagreeing with the final states, or a replay answered with
  another tracking number.

Reports of the run are found by the run id that their descriptions carry, whether or not
their submission was acknowledged, so a report stored twice under different keys, or
stored without an answer, is seen too.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from backend.db import make_engine
from backend.models import Event, Media, ServiceRequest, User, WorkOrder
from tests.load.ledger import Ledger

SR = ServiceRequest
CLOSED_WORK = {"completed", "could_not_complete", "cancelled"}
OPEN_REQUEST = {"submitted", "acknowledged", "in_progress", "reopened"}


MARKER = re.compile(r"\[([^\]]+)\]")


def description_marker(key: str) -> str:
    """What a report's description carries so it can be found without its key."""
    return f"[{key}]"


@dataclass
class Proof:
    counted: dict[str, int] = field(default_factory=dict)
    lost: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    doubled: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    inconsistent: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def lost_count(self) -> int:
        return sum(len(v) for v in self.lost.values())

    @property
    def doubled_count(self) -> int:
        return sum(len(v) for v in self.doubled.values())

    @property
    def inconsistent_count(self) -> int:
        return sum(len(v) for v in self.inconsistent.values())

    def problems(self) -> dict[str, list[str]]:
        """Every non-empty category, with up to five examples each."""
        found = {}
        for group, categories in (("lost", self.lost), ("doubled", self.doubled),
                                  ("inconsistent", self.inconsistent)):
            for name, examples in categories.items():
                if examples:
                    found[f"{group}: {name} ({len(examples)})"] = examples[:5]
        return found


def prove(database_url: str, ledger: Ledger) -> Proof:
    engine = make_engine(database_url)
    try:
        with engine.connect() as db:
            proof = Proof()
            requests = _run_requests(db, ledger)
            _check_submissions(db, ledger, requests, proof)
            _check_photos(db, ledger, requests, proof)
            events = _events_by_request(db, ledger)
            _check_request_timelines(requests, events, proof)
            _check_work_orders(db, ledger, requests, events, proof)
            return proof
    finally:
        engine.dispose()


def _run_marker(ledger: Ledger) -> str:
    """LIKE pattern of every description made in this run (keys start with the run id)."""
    return f"%[{ledger.run_id}-%"


def _run_requests(db: Connection, ledger: Ledger) -> dict[int, dict]:
    rows = db.execute(select(SR.id, SR.tracking, SR.idempotency_key, SR.status,
                             SR.description).where(SR.description.like(_run_marker(ledger))))
    return {row.id: row._asdict() for row in rows}


def _check_submissions(db: Connection, ledger: Ledger, requests: dict[int, dict],
                       proof: Proof) -> None:
    by_key = {r["idempotency_key"]: r for r in requests.values()}
    proof.counted["acknowledged submissions"] = len(ledger.submissions)
    proof.counted["stored reports of the run"] = len(requests)
    proof.counted["replays"] = ledger.replays
    # Their first answer was lost (a killed worker, a restart); the retry found them stored.
    proof.counted["submissions acknowledged on a retry"] = sum(
        1 for s in ledger.submissions.values() if s.first_answer == 200)
    for key, submission in ledger.submissions.items():
        stored = by_key.get(key)
        if stored is None:
            proof.lost["acknowledged submissions"].append(f"{key} → {submission.tracking}")
        elif stored["tracking"] != submission.tracking:
            proof.inconsistent["acknowledged tracking differs from stored"].append(
                f"{key}: told {submission.tracking}, stored {stored['tracking']}")
    per_marker = Counter(MARKER.search(r["description"]).group(1) for r in requests.values())
    proof.doubled["reports"] += [f"{k} stored {n}×" for k, n in per_marker.items() if n > 1]
    proof.inconsistent["stored but never acknowledged"] += [
        f"{r['tracking']} ({r['idempotency_key']})" for r in requests.values()
        if r["idempotency_key"] not in ledger.submissions]
    told = Counter(s.tracking for s in ledger.submissions.values())
    proof.doubled["tracking numbers told twice"] += [t for t, n in told.items() if n > 1]
    shared = db.execute(select(SR.tracking).group_by(SR.tracking)
                        .having(func.count() > 1)).scalars().all()
    proof.doubled["tracking numbers stored twice"] += list(shared)
    proof.inconsistent["replays answered with another tracking"] += [
        f"{key}: {first} then {later}" for key, first, later in ledger.replay_mismatches]


def _check_photos(db: Connection, ledger: Ledger, requests: dict[int, dict],
                  proof: Proof) -> None:
    proof.counted["acknowledged photos"] = len(ledger.photos)
    stored = {row.idempotency_key: row for row in db.execute(
        select(Media.idempotency_key, Media.public_id, Media.request_id)
        .where(Media.idempotency_key.like(f"{ledger.run_id}-%")))}
    for key, public_id in ledger.photos.items():
        row = stored.get(key)
        if row is None or row.public_id != public_id:
            proof.lost["acknowledged photos"].append(f"{key} → {public_id}")
    request_of = {r["tracking"]: request_id for request_id, r in requests.items()}
    by_public_id = {row.public_id: row for row in stored.values()}
    for submission in ledger.submissions.values():
        for public_id in submission.photos:
            row = by_public_id.get(public_id)
            if row is not None and row.request_id != request_of.get(submission.tracking):
                proof.inconsistent["photos not on their report"].append(
                    f"{public_id} of {submission.tracking}")


def _events_by_request(db: Connection, ledger: Ledger) -> dict[int, list]:
    rows = db.execute(select(Event.id, Event.request_id, Event.work_order_id, Event.kind,
                             Event.old_status, Event.new_status, Event.actor_id, Event.data)
                      .join(SR, SR.id == Event.request_id)
                      .where(SR.description.like(_run_marker(ledger))).order_by(Event.id))
    found: dict[int, list] = defaultdict(list)
    for row in rows:
        found[row.request_id].append(row)
    return found


def _check_request_timelines(requests: dict[int, dict], events: dict[int, list],
                             proof: Proof) -> None:
    proof.counted["events"] = sum(len(e) for e in events.values())
    for request_id, request in requests.items():
        kinds = Counter(e.kind for e in events[request_id])
        for once in ("created", "routed"):
            if kinds[once] > 1:
                proof.doubled[f"'{once}' events"].append(request["tracking"])
        photos = Counter((e.data or {}).get("photo") for e in events[request_id]
                         if e.kind == "photo")
        proof.doubled["'photo' events"] += [f"{request['tracking']}: {p}"
                                            for p, n in photos.items() if n > 1]
        timeline = [e for e in events[request_id] if e.kind in ("created", "status")]
        _check_chain(request["tracking"], timeline, request["status"],
                     proof.inconsistent["request status ≠ its last status event"])


def _check_chain(name: str, timeline: list, status: str, problems: list[str]) -> None:
    """Each change starts where the one before ended; the last ends at ``status``."""
    if not timeline:
        problems.append(f"{name}: no status events")
        return
    for before, after in zip(timeline, timeline[1:], strict=False):
        if after.old_status != before.new_status:
            problems.append(f"{name}: event {after.id} moves from {after.old_status}, "
                            f"but the one before ended at {before.new_status}")
    if timeline[-1].new_status != status:
        problems.append(f"{name}: {status}, last event says {timeline[-1].new_status}")


def _check_work_orders(db: Connection, ledger: Ledger, requests: dict[int, dict],
                       events: dict[int, list], proof: Proof) -> None:
    usernames = {row.id: row.username for row in db.execute(select(User.id, User.username))}
    rows = db.execute(select(WorkOrder.id, WorkOrder.request_id, WorkOrder.status,
                             WorkOrder.crew_id).where(WorkOrder.request_id.in_(
                                 select(SR.id).where(SR.description.like(_run_marker(ledger))))))
    work = {row.id: row for row in rows}
    proof.counted["work orders"] = len(work)
    proof.counted["acknowledged completions"] = len(ledger.completed)
    per_request = Counter(w.request_id for w in work.values())
    proof.doubled["work orders per request"] += [
        f"{requests[r]['tracking']}: {n}" for r, n in per_request.items() if n > 1]
    for tracking, work_order_id in ledger.work_orders.items():
        if work_order_id not in work:
            proof.lost["acknowledged work orders"].append(f"{work_order_id} on {tracking}")
    work_events: dict[int, list] = defaultdict(list)
    for timeline in events.values():
        for e in timeline:
            if e.kind == "work_order" and e.work_order_id is not None:
                work_events[e.work_order_id].append(e)
    for work_order_id, w in work.items():
        _check_one_work_order(w, work_events[work_order_id], ledger, usernames, proof)
    _check_resolved(requests, work, proof)


def _check_one_work_order(w, timeline: list, ledger: Ledger, usernames: dict[int, str],
                          proof: Proof) -> None:
    status = w.status.value if hasattr(w.status, "value") else w.status
    _check_chain(f"work order {w.id}", timeline, status,
                 proof.inconsistent["work order status ≠ its last event"])
    actions = [(e.data or {}).get("action") for e in timeline]
    completions = [e for e in timeline if e.new_status == "completed"]
    if status == "completed" and not completions:
        proof.inconsistent["completed work orders without a completion event"].append(str(w.id))
    if len(completions) > 1:
        proof.doubled["completion events"].append(f"work order {w.id}: {len(completions)}")
    if actions.count("start") > 1:
        proof.doubled["start events"].append(f"work order {w.id}")
    if w.id in ledger.assigned and not any(
            (e.data or {}).get("action") in ("assign", "reassign")
            and (e.data or {}).get("to_crew") == ledger.assigned[w.id] for e in timeline):
        proof.lost["acknowledged assignments"].append(str(w.id))
    if w.id in ledger.started and not any(
            (e.data or {}).get("action") == "start"
            and usernames.get(e.actor_id) == ledger.started[w.id] for e in timeline):
        proof.lost["acknowledged starts"].append(str(w.id))
    if w.id in ledger.completed:
        by = {usernames.get(e.actor_id) for e in completions}
        if status != "completed" or ledger.completed[w.id] not in by:
            proof.lost["acknowledged completions"].append(
                f"work order {w.id}: {status}, completed by {sorted(map(str, by))}")


def _check_resolved(requests: dict[int, dict], work: dict[int, object], proof: Proof) -> None:
    """A request whose work is all closed, some of it completed, is no longer open."""
    by_request: dict[int, list[str]] = defaultdict(list)
    for w in work.values():
        by_request[w.request_id].append(w.status.value if hasattr(w.status, "value")
                                        else w.status)
    for request_id, statuses in by_request.items():
        status = requests[request_id]["status"]
        status = status.value if hasattr(status, "value") else status
        done = all(s in CLOSED_WORK for s in statuses) and "completed" in statuses
        if done and status in OPEN_REQUEST:
            proof.inconsistent["work completed, request still open"].append(
                requests[request_id]["tracking"])
