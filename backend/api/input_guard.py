"""Refusals every endpoint shares, made before any view runs, so hostile input gets a clear
4xx and never reaches the database: JSON nested deeper than any real document, JSON that is
not UTF-8, and text no database can store — NUL characters (PostgreSQL refuses them; no
person types one) and lone UTF-16 surrogates ("\ud800" in JSON) — in the query, a JSON
body or a form.
"""

from __future__ import annotations

import re

from flask import Flask, request

from backend.errors import InvalidInput

MAX_DEPTH = 32  # the deepest real body (an assign-area polygon) is 5 levels


def init_app(app: Flask) -> None:
    app.before_request(check_input)


def check_input() -> None:
    current = request._get_current_object()  # one proxy lookup, not one per attribute
    if not _PLAIN_QUERY.fullmatch(current.query_string) \
            and any(_unstorable(value) for value in current.args.values()):
        raise _bad_text()
    if not current.environ.get("CONTENT_TYPE"):
        return  # no declared body: neither JSON nor a form to look into
    if current.is_json and current.content_length:
        raw, body = _json_body()
        # Walk the document only where the raw text allows a finding: nesting needs brackets,
        # and a control character or lone surrogate needs an escape or a control byte.
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth_over(body, MAX_DEPTH):
            raise InvalidInput("json_too_deep",
                               f"The JSON body is nested more than {MAX_DEPTH} levels deep.")
        if _ESCAPE_OR_CONTROL.search(raw) and _has_unstorable_text(body):
            raise _bad_text()
    elif _reads_form() and any(_unstorable(value) for value in current.form.values()):
        raise _bad_text()


def _json_body() -> tuple[bytes, object]:
    """The raw body and its document (None when it is not JSON)."""
    try:
        raw = request.get_data(cache=True)
        raw.decode("utf-8")
        return raw, request.get_json(silent=True)
    except UnicodeDecodeError:
        raise InvalidInput("invalid_encoding", "The body is not valid UTF-8.") from None
    except RecursionError:
        raise InvalidInput("json_too_deep", "The JSON body is nested too deeply.") from None


def _reads_form() -> bool:
    """Plain forms; multipart only for Open311 (photo uploads check their own fields, and
    must refuse an oversized body before anything reads it)."""
    if request.mimetype == "application/x-www-form-urlencoded":
        return True
    return request.mimetype == "multipart/form-data" and request.blueprint == "open311"


def _depth_over(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


# C0 control characters other than tab, newline and carriage return: PostgreSQL refuses NUL,
# and XML 1.0 (Open311's other format) can carry none of them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A raw query string of printable ASCII, escapes included only if they stand for printable
# ASCII, decodes to values free of both: most queries skip parsing here entirely.
_PLAIN_QUERY = re.compile(rb"(?:[\x20-\x24\x26-\x7e]|%[2-7][0-9A-Fa-f])*")
# Valid UTF-8 free of backslashes and control bytes parses (as strict JSON, read as UTF-8
# since it holds no NUL) to strings free of both.
_ESCAPE_OR_CONTROL = re.compile(rb"[\\\x00-\x08\x0b\x0c\x0e-\x1f]")


def _unstorable(text: str) -> bool:
    if _CONTROL.search(text):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def _has_unstorable_text(value) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _unstorable(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _bad_text() -> InvalidInput:
    return InvalidInput("invalid_character", "The request contains a character that is not "
                        "text (a control character such as NUL, or half of a UTF-16 pair).")
