"""GeoReport v2, written down as checks: JSON Schemas for every document, and the
element structure every XML document must have.

Taken from the specification's text (wiki.open311.org/GeoReport_v2 and its service
discovery page), not from our own output: ids and codes are strings, coordinates
numbers, flags booleans, datetimes ISO 8601 with a timezone and whole seconds.
Documents carry no field the standard (or an announced extension) does not name.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema

DATETIME = {"type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$"}
TEXT = {"type": ["string", "null"]}
NAME = {"type": "string", "minLength": 1}


def _object(required: dict, optional: dict | None = None) -> dict:
    return {"type": "object", "required": sorted(required),
            "properties": {**required, **(optional or {})}, "additionalProperties": False}


def _array(item: dict, **limits) -> dict:
    return {"type": "array", "items": item, **limits}


ERRORS = _array(_object({"code": {"type": "integer", "enum": [400, 403, 404, 405, 413]},
                         "description": NAME}), minItems=1)

EXTENSION = _object({"name": NAME, "parameters": NAME, "description": NAME})
DISCOVERY = _object(
    {"changeset": DATETIME, "contact": TEXT, "key_service": TEXT,
     "endpoints": _array(_object(
         {"specification": NAME, "url": {"type": "string", "pattern": "^https?://"},
          "changeset": DATETIME, "type": {"enum": ["production", "test"]},
          "formats": _array({"enum": ["text/xml", "application/json"]}, minItems=2)},
         {"extensions": _array(EXTENSION)}), minItems=1)})

SERVICE = _object({
    "service_code": NAME, "service_name": NAME, "description": TEXT,
    "metadata": {"type": "boolean"}, "type": {"enum": ["realtime", "batch", "blackbox"]},
    "keywords": TEXT, "group": TEXT})
SERVICES = _array(SERVICE)

ATTRIBUTE_VALUE = _object({"key": NAME, "name": NAME})
ATTRIBUTE = _object(
    {"variable": {"type": "boolean"}, "code": NAME,
     "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist",
                           "multivaluelist"]},
     "required": {"type": "boolean"}, "datatype_description": TEXT,
     "order": {"type": "integer", "minimum": 0}, "description": NAME},
    {"values": _array(ATTRIBUTE_VALUE, minItems=1)})
SERVICE_DEFINITION = _object({"service_code": NAME, "attributes": _array(ATTRIBUTE)})

# POST answers: an id (realtime), a token (batch) or neither (blackbox).
POST_ANSWER = _array(_object({"service_notice": TEXT},
                             {"service_request_id": NAME, "token": NAME,
                              "account_id": TEXT}), minItems=1, maxItems=1)

TOKENS = _array(_object({"service_request_id": NAME, "token": NAME}), minItems=1, maxItems=1)

REQUEST_FIELDS = {
    "service_request_id": NAME, "status": {"enum": ["open", "closed"]},
    "status_notes": TEXT, "service_name": NAME, "service_code": NAME, "description": TEXT,
    "agency_responsible": TEXT, "service_notice": TEXT, "requested_datetime": DATETIME,
    "updated_datetime": {"anyOf": [DATETIME, {"type": "null"}]},
    "expected_datetime": {"anyOf": [DATETIME, {"type": "null"}]},
    "address": TEXT, "address_id": TEXT, "zipcode": TEXT,
    "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "long": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
    "media_url": {"anyOf": [{"type": "string", "pattern": "^https?://"}, {"type": "null"}]},
}
REQUEST = _object(REQUEST_FIELDS)
NOTE = _object({"datetime": DATETIME, "type": NAME,
                "status": TEXT, "description": TEXT})
EXTENDED_REQUEST = _object({
    **REQUEST_FIELDS,
    "detailed_status": {"enum": ["submitted", "acknowledged", "in_progress", "resolved",
                                 "closed", "duplicate", "rejected", "reopened"]},
    "notes": _array(NOTE),
    "media_urls": _array({"type": "string", "pattern": "^https?://"})})
REQUESTS = _array(REQUEST, maxItems=1000)
EXTENDED_REQUESTS = _array(EXTENDED_REQUEST, maxItems=1000)


def check_json(response, schema: dict):
    """The response is UTF-8 JSON of this shape; returns the document."""
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(response.data.decode("utf-8"))
    jsonschema.validate(document, schema)
    return document


# -- XML ----------------------------------------------------------------------

_REQUEST_ELEMENTS = set(REQUEST_FIELDS)
# element → (children it may have, children it must have); "*" marks a repeated item.
XML_STRUCTURE: dict[str, tuple[set[str], set[str]]] = {
    "errors": ({"error*"}, set()),
    "error": ({"code", "description"}, {"code", "description"}),
    "discovery": ({"changeset", "contact", "key_service", "endpoints"},
                  {"changeset", "endpoints"}),
    "endpoints": ({"endpoint*"}, set()),
    "endpoint": ({"specification", "url", "changeset", "type", "formats", "extensions"},
                 {"specification", "url", "changeset", "type", "formats"}),
    "formats": ({"format*"}, set()),
    "extensions": ({"extension*"}, set()),
    "extension": ({"name", "parameters", "description"}, {"name", "description"}),
    "services": ({"service*"}, set()),
    "service": (set(SERVICE["properties"]), {"service_code", "service_name", "type"}),
    "service_definition": ({"service_code", "attributes"}, {"service_code", "attributes"}),
    "attributes": ({"attribute*"}, set()),
    "attribute": (set(ATTRIBUTE["properties"]), {"variable", "code", "datatype", "required",
                                                "order", "description"}),
    "values": ({"value*"}, set()),
    "value": ({"key", "name"}, {"key", "name"}),
    "service_requests": ({"request*"}, set()),
    "request": (_REQUEST_ELEMENTS | {"token", "detailed_status", "notes", "media_urls"},
                set()),
    "notes": ({"note*"}, set()),
    "note": (set(NOTE["properties"]), {"datetime", "type"}),
    "media_urls": ({"media_url*"}, set()),
}
BOOLEAN_ELEMENTS = {"metadata", "variable", "required"}


def check_xml(response, root: str) -> ET.Element:
    """Declaration, UTF-8, no namespaces, the standard's element names; returns the root."""
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    data = response.data
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), data[:60]
    data.decode("utf-8")  # strictly UTF-8
    element = ET.fromstring(data)  # expat: any malformed byte fails here
    assert element.tag == root
    _check_element(element)
    return element


def _check_element(element: ET.Element) -> None:
    assert "}" not in element.tag and ":" not in element.tag, f"namespace on {element.tag}"
    assert not element.attrib, f"attributes on <{element.tag}>: {element.attrib}"
    children = list(element)
    if element.tag not in XML_STRUCTURE:
        assert not children, f"<{element.tag}> should hold text only"
        if element.tag in BOOLEAN_ELEMENTS:
            assert element.text in {"true", "false"}, f"<{element.tag}>{element.text}"
        return
    allowed, required = XML_STRUCTURE[element.tag]
    names = [child.tag for child in children]
    known = {name.rstrip("*") for name in allowed}
    assert set(names) <= known, f"<{element.tag}> has {set(names) - known}"
    assert required <= set(names), f"<{element.tag}> lacks {required - set(names)}"
    if not any(name.endswith("*") for name in allowed):
        assert len(names) == len(set(names)), f"<{element.tag}> repeats a child"
    assert not (element.text or "").strip(), f"<{element.tag}> mixes text and elements"
    for child in children:
        _check_element(child)


def xml_items(root: ET.Element) -> list[dict[str, str | None]]:
    """A list document's items as {element: text}, for comparing with the JSON."""
    return [{child.tag: child.text for child in item} for item in root]


def same_as_json(xml_item: dict, json_item: dict) -> None:
    """The XML item carries what the JSON item does (scalars only), written as text."""
    for key, value in json_item.items():
        if isinstance(value, list | dict):
            continue
        expected = None if value is None else (
            ("true" if value else "false") if isinstance(value, bool) else str(value))
        assert xml_item.get(key) == expected, f"{key}: {xml_item.get(key)!r} != {expected!r}"
