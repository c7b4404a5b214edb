"""Checks a report's answers against its service's questions (Open311 attributes)."""

import math
from datetime import datetime

from backend.errors import InvalidInput
from backend.models import Datatype, Service, ServiceAttribute

MAX_STRING = 500
MAX_TEXT = 4000


def validate_answers(service: Service, answers: dict | None) -> dict:
    """Return the answers normalised (numbers as numbers, lists as lists) or refuse."""
    answers = dict(answers or {})
    questions = {a.code: a for a in service.attributes if a.variable}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise InvalidInput("unknown_attribute",
                           f"{service.name} has no question {unknown[0]!r}.", attribute=unknown[0])
    clean = {}
    for code, question in questions.items():
        value = answers.get(code)
        if _is_blank(value):
            if question.required:
                raise InvalidInput("missing_attribute",
                                   f"Please answer: {question.description}", attribute=code)
            continue
        clean[code] = _check(question, value)
    return clean


def _is_blank(value) -> bool:
    return value is None or value == "" or value == []


def _check(question: ServiceAttribute, value):
    try:
        return _CHECKS[question.datatype](question, value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("invalid_attribute", f"{question.description}: {exc}",
                           attribute=question.code) from None


def _string(limit):
    def check(_q, value):
        if not isinstance(value, str):
            raise TypeError("expected text")
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters")
        return value.strip()
    return check


def _number(_q, value):
    if isinstance(value, bool):
        raise TypeError("expected a number")
    number = float(value)  # accepts numeric strings, as form posts send them
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return int(number) if number.is_integer() else number


def _datetime(_q, value):
    if not isinstance(value, str):
        raise TypeError("expected a date and time (ISO 8601)")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise ValueError("expected a date and time (ISO 8601)") from None


def _single(question, value):
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError("expected one of the listed values")
    key = str(value)
    if key not in {v["key"] for v in question.values}:
        raise ValueError(f"{key!r} is not one of the listed values")
    return key


def _multi(question, value):
    values = value if isinstance(value, list) else [value]
    keys = [_single(question, v) for v in values]
    return list(dict.fromkeys(keys))


_CHECKS = {
    Datatype.STRING: _string(MAX_STRING),
    Datatype.TEXT: _string(MAX_TEXT),
    Datatype.NUMBER: _number,
    Datatype.DATETIME: _datetime,
    Datatype.SINGLEVALUELIST: _single,
    Datatype.MULTIVALUELIST: _multi,
}
