"""Duplicate candidates, follows and merges as they travel over HTTP."""

import marshmallow as ma
from marshmallow import validate

from backend.models import Status
from backend.services import duplicates

DESCRIPTION_EXCERPT = 160


class DuplicateQuerySchema(ma.Schema):
    lat = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    service = ma.fields.String(load_default=None, validate=validate.Length(1, 40),
                               metadata={"description": "The service being reported."})
    description = ma.fields.String(load_default="", validate=validate.Length(max=4000))
    phash = ma.fields.String(load_default="", validate=validate.Length(max=16),
                             metadata={"description": "64-bit perceptual hash of the photo "
                                                      "(16 hex characters)."})
    limit = ma.fields.Integer(load_default=10,
                              validate=validate.Range(1, duplicates.MAX_RESULTS))


def _thumbnail_url(candidate) -> str | None:
    photo = candidate.thumbnail
    return f"/api/v1/photos/{photo.public_id}/thumb" if photo else None


def _excerpt(candidate) -> str:
    text = candidate.request.description
    return text if len(text) <= DESCRIPTION_EXCERPT else text[:DESCRIPTION_EXCERPT - 1] + "…"


class DuplicateCandidateSchema(ma.Schema):
    tracking = ma.fields.Function(lambda c: c.request.tracking)
    service_code = ma.fields.Function(lambda c: c.request.service_code)
    service_name = ma.fields.Function(lambda c: c.request.service_name)
    status = ma.fields.Function(lambda c: Status(c.request.status).value)
    public_status = ma.fields.Function(
        lambda c: "open" if Status(c.request.status).is_open else "closed")
    created_at = ma.fields.Function(lambda c: c.request.created_at.isoformat())
    supporters = ma.fields.Function(lambda c: c.request.supporters)
    address = ma.fields.Function(lambda c: c.request.address)
    description = ma.fields.Function(_excerpt)
    lat = ma.fields.Function(lambda c: c.request.lat)
    lon = ma.fields.Function(lambda c: c.request.lon)
    distance_m = ma.fields.Function(lambda c: round(c.distance_m, 1))
    score = ma.fields.Float(metadata={"description": "0–1; higher is more likely the same."})
    same_service = ma.fields.Boolean()
    photo_distance = ma.fields.Integer(allow_none=True,
                                       metadata={"description": "Bits apart (0–64)."})
    text_similarity = ma.fields.Float(allow_none=True)
    thumbnail_url = ma.fields.Function(_thumbnail_url)


class FollowRequestSchema(ma.Schema):
    email = ma.fields.Email(load_default="", validate=validate.Length(max=254))
    language = ma.fields.String(load_default="en", validate=validate.OneOf(["en", "es"]))


class FollowResultSchema(ma.Schema):
    tracking = ma.fields.Function(lambda f: f.request.tracking,
                                  metadata={"description": "The report followed: the primary "
                                                           "when a duplicate was named."})
    supporters = ma.fields.Function(lambda f: f.request.supporters)
    counted = ma.fields.Boolean(metadata={"description": "False when this email already "
                                                         "followed it."})
    subscribed = ma.fields.Function(lambda f: f.subscription is not None)
    confirmed = ma.fields.Function(lambda f: bool(f.subscription and f.subscription.confirmed))


class MergeRequestSchema(ma.Schema):
    into = ma.fields.String(required=True, validate=validate.Length(1, 20),
                            metadata={"description": "Tracking number of the primary report."})
    note = ma.fields.String(load_default="", validate=validate.Length(max=4000))
