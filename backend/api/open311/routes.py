"""Open311 GeoReport v2 over HTTP, under /open311/v2, in XML and JSON.

A plain Flask blueprint: the standard fixes its own formats (the file extension picks
XML or JSON) and its own error document, so it stays apart from the /api/v1 JSON API.
Every response under /open311 — unknown paths and wrong methods included — is an
Open311 document; errors are ``errors/error`` with ``code`` and ``description``:
404 for an unknown request, service or token, 403 for a missing or bad api_key,
400 for any other refusal. GET responses may be read from any origin.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import wraps
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from backend.api.open311 import formats
from backend.api.open311.params import flag, point, request_query, text
from backend.api.photos.routes import photo_limits, photo_storage
from backend.api.requests.routes import IDEMPOTENCY_KEY
from backend.api.requests.schemas import ContactSchema
from backend.db import session
from backend.errors import DomainError, InvalidInput, NotFound
from backend.models.types import utcnow
from backend.services import open311, photos, reports

log = logging.getLogger(__name__)

blp = Blueprint("open311", __name__, url_prefix="/open311")

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
EXTENSIONS = [
    {"name": "pagination", "parameters": "page,page_size",
     "description": "GET requests: page is 1-based; page_size is 1 to 1000 (default 1000). "
                    "A page past the end is an empty list."},
    {"name": "updated_datetime", "parameters": "updated_after,updated_before",
     "description": "GET requests: only requests changed in this span, oldest change first, "
                    "for syncing. Without start_date/end_date no 90-day window applies."},
    {"name": "extensions", "parameters": "extensions",
     "description": "GET requests and GET a request with extensions=true: adds "
                    "detailed_status, the public timeline as notes, and media_urls."},
    {"name": "radius", "parameters": "lat,long,radius",
     "description": "GET requests: only requests within radius metres (default 250, at most "
                    "5000) of lat/long, for duplicate checks."},
    {"name": "bbox", "parameters": "bbox",
     "description": "GET requests: only requests inside min_long,min_lat,max_long,max_lat."},
    {"name": "media_upload", "parameters": "media,media[]",
     "description": "POST requests: photos as multipart/form-data files."},
    {"name": "idempotency", "parameters": "Idempotency-Key",
     "description": "POST requests: a header; a retry with the same key and body returns the "
                    "first answer instead of making a second request."},
]
# Module import time stands in for the catalog's last change: clients refresh their
# cached services at least once per deploy.
STARTED_AT = utcnow()


def open311_route(rule: str, *methods: str):
    """Register for every method so a wrong one still gets an Open311 error (405)."""
    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if request.method not in methods and not (request.method == "HEAD"
                                                      and "GET" in methods):
                raise MethodNotAllowed(valid_methods=list(methods))
            if "fmt" in kwargs and kwargs["fmt"] not in formats.FORMATS:
                raise InvalidInput("unknown_format", "Ask for .xml or .json.")
            _check_jurisdiction(request.values)
            return view(*args, **kwargs)
        blp.add_url_rule(rule, view_func=checked, methods=ALL_METHODS)
        return checked
    return decorator


# -- discovery and services ------------------------------------------------------------

@open311_route("/v2/discovery.<fmt>", "GET")
def discovery(fmt: str) -> Response:
    changeset = formats.w3c(STARTED_AT)
    return formats.render(fmt, "discovery", {
        "changeset": changeset,
        "contact": current_app.config.get("OPEN311_CONTACT") or None,
        "key_service": current_app.config.get("OPEN311_KEY_SERVICE") or None,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": request.host_url + "open311/v2",
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
            "extensions": EXTENSIONS,
        }],
    })


@open311_route("/v2/services.<fmt>", "GET")
def services(fmt: str) -> Response:
    found = open311.public_services(session())
    return formats.render(fmt, "services", [formats.service_entry(s) for s in found])


@open311_route("/v2/services/<service_code>.<fmt>", "GET")
def service_definition(service_code: str, fmt: str) -> Response:
    service = open311.public_service(session(), service_code)
    return formats.render(fmt, "service_definition", formats.service_definition(service))


# -- service requests ------------------------------------------------------------------

@open311_route("/v2/requests.<fmt>", "GET", "POST")
def requests(fmt: str) -> Response:
    return _submit(fmt) if request.method == "POST" else _search(fmt)


@open311_route("/v2/requests/<service_request_id>.<fmt>", "GET")
def one_request(service_request_id: str, fmt: str) -> Response:
    extensions = flag(request.args, "extensions")
    found = open311.get_request(session(), service_request_id, with_events=extensions)
    return _request_list(fmt, [found], extensions)


@open311_route("/v2/tokens/<token>.<fmt>", "GET")
def token(token: str, fmt: str) -> Response:
    record = open311.resolve_token(session(), token)
    return formats.render(fmt, "service_requests",
                          [formats.token_entry(record.token, record.request.tracking)])


def _search(fmt: str) -> Response:
    query = request_query(request.args)
    found = open311.search_requests(session(), query)
    return _request_list(fmt, found, query.extensions)


def _request_list(fmt: str, found: list, extensions: bool) -> Response:
    extras = open311.extras_for(session(), found)
    base_url = request.host_url.rstrip("/")
    return formats.render(fmt, "service_requests", [
        formats.request_entry(r, extras[r.id], base_url=base_url, extensions=extensions)
        for r in found])


def _submit(fmt: str) -> Response:
    if request.mimetype not in FORM_TYPES:
        raise InvalidInput("unsupported_media_type",
                           "Send the request as application/x-www-form-urlencoded "
                           "(or multipart/form-data with photos).")
    form = request.form
    api_key = open311.authenticate_api_key(session(), form.get("api_key")
                                           or request.args.get("api_key"))
    report, details = _report(form)
    key = _idempotency_key()
    body_hash = _body_hash(form) if key else None  # before the photos' streams are read
    report.photos = _uploaded_photos(api_key.id, key)
    submission = open311.submit(
        session(), report, details, api_key,
        rules=reports.Rules(max_description=current_app.config["MAX_DESCRIPTION_CHARS"],
                            boundary_kind=current_app.config["BOUNDARY_ZONE_KIND"]),
        idempotency_key=key, body_hash=body_hash)
    return formats.render(fmt, "service_requests", [formats.submission_answer(submission)],
                          status=201 if submission.created else 200)


def _report(form: MultiDict) -> tuple[reports.Report, open311.ClientDetails]:
    service_code = text(form, "service_code")
    if service_code is None:
        raise InvalidInput("missing_service_code", "service_code is required.")
    centre = point(form)
    address = text(form, "address_string", limit=300) or ""
    address_id = text(form, "address_id", limit=80) or ""
    if address_id:
        place = open311.place_of_address_id(session(), address_id)
        address = address or place.label
        centre = centre or (place.lon, place.lat)
    report = reports.Report(
        service_code=service_code, lon=centre[0] if centre else None,
        lat=centre[1] if centre else None, address=address,
        description=form.get("description", ""), attributes=_attributes(form),
        contact=_contact(form))
    details = open311.ClientDetails(
        media_url=_media_url(form), address_id=address_id,
        device_id=text(form, "device_id", limit=120) or "",
        account_id=text(form, "account_id", limit=120) or "")
    return report, details


def _attributes(form: MultiDict) -> dict:
    """attribute[CODE]=v, and attribute[CODE][]=v (or a repeated field) for lists."""
    answers: dict[str, list[str]] = {}
    for name in form:
        match = ATTRIBUTE_FIELD.match(name)
        if match:
            values = [v for v in form.getlist(name) if v.strip()]
            answers.setdefault(match.group(1), []).extend(values)
        elif name.startswith("attribute"):
            raise InvalidInput("invalid_attribute",
                               f"{name!r} is not attribute[CODE] or attribute[CODE][].")
    return {code: values[0] if len(values) == 1 else values
            for code, values in answers.items() if values}


def _contact(form: MultiDict) -> dict | None:
    name = " ".join(filter(None, (text(form, "first_name"), text(form, "last_name"))))
    given = {"name": name, "email": text(form, "email"), "phone": text(form, "phone")}
    given = {field: value for field, value in given.items() if value}
    if not given:
        return None
    try:
        return ContactSchema().load(given)
    except ma.ValidationError as exc:
        field, messages = next(iter(exc.normalized_messages().items()))
        shown = {"name": "first_name/last_name"}.get(field, field)
        raise InvalidInput("invalid_contact", f"{shown}: {messages[0]}") from None


def _media_url(form: MultiDict) -> str:
    url = text(form, "media_url", limit=500)
    if url is None:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise InvalidInput("invalid_media_url", "media_url must be an http(s) URL.")
    return url


def _uploaded_photos(api_key_id: int, key: str | None) -> list[str]:
    """Photos sent as multipart files (media, media[]), each through the photo pipeline.
    With an Idempotency-Key every photo gets a key of its own: a retry stores none twice."""
    files = request.files.getlist("media") + request.files.getlist("media[]")
    sent = [upload.read() for upload in files]
    # A browser form's empty file input sends a part with no name and no bytes.
    sent = [data for data, upload in zip(sent, files, strict=True) if data or upload.filename]
    if len(sent) > reports.MAX_PHOTOS:
        raise InvalidInput("too_many_photos", f"At most {reports.MAX_PHOTOS} photos per request.")
    ids = []
    for index, data in enumerate(sent):
        photo_key = None
        if key:
            scoped = f"{api_key_id}:{key}:media:{index}".encode()
            photo_key = "open311-media-" + hashlib.sha256(scoped).hexdigest()[:40]
        media, _created = photos.upload_photo(session(), photo_storage(), data,
                                              idempotency_key=photo_key, limits=photo_limits())
        ids.append(media.public_id)
    return ids


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("invalid_idempotency_key",
                           "Idempotency-Key must be 8–80 letters, digits or - _ : .")
    return key


def _body_hash(form: MultiDict) -> str:
    digest = hashlib.sha256()
    for name, value in sorted(form.items(multi=True)):
        if name != "api_key":
            digest.update(f"{name}={value}\n".encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda kv: kv[0]):
        digest.update(f"{name}:".encode() + hashlib.sha256(upload.stream.read()).digest())
        upload.stream.seek(0)
    return digest.hexdigest()


def _check_jurisdiction(args: MultiDict) -> None:
    given = text(args, "jurisdiction_id")
    if given is not None and given.lower() != jurisdiction_id().lower():
        raise InvalidInput("unknown_jurisdiction",
                           f"This endpoint serves jurisdiction_id {jurisdiction_id()!r} only.")


def jurisdiction_id() -> str:
    configured = current_app.config.get("OPEN311_JURISDICTION_ID")
    if configured:
        return configured
    return re.sub(r"[^a-z0-9]+", "-", current_app.config["CITY_NAME"].lower()).strip("-")


# -- every other path, and every error, as an Open311 document -------------------------

@blp.route("/", methods=ALL_METHODS)
@blp.route("/<path:rest>", methods=ALL_METHODS)
def unknown_path(rest: str = "") -> Response:
    raise NotFound("unknown_endpoint", f"There is no Open311 resource at {request.path!r}.")


@blp.after_request
def open_to_every_origin(response: Response) -> Response:
    """Any web app may read public data; there are no cookies here to leak."""
    if request.method in {"GET", "HEAD"}:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blp.errorhandler(DomainError)
def domain_error(e: DomainError) -> Response:
    return _error(e.status, e.message)


@blp.errorhandler(HTTPException)
def http_error(e: HTTPException) -> Response:
    response = _error(e.code or 500, e.description or e.name)
    for name, value in e.get_headers():
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    return response


@blp.errorhandler(IntegrityError)
@blp.errorhandler(StaleDataError)
def conflict(_e) -> Response:
    return _error(409, "That conflicts with data already stored; try again.")


@blp.errorhandler(Exception)
def unexpected(_e: Exception) -> Response:
    log.exception("unhandled error in Open311")
    return _error(500, "Something went wrong on our side.")


def _error(status: int, description: str) -> Response:
    status = _open311_status(status)
    return formats.render(_error_format(), "errors", formats.error_list(status, description),
                          status=status)


def _open311_status(status: int) -> int:
    """The standard's three answers; 405, 413 and 429 keep the status HTTP itself defines."""
    if status in {401, 403}:
        return 403
    if status in {404, 405, 413, 429} or status >= 500:
        return status
    return 400


def _error_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in formats.FORMATS:
        return fmt
    return "json" if request.path.endswith(".json") else "xml"

