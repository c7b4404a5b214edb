"""Every error leaves as JSON: {"code", "message", "details"}, mapped here once."""

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from backend.errors import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
    412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "invalid_input", 428: "precondition_required", 429: "too_many_requests",
}


def error_body(code: str, message: str, status: int, **details):
    return jsonify(code=code, message=message, details=details), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        return error_body(e.code, e.message, e.status, **e.details)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        status = e.code or 500
        # webargs puts field errors on the exception; show them field by field.
        fields = getattr(e, "data", {}).get("messages") if hasattr(e, "data") else None
        if fields:
            fields = fields.get("json", fields.get("query", fields))
            if isinstance(fields, list):  # the body as a whole could not be parsed
                return error_body("invalid_json", "The body is not valid JSON.", 400)
            return error_body("invalid_input", _first_message(fields), 422, fields=fields)
        response = error_body(HTTP_CODES.get(status, "http_error"), e.description or e.name,
                              status)[0]
        response.status_code = status
        for name, value in (e.get_headers() if hasattr(e, "get_headers") else []):
            if name.lower() not in {"content-type", "content-length"}:
                response.headers[name] = value
        return response

    @app.errorhandler(IntegrityError)
    def integrity_error(e: IntegrityError):
        log.warning("integrity error: %s", e.orig.__class__.__name__)
        return error_body("conflict", "That conflicts with data already stored.", 409)

    @app.errorhandler(OverflowError)  # SQLite: an integer past 64 bits
    @app.errorhandler(DataError)  # PostgreSQL: past the column's type (e.g. an id > 2^31)
    def number_out_of_range(e: Exception):
        if isinstance(e, DataError) and type(e.orig).__name__ != "NumericValueOutOfRange":
            return unexpected(e)
        return error_body("number_out_of_range",
                          "A number in the request is larger than any stored here.", 422)

    @app.errorhandler(StaleDataError)
    def stale_error(_e):
        return error_body("stale_version", "Someone else changed this meanwhile; reload it.", 409)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error")
        return error_body("internal_error", "Something went wrong on our side.", 500)


def _first_message(fields) -> str:
    """A readable summary of marshmallow's nested {"field": ["message"]} errors."""
    path = []
    node = fields
    while isinstance(node, dict) and node:
        key = next(iter(node))
        path.append(str(key))
        node = node[key]
    message = node[0] if isinstance(node, list) and node else str(node)
    where = ".".join(p for p in path if p != "_schema")
    return f"{where}: {message}" if where else str(message)
