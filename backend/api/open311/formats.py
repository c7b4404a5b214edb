"""Open311 documents in both formats, built from one plain shape.

Each response is first a plain structure — a list of objects (JSON array; XML root
with one child per object) or one object — then written as JSON or as XML with a
declaration, UTF-8, no namespaces and the standard's element names. In JSON, ids and
codes are strings, coordinates numbers, flags booleans and unknown values null; in
XML unknown values are empty elements. Datetimes are UTC, ISO 8601, whole seconds.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from flask import Response

from backend.models import Datatype, Event, Service, ServiceRequest, ServiceType
from backend.services import photos
from backend.services.lifecycle import STATUS_NOTES
from backend.services.open311 import RequestExtras, Submission, service_notice

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# The element of each item inside a list-valued element.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "values": "value", "endpoints": "endpoint",
             "formats": "format", "notes": "note", "media_urls": "media_url",
             "extensions": "extension"}
LIST_DATATYPES = {Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST}
PHOTO_VARIANT_PREFERENCE = ("display", "large", "thumb")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- writing ----------------------------------------------------------------

def render(fmt: str, root: str, body: list | dict, status: int = 200) -> Response:
    """``body`` as a list (array / root element of items) or one object."""
    if fmt == "json":
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        parts = [XML_DECLARATION]
        _write_element(root, body, parts)
        data = "".join(parts)
    return Response(data.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def _write_element(tag: str, value, out: list[str]) -> None:
    """Element names are ours (fixed, valid names); only text needs escaping."""
    if value is None or value == [] or value == {}:
        out.append(f"<{tag}/>")
        return
    out.append(f"<{tag}>")
    if isinstance(value, dict):
        for key, child in value.items():
            _write_element(key, child, out)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS[tag]
        for child in value:
            _write_element(item_tag, child, out)
    else:
        out.append(escape(_xml_text(value), {"\r": "&#13;"}))  # kept, not normalised away
    out.append(f"</{tag}>")


def _xml_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def w3c(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


# -- shapes -----------------------------------------------------------------

def error_list(status: int, description: str) -> list[dict]:
    return [{"code": status, "description": description}]


def service_entry(service: Service) -> dict:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description or None,
        "metadata": bool(service.attributes),
        "type": ServiceType(service.type).value,
        "keywords": ", ".join(service.keywords or []) or None,
        "group": service.group or None,
    }


def service_definition(service: Service) -> dict:
    return {"service_code": service.code,
            "attributes": [_attribute(a) for a in service.attributes]}


def _attribute(attribute) -> dict:
    entry = {
        "variable": bool(attribute.variable),
        "code": attribute.code,
        "datatype": Datatype(attribute.datatype).value,
        "required": bool(attribute.required),
        "datatype_description": attribute.datatype_description or None,
        "order": attribute.order,
        "description": attribute.description,
    }
    if attribute.datatype in LIST_DATATYPES:
        entry["values"] = [{"key": str(v["key"]), "name": v["name"]} for v in attribute.values]
    return entry


def submission_answer(submission: Submission) -> dict:
    """POST's answer: the id (realtime), a token (batch) or neither (blackbox)."""
    answer: dict = {}
    if submission.service_type == ServiceType.REALTIME:
        answer["service_request_id"] = submission.request.tracking
    elif submission.service_type == ServiceType.BATCH:
        answer["token"] = submission.record.token
    answer["service_notice"] = service_notice(submission.request.service)
    return answer


def token_entry(token: str, tracking: str) -> dict:
    return {"service_request_id": tracking, "token": token}


def request_entry(request: ServiceRequest, extras: RequestExtras, *, base_url: str,
                  extensions: bool = False) -> dict:
    """The public view of a request. Built field by field from what may be shown:
    nothing here reads the reporter's contact or the client's private ids."""
    service = request.service
    photo_urls = [url for url in (_photo_url(p, base_url) for p in extras.photos) if url]
    entry = {
        "service_request_id": request.tracking,
        "status": "open" if request.status.is_open else "closed",
        "status_notes": STATUS_NOTES[request.status],
        "service_name": service.name,
        "service_code": service.code,
        "description": request.description or None,
        "agency_responsible": _agency(request),
        "service_notice": service_notice(service),
        "requested_datetime": w3c(request.created_at),
        "updated_datetime": w3c(request.updated_at),
        "expected_datetime": w3c(request.expected_at),
        "address": request.address or None,
        "address_id": extras.address_id or None,
        "zipcode": None,
        "lat": request.lat,
        "long": request.lon,
        "media_url": extras.media_url or (photo_urls[0] if photo_urls else None),
    }
    if extensions:
        entry["detailed_status"] = request.status.value
        entry["notes"] = [_note(e) for e in request.events if e.public]
        entry["media_urls"] = ([extras.media_url] if extras.media_url else []) + photo_urls
    return entry


def _agency(request: ServiceRequest) -> str | None:
    """Where routing sent the request; the service's department until it has been routed."""
    department = request.department or request.service.department
    return department.name if department else None


def _note(event: Event) -> dict:
    return {"datetime": w3c(event.created_at), "type": event.kind,
            "status": event.new_status, "description": event.note or None}


def _photo_url(photo, base_url: str) -> str | None:
    variants = photo.variants or {}
    name = next((v for v in PHOTO_VARIANT_PREFERENCE if v in variants), next(iter(variants), None))
    if name is None:
        return None
    return photos.variant_url(photo, name, base_url=base_url)
