"""Photos as they travel over HTTP. The public view says nothing of moderation or hashes."""

import marshmallow as ma
from marshmallow import validate

from backend.media.redaction import RedactionStyle
from backend.models import MediaKind
from backend.services import photos

KINDS = [k.value for k in MediaKind]
STYLES = [s.value for s in RedactionStyle]


class PhotoUploadSchema(ma.Schema):
    """The multipart form of an upload (the file itself is read from the files part)."""

    photo = ma.fields.Raw(load_default=None, metadata={
        "type": "string", "format": "binary",
        "description": "Required: the photo (JPEG, PNG, WebP or HEIC)."})
    kind = ma.fields.String(load_default=MediaKind.REPORT.value, validate=validate.OneOf(KINDS),
                            metadata={"description": "report (default) or proof (of a fix)."})


class GeoTagSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    direction = ma.fields.Float(allow_none=True,
                                metadata={"description": "Degrees clockwise from north."})


class PhotoSchema(ma.Schema):
    """What the uploader gets back: the id to put in a report, and where the camera was."""

    id = ma.fields.String(attribute="public_id")
    kind = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    urls = ma.fields.Function(photos.variant_urls, metadata={"type": "object"})
    geotag = ma.fields.Function(photos.geotag, allow_none=True,
                                metadata={"description": "From the photo's EXIF, when it has "
                                          "a position: offer it as the report's location."})
    taken_at = ma.fields.AwareDateTime(allow_none=True)


class StaffPhotoSchema(PhotoSchema):
    hidden = ma.fields.Boolean()
    redacted = ma.fields.Boolean()
    unredacted_urls = ma.fields.Function(photos.unredacted_urls, metadata={"type": "object"})
    request = ma.fields.Function(lambda m: m.request.tracking if m.request else None,
                                 allow_none=True)
    size_bytes = ma.fields.Integer()
    content_hash = ma.fields.String()
    phash = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class VariantArgsSchema(ma.Schema):
    v = ma.fields.String(load_default=None, metadata={"description": "The version in the URL "
                                                     "the API gave; with it, a year of caching."})
    unredacted = ma.fields.Boolean(load_default=False,
                                   metadata={"description": "Staff only: before redaction."})


class DirectUploadCreateSchema(ma.Schema):
    content_type = ma.fields.String(load_default="image/jpeg", validate=validate.Length(1, 100),
                                    metadata={"description": "The file's type: one of " + ", ".join(
                                        sorted(photos.UPLOAD_CONTENT_TYPES)) + "."})


class DirectUploadSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "Send it to …/uploads/finish afterwards."})
    url = ma.fields.String()
    method = ma.fields.Constant("POST")
    fields = ma.fields.Dict(metadata={"description": "Form fields to send before the file."})
    file_field = ma.fields.Constant("file")
    max_bytes = ma.fields.Integer()
    expires_in = ma.fields.Integer(metadata={"description": "Seconds the URL stays valid."})


class DirectUploadFinishSchema(ma.Schema):
    key = ma.fields.String(required=True, validate=validate.Length(1, 120))
    kind = ma.fields.String(load_default=None, validate=validate.OneOf(KINDS))


class LocalUploadSchema(ma.Schema):
    file = ma.fields.Raw(load_default=None, metadata={"type": "string", "format": "binary"})


class HideSchema(ma.Schema):
    hidden = ma.fields.Boolean(load_default=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class RedactSchema(ma.Schema):
    x = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1))
    y = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1))
    width = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1))
    height = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1))
    style = ma.fields.String(load_default="fill", validate=validate.OneOf(STYLES),
                             metadata={"description": "fill (black) or blur (coarse blocks)."})
