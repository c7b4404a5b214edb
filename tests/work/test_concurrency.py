"""Concurrent crews on real threads: one winner per work order, and a sync feed that misses
nothing while others write."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from backend.models import User, WorkOrder, WorkStatus
from backend.services import crew_sync, work_orders
from tests.work.conftest import act, crew_named


def test_two_members_complete_at_once_exactly_one_wins(app, client, auth, make_work,
                                                       crew_member):
    members = [auth("crew"), crew_member("Sanitation North")]
    for _ in range(3):
        order = make_work()
        started = act(client, members[0], order.id, "start", order.version)
        version = started.json["version"]
        barrier = threading.Barrier(2)

        def complete(headers, version=version, order_id=order.id, barrier=barrier):
            barrier.wait()
            return act(app.test_client(), headers, order_id, "complete", version,
                       notes="done")

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(complete, members))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.json["code"] == "stale_version"
        assert loser.json["details"]["work_order"]["status"] == "completed"
        events = client.get(f"/api/v1/requests/{started.json['request']['tracking']}").json
        assert [e["status"] for e in events["timeline"] if e["kind"] == "status"] == \
            ["in_progress", "resolved"]


def test_sync_cursor_misses_nothing_under_concurrent_writes(app, make_work, db_session):
    north, south = (crew_named(db_session, n) for n in ("Sanitation North", "Sanitation South"))
    orders = [make_work().id for _ in range(24)]
    member = db_session.scalar(select(User).where(User.username == "crew"))
    makers = app.extensions["frontdoor.db"]
    writing = threading.Event()
    writing.set()

    def writer(seed: int) -> None:
        chance = random.Random(seed)
        for _ in range(12):
            with makers["write"]() as db:
                order = db.get(WorkOrder, chance.choice(orders))
                crew = db.get(type(north), south.id if order.crew_id == north.id else north.id)
                work_orders.assign(db, order, crew, actor=None)
                try:
                    db.flush()
                except StaleDataError:  # another writer moved it first: this change is lost
                    db.rollback()
                    continue
                time.sleep(chance.uniform(0, 0.01))  # commit late: out of order, if it could
                db.commit()

    seen: dict[int, int] = {}
    cursor = None

    def read_page() -> bool:
        nonlocal cursor
        with makers["read"]() as db:
            user = db.get(User, member.id)
            page = crew_sync.feed(db, user, cursor, limit=5)
            for item in page.items:
                if item.work_order is None:
                    seen.pop(item.work_order_id, None)
                else:
                    seen[item.work_order_id] = item.work_order.version
            cursor = page.cursor
            return page.has_more

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(writer, seed) for seed in range(3)]
        while not all(f.done() for f in futures):
            read_page()
        for f in futures:
            f.result()
    while read_page():
        pass
    db_session.rollback()
    db_session.expire_all()
    truth = {w.id: w.version for w in db_session.scalars(select(WorkOrder).where(
        WorkOrder.crew_id == north.id, WorkOrder.status == WorkStatus.ASSIGNED))}
    assert seen == truth
    assert len(truth) not in (0, len(orders))
