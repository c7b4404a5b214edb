"""Is it already reported? Open, recent requests near a point, most likely duplicate first.

One nearby query (backend.services.nearby, ids and distances), one batched query for the
few columns shown of those requests and one for their photos; no ORM objects are built, as
this runs on every keystroke-paced check before a report. The ranking is pure (``rank``) so
it can be tested and tuned on its own. The score adds up, each part 0–1:

- closeness   ``WEIGHT_DISTANCE`` × (1 − distance / radius)
- same service ``WEIGHT_SERVICE`` when the candidate is of the service being reported
- photo       ``WEIGHT_PHOTO`` × (1 − Hamming distance / ``PHASH_UNRELATED``) for the
  closest pair of 64-bit perceptual hashes (same scene re-encoded < 10 bits; unrelated ~32)
- words       ``WEIGHT_TEXT`` × RapidFuzz token-set similarity of the descriptions

A part with nothing to compare (no photo sent, no description) adds nothing, for every
candidate alike, so the order stays meaningful.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, NotFound
from backend.geo.distance import validate_point
from backend.media.hashing import phash_distance
from backend.models import Media, MediaKind, Service, ServiceRequest
from backend.models.types import utcnow
from backend.services.nearby import nearby_request_ids

DEFAULT_RADIUS_M = 250
DEFAULT_WINDOW_DAYS = 30
CANDIDATES = 50  # nearest open requests considered before ranking
MAX_RESULTS = 20

WEIGHT_DISTANCE = 0.35
WEIGHT_SERVICE = 0.30
WEIGHT_PHOTO = 0.20
WEIGHT_TEXT = 0.15
PHASH_UNRELATED = 32  # bits apart at which two photos say nothing about each other
HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class DuplicateQuery:
    lon: float
    lat: float
    service: Service | None = None
    description: str = ""
    phash: str = ""


@dataclass(frozen=True)
class Candidate:
    request: Any  # a summary row: id, tracking, service_id, service_code, service_name, …
    distance_m: float
    score: float
    same_service: bool
    photo_distance: int | None  # bits, None when there was nothing to compare
    text_similarity: float | None  # 0–1
    thumbnail: Any  # (public_id, phash, variants) of the first public photo, or None


def find_duplicates(db: Session, *, lon: float, lat: float, service_code: str | None = None,
                    description: str = "", phash: str = "", limit: int = 10,
                    window_days: int = DEFAULT_WINDOW_DAYS,
                    now: datetime | None = None) -> list[Candidate]:
    """Open requests created in the last ``window_days`` within the service's duplicate
    radius (250 m without a service), best candidate first. Only public services' requests."""
    lon, lat = validate_point(lon, lat)
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidInput("invalid_limit", f"limit must be between 1 and {MAX_RESULTS}.")
    phash = _checked_phash(phash)
    service = _service(db, service_code) if service_code else None
    radius = service.duplicate_radius_m if service else DEFAULT_RADIUS_M
    since = (now or utcnow()) - timedelta(days=window_days)
    hits = nearby_request_ids(db, lon, lat, radius, limit=CANDIDATES, open_only=True,
                              since=since)
    rows = _summaries(db, [request_id for request_id, _distance in hits])
    nearby = [Near(rows[i], d) for i, d in hits if i in rows]
    photos = _photos_by_request(db, list(rows))
    query = DuplicateQuery(lon, lat, service, description.strip(), phash)
    return rank(query, nearby, photos, radius)[:limit]


def rank(query: DuplicateQuery, nearby: Sequence, photos: dict[int, list[Any]],
         radius_m: float) -> list[Candidate]:
    """Score each nearby request (anything with .request and .distance_m); best first, ties
    nearest first."""
    ranked = []
    for near in nearby:
        request = near.request
        same = query.service is not None and request.service_id == query.service.id
        bits = _closest_photo(query.phash, photos.get(request.id, []))
        words = _text_similarity(query.description, request.description)
        closeness = max(0.0, 1.0 - near.distance_m / radius_m) if radius_m else 1.0
        score = WEIGHT_DISTANCE * closeness + (WEIGHT_SERVICE if same else 0.0)
        if bits is not None:
            score += WEIGHT_PHOTO * max(0.0, 1.0 - bits / PHASH_UNRELATED)
        if words is not None:
            score += WEIGHT_TEXT * words
        ranked.append(Candidate(request, near.distance_m, round(score, 4), same, bits, words,
                                _thumbnail(photos.get(request.id, []))))
    ranked.sort(key=lambda c: (-c.score, c.distance_m, c.request.id))
    return ranked


@dataclass(frozen=True)
class Near:
    request: Any
    distance_m: float


SUMMARY = (ServiceRequest.id, ServiceRequest.tracking, ServiceRequest.service_id,
           Service.code.label("service_code"), Service.name.label("service_name"),
           ServiceRequest.status, ServiceRequest.created_at, ServiceRequest.supporters,
           ServiceRequest.address, ServiceRequest.description, ServiceRequest.lat,
           ServiceRequest.lon)


def _summaries(db: Session, ids: list[int]) -> dict[int, Any]:
    """What a candidate shows, for requests of public services only, in one query."""
    if not ids:
        return {}
    return {row.id: row for row in db.execute(
        select(*SUMMARY).join(Service, Service.id == ServiceRequest.service_id)
        .where(ServiceRequest.id.in_(ids), Service.public.is_(True)))}


def _service(db: Session, code: str) -> Service:
    """The service alone (not its questions: one light query on a hot path)."""
    service = db.scalar(select(Service).where(Service.code == code))
    if service is None:
        raise NotFound("unknown_service", f"There is no service with code {code!r}.")
    return service


def _checked_phash(phash: str) -> str:
    phash = (phash or "").strip().lower()
    if phash and (len(phash) != 16 or not set(phash) <= HEX):
        raise InvalidInput("invalid_phash", "A photo hash is 16 hexadecimal characters.")
    return phash


def _photos_by_request(db: Session, request_ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    if not request_ids:
        return found
    for photo in db.execute(select(Media.request_id, Media.public_id, Media.phash, Media.variants)
                            .where(Media.request_id.in_(request_ids),
                                   Media.kind == MediaKind.REPORT, Media.hidden.is_(False))
                            .order_by(Media.id)):
        found[photo.request_id].append(photo)
    return found


def _closest_photo(phash: str, photos: list[Any]) -> int | None:
    if not phash:
        return None
    distances = [phash_distance(phash, p.phash) for p in photos
                 if len(p.phash or "") == 16 and set(p.phash) <= HEX]
    return min(distances) if distances else None


def _text_similarity(a: str, b: str) -> float | None:
    if not a or not b:
        return None
    from rapidfuzz import fuzz, utils  # imported on first use: off the cold start

    return round(fuzz.token_set_ratio(a, b, processor=utils.default_process) / 100, 3)


def _thumbnail(photos: list[Any]) -> Any:
    return next((p for p in photos if "thumb" in (p.variants or {})), None)
