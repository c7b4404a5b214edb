"""Photos over HTTP: upload one, or send it straight to storage and finish; see a variant;
moderate (staff). Errors carry the pipeline's codes: unsupported_photo_type,
corrupt_photo, photo_too_large (with the limit in the message)."""

import re

from flask import Response, current_app, redirect, request, send_file, url_for
from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.photos.schemas import (
    DirectUploadCreateSchema,
    DirectUploadFinishSchema,
    DirectUploadSchema,
    HideSchema,
    LocalUploadSchema,
    PhotoSchema,
    PhotoUploadSchema,
    RedactSchema,
    StaffPhotoSchema,
    VariantArgsSchema,
)
from backend.db import session
from backend.errors import InvalidInput, NotFound
from backend.media.redaction import Box, RedactionStyle
from backend.media.storage import LocalDiskStorage, PhotoStorage, S3Storage, storage_from_settings
from backend.models import MediaKind, Role
from backend.services import photos

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos",
                description="Photos: upload (or upload straight to storage), view, moderate.")

MODERATORS = (Role.DISPATCHER, Role.ADMIN)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,80}$")
IDEMPOTENCY_DOC = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"type": "string"},
                   "description": "Made once per photo on the client; a replay with the same "
                                  "key returns the same photo."}
# Content-hash URLs (with the current ?v=) never change their bytes.
PUBLIC_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
STAFF_ONLY = "private, no-store"
PRESIGNED_GET_SECONDS = 3600
MULTIPART = "multipart/form-data"
# Room for the multipart envelope around the photo itself.
MULTIPART_SLACK = 64 * 1024


def photo_storage() -> PhotoStorage:
    return storage_from_settings(current_app.config)


def photo_limits():
    return photos.limits_from_settings(current_app.config)


@blp.before_request
def refuse_oversized_uploads() -> None:
    """A photo over the limit is refused from its Content-Length, before it is read."""
    length = request.content_length
    if request.method == "POST" and length and request.mimetype == MULTIPART:
        limits = photo_limits()
        if length > limits.max_bytes + MULTIPART_SLACK:
            from backend.media.pipeline import check_byte_size

            check_byte_size(length, limits)


@blp.route("")
class Photos(MethodView):
    accepts_files = True

    @blp.arguments(PhotoUploadSchema, location="form", content_type=MULTIPART)
    @blp.response(201, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="A replay: the same photo.")
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, form):
        """Upload a photo (multipart field `photo`). The answer's id goes into a report's
        `photos`, or a work order's proof; `geotag` is where the camera was, if it said."""
        media, created = photos.upload_photo(
            session(), photo_storage(), _file_bytes("photo"), kind=MediaKind(form["kind"]),
            idempotency_key=_idempotency_key(), limits=photo_limits())
        return media, 201 if created else 200


@blp.route("/<public_id>")
class Photo(MethodView):
    @blp.requires_role()
    @blp.response(200, StaffPhotoSchema)
    def get(self, public_id):
        """Everything about a photo, for staff (hidden, redacted, hashes, its report)."""
        return photos.get_photo(session(), public_id)


@blp.route("/<public_id>/<variant>")
class PhotoVariant(MethodView):
    @blp.arguments(VariantArgsSchema, location="query")
    @blp.response(200, content_type="image/jpeg", description="The JPEG (local storage).")
    @blp.alt_response(302, description="S3 storage: a short-lived presigned URL of the JPEG.")
    @blp.alt_response(404, description="No such photo or variant, or hidden from the public.")
    def get(self, args, public_id, variant):
        """One variant: large (~2000 px), display (~1000 px) or thumb (~320 px). Hidden
        photos and unredacted originals are for signed-in staff only."""
        staff = current_user(required=args["unredacted"]) is not None
        media = photos.viewable_photo(session(), public_id, staff=staff)
        entry = photos.variant_entry(media, variant, unredacted=args["unredacted"])
        if media.hidden or (args["unredacted"] and media.redacted):
            cache = STAFF_ONLY
        else:
            cache = PUBLIC_CACHE if args["v"] == photos.version_of(entry["key"]) else REVALIDATE
        return _serve(photo_storage(), entry["key"], cache)


@blp.route("/uploads")
class DirectUploads(MethodView):
    @blp.arguments(DirectUploadCreateSchema, required=False)
    @blp.response(201, DirectUploadSchema)
    def post(self, args):
        """Where to send a photo straight to storage: POST `fields`, then the file as
        `file`, to `url`; then POST the key to /uploads/finish. Keeps large files off the
        API (in S3 mode a presigned POST; in local mode the app's own signed URL)."""
        limits = photo_limits()
        upload = photos.start_direct_upload(photo_storage(), content_type=args["content_type"],
                                            max_bytes=limits.max_bytes)
        url = upload.url or url_for("photos.LocalUpload", token=photos.sign_upload_key(
            current_app.config["SECRET_KEY"], upload.key))
        return {"key": upload.key, "url": url, "fields": upload.fields,
                "max_bytes": upload.max_bytes, "expires_in": upload.expires_in}


@blp.route("/uploads/local/<token>")
class LocalUpload(MethodView):
    accepts_files = True

    @blp.arguments(LocalUploadSchema, location="form", content_type=MULTIPART)
    @blp.response(204)
    def post(self, _form, token):
        """Local storage only: receive a direct upload at the URL /uploads gave."""
        if current_app.config["PHOTO_STORAGE"] != "local":
            raise NotFound("local_uploads_off", "Uploads go straight to the photo bucket.")
        key = photos.upload_key_from_token(current_app.config["SECRET_KEY"], token)
        photos.receive_local_upload(session(), photo_storage(), key, _file_bytes("file"),
                                    limits=photo_limits())


@blp.route("/uploads/finish")
class FinishUpload(MethodView):
    @blp.arguments(DirectUploadFinishSchema)
    @blp.response(201, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="Already processed: the same photo.")
    def post(self, args):
        """Process a direct upload into a photo (once: asking again returns it)."""
        kind = MediaKind(args["kind"]) if args["kind"] else None
        media, created = photos.process_direct_upload(
            session(), photo_storage(), args["key"], kind=kind, limits=photo_limits())
        return media, 201 if created else 200


@blp.route("/<public_id>/hide")
class HidePhoto(MethodView):
    @blp.requires_role(*MODERATORS)
    @blp.arguments(HideSchema)
    @blp.response(200, StaffPhotoSchema)
    def post(self, args, public_id):
        """Hide a photo from the public (or show it again with hidden=false)."""
        media = photos.get_photo(session(), public_id)
        return photos.set_hidden(session(), media, args["hidden"], actor=current_user(),
                                 reason=args["reason"])


@blp.route("/<public_id>/redact")
class RedactPhoto(MethodView):
    @blp.requires_role(*MODERATORS)
    @blp.arguments(RedactSchema)
    @blp.response(200, StaffPhotoSchema)
    def post(self, args, public_id):
        """Cover a rectangle (fractions of the picture: x, y, width, height) on every
        public variant; the unredacted photo stays visible to staff."""
        media = photos.get_photo(session(), public_id)
        box = Box(args["x"], args["y"], args["width"], args["height"])
        return photos.redact_photo(session(), photo_storage(), media, box,
                                   RedactionStyle(args["style"]), actor=current_user())


def _serve(storage: PhotoStorage, key: str, cache: str) -> Response:
    if isinstance(storage, S3Storage):
        response = redirect(storage.presign_download(key, PRESIGNED_GET_SECONDS, cache), 302)
        # The redirect itself expires with its signature; the bytes carry `cache`.
        response.headers["Cache-Control"] = (STAFF_ONLY if cache == STAFF_ONLY
                                             else "private, max-age=600")
        return response
    if isinstance(storage, LocalDiskStorage):
        path = storage.path(key)
        if not path.is_file():
            raise NotFound("photo_not_found", "That photo is not in storage.")
        response = send_file(path, mimetype="image/jpeg", etag=photos.version_of(key),
                             conditional=True)
    else:
        response = Response(storage.get(key), mimetype="image/jpeg")
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _file_bytes(field: str) -> bytes:
    upload = request.files.get(field) if request.mimetype == MULTIPART else None
    if upload is None:
        raise InvalidInput("missing_photo",
                           f"Send the photo as the file field {field!r} of a {MULTIPART} body.")
    return upload.read()


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("invalid_idempotency_key",
                           "Idempotency-Key must be 8–80 letters, digits or - _ : .")
    return key
