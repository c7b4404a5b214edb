"""The request state machine, walked pair by pair from its own table."""

import itertools

import pytest

from backend.errors import InvalidTransition
from backend.models import Service, ServiceRequest, Status
from backend.services import lifecycle

PAIRS = list(itertools.product(Status, Status))


class FakeSession:
    def __init__(self):
        self.added = []

    def add(self, thing):
        self.added.append(thing)


@pytest.mark.parametrize(("start", "to"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair(start, to):
    request = ServiceRequest(status=start, service=Service(code="x", name="x"))
    db = FakeSession()
    if to in lifecycle.ALLOWED[start]:
        event = lifecycle.move(db, request, to, note="n")
        assert request.status == to and db.added == [event]
        assert (event.old_status, event.new_status) == (start.value, to.value)
        assert (request.closed_at is not None) == (to in lifecycle.CLOSING)
    else:
        with pytest.raises(InvalidTransition):
            lifecycle.move(db, request, to)
        assert request.status == start and db.added == []


def test_every_status_has_public_words():
    assert set(lifecycle.STATUS_NOTES) == set(Status) == set(lifecycle.ALLOWED)
