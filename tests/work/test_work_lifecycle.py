"""The work-order state machine, walked pair by pair from its own table."""

import itertools

import pytest

from backend.errors import InvalidInput, InvalidTransition
from backend.models import Crew, WorkOrder, WorkStatus
from backend.services import work_lifecycle
from backend.services.work_lifecycle import ACTIONS

PAIRS = list(itertools.product(sorted(ACTIONS), WorkStatus))
CREW = Crew(id=7, name="Graffiti Busters")


class FakeSession:
    def __init__(self):
        self.added, self.info = [], {}

    def add(self, thing):
        self.added.append(thing)


def work_order(status: WorkStatus) -> WorkOrder:
    crew_id = None if status == WorkStatus.UNASSIGNED else 3
    return WorkOrder(id=1, request_id=1, status=status, crew_id=crew_id, version=4)


@pytest.mark.parametrize(("action", "start"), PAIRS, ids=[f"{a}:{s}" for a, s in PAIRS])
def test_every_action_from_every_status(action, start):
    db, order = FakeSession(), work_order(start)
    crew_before = order.crew_id
    if start in ACTIONS[action]:
        event = work_lifecycle.move(db, order, action, crew=CREW, reason="locked gate",
                                    note="n")
        to = ACTIONS[action][start]
        assert order.status == to and db.added == [event]
        assert (event.old_status, event.new_status) == (start.value, to.value)
        assert event.public is False and event.work_order_id == 1
        assert db.info["work_changes"] == [(order, crew_before)]
        assert (order.closed_at is not None) == (to in work_lifecycle.CLOSING)
        if action in work_lifecycle.NEEDS_CREW:
            assert order.crew_id == CREW.id
        if action == "unassign":
            assert order.crew_id is None
    else:
        with pytest.raises(InvalidTransition) as refused:
            work_lifecycle.move(db, order, action, crew=CREW, reason="locked gate")
        assert refused.value.details["current"] == start.value
        assert order.status == start and db.added == [] and not db.info


def test_every_status_is_reachable_and_terminal_ones_stay_put():
    reachable = {to for moves in ACTIONS.values() for to in moves.values()}
    assert reachable == set(WorkStatus)
    for terminal in (WorkStatus.COMPLETED, WorkStatus.CANCELLED):
        assert not any(terminal in moves for moves in ACTIONS.values())


def test_could_not_complete_needs_a_reason():
    db, order = FakeSession(), work_order(WorkStatus.IN_PROGRESS)
    with pytest.raises(InvalidInput) as refused:
        work_lifecycle.move(db, order, "could_not_complete", reason="  ")
    assert refused.value.code == "reason_required" and order.status == WorkStatus.IN_PROGRESS


def test_assigning_needs_a_crew_and_unknown_actions_are_refused():
    db, order = FakeSession(), work_order(WorkStatus.UNASSIGNED)
    with pytest.raises(InvalidInput) as refused:
        work_lifecycle.move(db, order, "assign")
    assert refused.value.code == "crew_required"
    with pytest.raises(InvalidInput) as refused:
        work_lifecycle.move(db, order, "teleport")
    assert refused.value.code == "unknown_action" and db.added == []
