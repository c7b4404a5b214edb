"""Photos as the rest of the system sees them: upload, direct upload, attach, moderate.

Bytes go through the pipeline (backend.media) and their variants into the storage
backend; this module writes the Media rows and the timeline events. An upload with an
Idempotency-Key is made once: a replay returns the same Media. The same bytes sent
again (same content hash) are recognised and not processed or stored a second time,
though each upload keeps a row of its own (it may go to a different report).

Direct uploads: the phone sends the original straight to storage under "uploads/…"
(a presigned S3 POST, or the app's own signed URL in local mode); processing it
(``process_direct_upload``, from the client's "finish" call or from the bucket's
event) makes the Media row once, keyed by the upload's key, and removes the original,
which still carries all its metadata.

The pipeline (Pillow) is imported on first use, so requests that never touch a photo
do not pay for it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import (
    Conflict,
    CorruptPhoto,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    UnsupportedPhotoType,
)
from backend.geo.distance import haversine_m
from backend.media.hashing import content_hash
from backend.media.storage import (
    PhotoStorage,
    S3Storage,
    is_upload_key,
    new_upload_key,
    photo_key,
)
from backend.models import Event, Media, MediaKind, ServiceRequest, User

if TYPE_CHECKING:
    from backend.media.pipeline import PhotoLimits, ProcessedPhoto
    from backend.media.redaction import Box, RedactionStyle

log = logging.getLogger(__name__)

# What a phone may declare for a direct upload; the pipeline still sniffs the bytes.
UPLOAD_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic",
                                  "image/heif"})
UPLOAD_URL_SECONDS = 15 * 60
_UPLOAD_SALT = "frontdoor.photo-upload"


def limits_from_settings(settings: Mapping) -> PhotoLimits:
    from backend.media.pipeline import PhotoLimits

    return PhotoLimits(max_bytes=int(settings["PHOTO_MAX_BYTES"]),
                       max_pixels=int(settings["PHOTO_MAX_PIXELS"]))


# -- uploading -------------------------------------------------------------------------

def upload_photo(db: Session, storage: PhotoStorage, data: bytes, *,
                 kind: MediaKind = MediaKind.REPORT, idempotency_key: str | None = None,
                 limits: PhotoLimits | None = None) -> tuple[Media, bool]:
    """Process, store and record one uploaded photo. -> (media, created)

    Raises PhotoTooLarge, UnsupportedPhotoType or CorruptPhoto for bad bytes (nothing
    is stored then), Conflict when the key was used for different bytes.
    """
    limits = limits or _default_limits()
    _check_size(len(data), limits)
    digest = content_hash(data)
    if idempotency_key:
        earlier = _replayed(db, idempotency_key, digest)
        if earlier is not None:
            return earlier, False
    media = _processed_media(db, storage, data, digest, limits)
    media.kind, media.idempotency_key = MediaKind(kind), idempotency_key
    return _insert_once(db, media, lambda: idempotency_key and _replayed(db, idempotency_key,
                                                                          digest))


def get_photo(db: Session, public_id: str) -> Media:
    media = db.scalar(select(Media).where(Media.public_id == public_id))
    if media is None:
        raise NotFound("unknown_photo", f"No photo has id {public_id!r}.")
    return media


def viewable_photo(db: Session, public_id: str, *, staff: bool) -> Media:
    """The photo, if this viewer may see it: hidden photos exist for staff only."""
    media = db.scalar(select(Media).where(Media.public_id == public_id))
    if media is None or (media.hidden and not staff):
        raise NotFound("unknown_photo", f"No photo has id {public_id!r}.")
    return media


def variant_entry(media: Media, variant: str, *, unredacted: bool = False) -> dict:
    """{"key", "width", "height"} of one variant; ``unredacted`` is for staff only."""
    variants = media.unredacted_variants if unredacted and media.redacted else media.variants
    entry = (variants or {}).get(variant)
    if entry is None:
        raise NotFound("unknown_variant", f"Photos come as {', '.join(media.variants)}.")
    return entry


def geotag(media: Media) -> dict | None:
    """Where the camera was, from the photo's EXIF (for its uploader and for staff)."""
    if media.gps_lat is None or media.gps_lon is None:
        return None
    return {"lat": media.gps_lat, "lon": media.gps_lon, "direction": media.gps_direction}


# -- addresses ---------------------------------------------------------------------------
# Each photo URL carries ``v``, a short digest of the stored key; keys are content-addressed,
# so ``v`` changes whenever the bytes do (a redaction, for one). A URL with the current
# ``v`` may be cached for a year without ever showing stale pixels.

PHOTO_PATH = "/api/v1/photos"


def version_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def variant_url(media: Media, variant: str, *, base_url: str = "",
                entry: dict | None = None) -> str:
    entry = entry if entry is not None else media.variants[variant]
    return f"{base_url}{PHOTO_PATH}/{media.public_id}/{variant}?v={version_of(entry['key'])}"


def variant_urls(media: Media, *, base_url: str = "") -> dict[str, str]:
    """Variant name → URL of the public (possibly redacted) rendition."""
    return {name: variant_url(media, name, base_url=base_url, entry=entry)
            for name, entry in (media.variants or {}).items()}


def unredacted_urls(media: Media) -> dict[str, str]:
    """For staff: the variants as uploaded, before any redaction (empty if never redacted)."""
    return {name: variant_url(media, name, entry=entry) + "&unredacted=true"
            for name, entry in (media.unredacted_variants or {}).items()}


def _default_limits() -> PhotoLimits:
    from backend.media.pipeline import DEFAULT_LIMITS

    return DEFAULT_LIMITS


def _check_size(byte_size: int, limits: PhotoLimits) -> None:
    from backend.media.pipeline import check_byte_size

    check_byte_size(byte_size, limits)
    if byte_size == 0:
        raise CorruptPhoto("The photo is empty (0 bytes).")


def _replayed(db: Session, key: str, digest: str) -> Media | None:
    earlier = db.scalar(select(Media).where(Media.idempotency_key == key))
    if earlier is not None and earlier.content_hash != digest:
        raise Conflict("idempotency_key_reused",
                       "This Idempotency-Key was already used for a different photo.")
    return earlier


def _processed_media(db: Session, storage: PhotoStorage, data: bytes, digest: str,
                     limits: PhotoLimits) -> Media:
    """A new, unsaved Media row for these bytes, processing and storing them if needed."""
    same = _stored_before(db, storage, digest)
    if same is not None:  # identical bytes give identical variants: reuse what is stored
        return Media(public_id=_new_public_id(), content_hash=digest, phash=same.phash,
                     width=same.width, height=same.height, size_bytes=same.size_bytes,
                     variants=same.unredacted_variants or same.variants,
                     gps_lat=same.gps_lat, gps_lon=same.gps_lon,
                     gps_direction=same.gps_direction, taken_at=same.taken_at)
    from backend.media.pipeline import process_photo

    processed = process_photo(data, limits)
    return _media_of(processed, _put_variants(storage, processed))


def _stored_before(db: Session, storage: PhotoStorage, digest: str) -> Media | None:
    same = db.scalar(select(Media).where(Media.content_hash == digest)
                     .order_by(Media.id).limit(1))
    if same is None:
        return None
    variants = same.unredacted_variants or same.variants
    if not variants or not all(storage.exists(v["key"]) for v in variants.values()):
        return None
    return same


def _put_variants(storage: PhotoStorage, processed: ProcessedPhoto) -> dict:
    from backend.media.storage import put_variants

    keys = put_variants(storage, processed)
    return {name: {"key": keys[name], "width": v.width, "height": v.height}
            for name, v in processed.variants.items()}


def _media_of(processed: ProcessedPhoto, variants: dict) -> Media:
    gps = processed.gps
    return Media(public_id=_new_public_id(), content_hash=processed.content_hash,
                 phash=processed.phash, width=processed.width, height=processed.height,
                 size_bytes=processed.byte_size, variants=variants,
                 gps_lat=gps.lat if gps else None, gps_lon=gps.lon if gps else None,
                 gps_direction=gps.direction if gps else None,
                 taken_at=_utc_or_none(processed.taken_at))


def _utc_or_none(taken_at: datetime | None) -> datetime | None:
    # A camera time without its UTC offset could be any zone: better unknown than wrong.
    if taken_at is None or taken_at.tzinfo is None:
        return None
    return taken_at.astimezone(UTC)


def _new_public_id() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, never sequential


def _insert_once(db: Session, media: Media, earlier: Callable[[], Media | None]
                 ) -> tuple[Media, bool]:
    """Insert, or (when a concurrent replay won the unique key) return the winner's row."""
    try:
        with db.begin_nested():
            db.add(media)
            db.flush()
    except IntegrityError:
        winner = earlier()
        if not winner:
            raise
        return winner, False
    return media, True


# -- direct uploads --------------------------------------------------------------------

@dataclass(frozen=True)
class DirectUpload:
    """Where the phone sends the original: POST multipart to ``url`` with ``fields`` and
    then the file as "file". ``url`` is None when the app itself receives it (local
    storage); the API then gives its own signed URL."""

    key: str
    url: str | None
    fields: dict
    max_bytes: int
    expires_in: int


def start_direct_upload(storage: PhotoStorage, *, content_type: str, max_bytes: int,
                        expires_in: int = UPLOAD_URL_SECONDS) -> DirectUpload:
    if content_type not in UPLOAD_CONTENT_TYPES:
        raise UnsupportedPhotoType(content_type=content_type)
    key = new_upload_key()
    uploads = storage.unprefixed()
    if isinstance(uploads, S3Storage):
        signed = uploads.presign_upload(key, max_bytes, content_type, expires_in)
        return DirectUpload(key, signed["url"], signed["fields"], max_bytes, expires_in)
    return DirectUpload(key, None, {}, max_bytes, expires_in)


def sign_upload_key(secret: str, key: str) -> str:
    """A URL-safe token naming one upload key, for the app's own upload URL."""
    return URLSafeTimedSerializer(secret, salt=_UPLOAD_SALT).dumps(key)


def upload_key_from_token(secret: str, token: str,
                          max_age: int = UPLOAD_URL_SECONDS) -> str:
    serializer = URLSafeTimedSerializer(secret, salt=_UPLOAD_SALT)
    try:
        key = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise Forbidden("upload_url_expired",
                        "This upload address has expired; ask for a new one.") from None
    except BadSignature:
        raise Forbidden("invalid_upload_url", "This is not a valid upload address.") from None
    if not isinstance(key, str) or not is_upload_key(key):
        raise Forbidden("invalid_upload_url", "This is not a valid upload address.")
    return key


def receive_local_upload(db: Session, storage: PhotoStorage, key: str, data: bytes, *,
                         limits: PhotoLimits | None = None) -> None:
    """Keep the original sent to the app's own upload URL until it is processed."""
    _check_size(len(data), limits or _default_limits())
    if db.scalar(select(Media.id).where(Media.upload_key == key)) is not None:
        raise Conflict("upload_already_processed",
                       "This upload was already processed; ask for a new upload address.")
    storage.unprefixed().put(key, data, "application/octet-stream")


def process_direct_upload(db: Session, storage: PhotoStorage, object_key: str, *,
                          kind: MediaKind | None = None,
                          limits: PhotoLimits | None = None) -> tuple[Media, bool]:
    """Make the photo from an original uploaded under ``object_key``. -> (media, created)

    Safe to call twice (the client's finish and the bucket's event may race): the
    second call returns the first one's row.
    """
    if not is_upload_key(object_key):
        raise InvalidInput("unknown_upload", "That is not an upload key this app made.")
    limits = limits or _default_limits()
    earlier = _processed_upload(db, object_key)
    if earlier is None:
        uploads = storage.unprefixed()
        try:
            data = _uploaded_bytes(uploads, object_key, limits)
            media = _processed_media(db, storage, data, content_hash(data), limits)
        except DomainError as refusal:
            if refusal.code != "upload_not_found":  # retrying cannot make it a photo
                uploads.delete(object_key)
            raise
        media.kind, media.upload_key = kind or MediaKind.REPORT, object_key
        media, created = _insert_once(db, media, lambda: _processed_upload(db, object_key))
        # The original still carries every trace of metadata: it goes once processed.
        uploads.delete(object_key)
        if created:
            return media, True
        earlier = media
    if kind is not None and earlier.request_id is None:
        earlier.kind = kind
    return earlier, False


def _processed_upload(db: Session, object_key: str) -> Media | None:
    return db.scalar(select(Media).where(Media.upload_key == object_key))


def _uploaded_bytes(uploads: PhotoStorage, key: str, limits: PhotoLimits) -> bytes:
    try:
        # Not every S3-protocol server enforces the presigned size limit: check first.
        _check_size(uploads.size(key), limits)
        return uploads.get(key)
    except NotFound:
        raise NotFound("upload_not_found", "Nothing has been uploaded under that key (yet), "
                                           "or the upload has expired.") from None


# -- photos of a report ----------------------------------------------------------------

def photos_to_attach(db: Session, public_ids: Iterable[str]) -> list[Media]:
    """The uploaded photos with these ids, in the order given; none may be attached yet."""
    wanted = list(dict.fromkeys(public_ids))
    if not wanted:
        return []
    found = {m.public_id: m for m in db.scalars(select(Media)
                                                .where(Media.public_id.in_(wanted)))}
    for public_id in wanted:
        photo = found.get(public_id)
        if photo is None:
            raise InvalidInput("unknown_photo", f"No uploaded photo has id {public_id!r}.")
        if photo.request_id is not None:
            raise Conflict("photo_in_use", "That photo already belongs to another report.")
    return [found[p] for p in wanted]


def photo_position(photos: Iterable[Media]) -> tuple[float, float] | None:
    """(lon, lat) of the first photo whose EXIF says where it was taken."""
    for photo in photos:
        if photo.gps_lat is not None and photo.gps_lon is not None:
            return photo.gps_lon, photo.gps_lat
    return None


def attach_to_request(db: Session, request: ServiceRequest, photos: Iterable[Media], *,
                      actor: User | None = None) -> None:
    """The photos join the request, each with a "photo" event on its timeline. When the
    request and the photo both have a position, the event records how far apart they are."""
    for photo in photos:
        photo.request_id = request.id
        data = {"photo": photo.public_id}
        distance = _distance_m(request, photo)
        if distance is not None:
            data["distance_m"] = distance
        db.add(Event(request=request, kind="photo", actor=actor, data=data))


def _distance_m(request: ServiceRequest, photo: Media) -> float | None:
    if None in (request.lat, request.lon, photo.gps_lat, photo.gps_lon):
        return None
    return round(haversine_m(request.lon, request.lat, photo.gps_lon, photo.gps_lat), 1)


# -- moderation ------------------------------------------------------------------------

def set_hidden(db: Session, media: Media, hidden: bool, *, actor: User | None = None,
               reason: str = "") -> Media:
    """Hide the photo from the public (staff still see it), or show it again."""
    if media.hidden == hidden:
        return media
    media.hidden = hidden
    _moderation_event(db, media, "photo_hidden" if hidden else "photo_shown", actor,
                      {"reason": reason} if reason else {})
    return media


def redact_photo(db: Session, storage: PhotoStorage, media: Media, box: Box,
                 style: RedactionStyle | None = None, *, actor: User | None = None) -> Media:
    """Cover ``box`` on every public variant; the unredacted ones stay, for staff only.

    A second redaction covers its box on the already-redacted picture, so every box
    stays covered.
    """
    from backend.media.redaction import RedactionStyle, redact

    style = style or RedactionStyle.FILL
    large = variant_entry(media, "large")
    rendered = redact(storage.get(large["key"]), box, style)
    digest = content_hash(rendered["large"].data)  # a new name: caches never show the old
    variants = {}
    for name, variant in rendered.items():
        key = photo_key(digest, name, variant.extension)
        storage.put(key, variant.data, variant.content_type)
        variants[name] = {"key": key, "width": variant.width, "height": variant.height}
    if media.unredacted_variants is None:
        media.unredacted_variants = dict(media.variants)
    media.variants = variants
    _moderation_event(db, media, "photo_redacted", actor, {
        "box": [box.x, box.y, box.width, box.height], "style": style.value})
    return media


def _moderation_event(db: Session, media: Media, kind: str, actor: User | None,
                      data: dict) -> None:
    # Staff's timeline only: moderation is not the public's business, and a photo not
    # yet on a report has no timeline.
    if media.request_id is None:
        return
    db.add(Event(request_id=media.request_id, kind=kind, public=False, actor=actor,
                 data={"photo": media.public_id, **data}))
