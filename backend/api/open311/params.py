"""Reading Open311 parameters: query strings and form fields as the standard writes them.

An empty parameter counts as absent; lists are comma-separated; dates follow the
W3C profile of ISO 8601 and must carry a timezone (or be a bare date, read as UTC).
Every refusal is an InvalidInput, which the Open311 error mapping answers with 400.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from backend.errors import InvalidInput
from backend.geo.distance import validate_bbox, validate_point
from backend.services.open311 import MAX_RESULTS, Near, RequestQuery

_W3C = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def text(args: MultiDict, name: str, *, limit: int | None = None) -> str | None:
    """The parameter's value, stripped; None when missing or empty."""
    value = args.get(name)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise InvalidInput("too_long", f"{name} can be at most {limit} characters.")
    return value


def comma_list(args: MultiDict, name: str) -> list[str] | None:
    """'a, b,,c' → ['a', 'b', 'c']; None when nothing is left."""
    raw = text(args, name)
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    return list(dict.fromkeys(items)) or None


def w3c_datetime(args: MultiDict, name: str) -> datetime | None:
    raw = text(args, name)
    if raw is None:
        return None
    # An unencoded "+" in a query string arrives as a space: "…T08:15:30 05:00".
    raw = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", raw)
    if not _W3C.match(raw):
        raise InvalidInput("invalid_date",
                           f"{name} must be a W3C date-time with a timezone, "
                           "e.g. 2024-05-01T08:15:30-07:00 or 2024-05-01T15:15:30Z.")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("invalid_date", f"{name} is not a real date: {raw!r}.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def integer(args: MultiDict, name: str, *, default: int, low: int, high: int | None = None
            ) -> int:
    raw = text(args, name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or int(raw) < low or (high and int(raw) > high):
        bounds = f"from {low} to {high}" if high else f"{low} or more"
        raise InvalidInput("invalid_number", f"{name} must be a whole number {bounds}.")
    return int(raw)


def number(args: MultiDict, name: str) -> float | None:
    raw = text(args, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput("invalid_number", f"{name} must be a number.") from None
    if not math.isfinite(value):
        raise InvalidInput("invalid_number", f"{name} must be a finite number.")
    return value


def flag(args: MultiDict, name: str) -> bool:
    raw = text(args, name)
    if raw is None:
        return False
    if raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise InvalidInput("invalid_flag", f"{name} must be true or false.")


def point(args: MultiDict) -> tuple[float, float] | None:
    """(lon, lat) from ``lat`` and ``long``; both or neither."""
    lat, lon = number(args, "lat"), number(args, "long")
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise InvalidInput("invalid_location", "Give both lat and long.")
    return validate_point(lon, lat)


def request_query(args: MultiDict) -> RequestQuery:
    """GET requests' parameters. service_request_id overrides the rest, which are then
    not read at all."""
    ids = comma_list(args, "service_request_id")
    extensions = flag(args, "extensions")
    if ids is not None:
        return RequestQuery(ids=ids, extensions=extensions)
    query = RequestQuery(
        service_codes=comma_list(args, "service_code"),
        statuses=[s.lower() for s in comma_list(args, "status") or []] or None,
        start=w3c_datetime(args, "start_date"), end=w3c_datetime(args, "end_date"),
        updated_after=w3c_datetime(args, "updated_after"),
        updated_before=w3c_datetime(args, "updated_before"),
        page=integer(args, "page", default=1, low=1),
        page_size=integer(args, "page_size", default=MAX_RESULTS, low=1, high=MAX_RESULTS),
        extensions=extensions)
    centre = point(args)
    radius = number(args, "radius")
    if centre is not None:
        query.near = Near(lon=centre[0], lat=centre[1])
        if radius is not None:
            query.near.radius_m = radius
    elif radius is not None:
        raise InvalidInput("invalid_location", "radius needs lat and long.")
    query.bbox = bbox(args)
    return query


def bbox(args: MultiDict) -> tuple[float, float, float, float] | None:
    """``bbox=min_long,min_lat,max_long,max_lat``."""
    values = comma_list(args, "bbox")
    if values is None:
        return None
    try:
        return validate_bbox([float(v) for v in values] if len(values) == 4 else values)
    except (ValueError, InvalidInput) as exc:
        reason = exc.message if isinstance(exc, InvalidInput) else "not numbers"
        raise InvalidInput("invalid_bbox", "bbox must be four numbers: "
                           f"min_long,min_lat,max_long,max_lat ({reason})") from None
