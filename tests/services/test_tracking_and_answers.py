"""Tracking numbers and the checking of answers to a service's questions (no app)."""

import pytest

from backend.errors import InvalidInput
from backend.models import Datatype, Service, ServiceAttribute
from backend.services.attributes import validate_answers
from backend.services.tracking import ALPHABET, new_tracking_number, normalize_tracking_number


def test_alphabet_has_no_lookalikes():
    assert not set("0O1ILU") & set(ALPHABET)


def test_numbers_are_random_and_well_formed():
    numbers = {new_tracking_number() for _ in range(5000)}
    assert len(numbers) == 5000
    assert all(normalize_tracking_number(n) == n for n in numbers)


@pytest.mark.parametrize("typed", ["k7m4 q2xp", "K7M4Q2XP", " k7m4-q2xp "])
def test_normalize(typed):
    assert normalize_tracking_number(typed) == "K7M4-Q2XP"


@pytest.mark.parametrize("typed", ["", "K7M4-Q2X", "K0M4-Q2XP", "K7M4-Q2XP-1"])
def test_normalize_refuses(typed):
    assert normalize_tracking_number(typed) is None


def _service():
    def q(code, datatype, **kw):
        return ServiceAttribute(code=code, datatype=datatype, description=code,
                                variable=kw.pop("variable", True), **kw)
    return Service(code="s", name="S", attributes=[
        q("size", Datatype.SINGLEVALUELIST, required=True,
          values=[{"key": "s", "name": "S"}, {"key": "l", "name": "L"}]),
        q("parts", Datatype.MULTIVALUELIST, values=[{"key": "a", "name": "A"},
                                                   {"key": "b", "name": "B"}]),
        q("count", Datatype.NUMBER), q("when", Datatype.DATETIME), q("note", Datatype.TEXT),
        q("info", Datatype.STRING, variable=False),
    ])


def test_answers_normalised():
    clean = validate_answers(_service(), {"size": "l", "parts": ["a", "a", "b"], "count": "3",
                                          "when": "2026-01-02T03:04:05Z", "note": ""})
    assert clean == {"size": "l", "parts": ["a", "b"], "count": 3,
                     "when": "2026-01-02T03:04:05+00:00"}


@pytest.mark.parametrize(("answers", "code"), [
    ({}, "missing_attribute"),
    ({"size": "xl"}, "invalid_attribute"),
    ({"size": "s", "parts": ["c"]}, "invalid_attribute"),
    ({"size": "s", "count": "inf"}, "invalid_attribute"),
    ({"size": "s", "count": True}, "invalid_attribute"),
    ({"size": "s", "when": "yesterday"}, "invalid_attribute"),
    ({"size": "s", "note": "x" * 4001}, "invalid_attribute"),
    ({"size": "s", "info": "not an input"}, "unknown_attribute"),
])
def test_bad_answers(answers, code):
    with pytest.raises(InvalidInput) as caught:
        validate_answers(_service(), answers)
    assert caught.value.code == code
