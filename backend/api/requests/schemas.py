"""Service requests as they travel over HTTP. The public view has no contact field at all."""

import marshmallow as ma
from marshmallow import validate

from backend.models import Channel, Priority, Status
from backend.services import reports
from backend.services.lifecycle import STATUS_NOTES
from backend.services.photos import variant_urls


class ContactSchema(ma.Schema):
    name = ma.fields.String(load_default="", validate=validate.Length(max=120))
    email = ma.fields.Email(load_default="", validate=validate.Length(max=254))
    phone = ma.fields.String(load_default="",
                             validate=validate.Regexp(r"^[0-9+()\-. ]{0,40}$",
                                                      error="Not a phone number."))
    language = ma.fields.String(load_default="en", validate=validate.OneOf(["en", "es"]))


class ReportCreateSchema(ma.Schema):
    service_code = ma.fields.String(required=True, validate=validate.Length(1, 40))
    lat = ma.fields.Float(allow_nan=False, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(allow_nan=False, validate=validate.Range(-180, 180))
    address = ma.fields.String(load_default="", validate=validate.Length(max=300))
    description = ma.fields.String(load_default="")
    attributes = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
    contact = ma.fields.Nested(ContactSchema, load_default=None)
    # Open311 and imports come in through their own doors; phone is for signed-in staff.
    channel = ma.fields.String(load_default=Channel.PWA.value,
                               validate=validate.OneOf([Channel.PWA.value, Channel.PHONE.value]),
                               metadata={"description": "pwa, or phone (dispatchers only)."})
    photos = ma.fields.List(ma.fields.String(validate=validate.Length(1, 32)),
                            load_default=list, metadata={"description": "Uploaded photo ids."})


class EventSchema(ma.Schema):
    kind = ma.fields.String()
    at = ma.fields.AwareDateTime(attribute="created_at")
    status = ma.fields.String(attribute="new_status", allow_none=True)
    note = ma.fields.String()


class PhotoSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    kind = ma.fields.String()
    urls = ma.fields.Function(variant_urls)


# Made once: building a schema per response is a measurable share of a read.
TIMELINE = EventSchema(many=True)
PHOTOS = PhotoSchema(many=True)


class PublicRequestSchema(ma.Schema):
    tracking = ma.fields.String()
    service_code = ma.fields.Function(lambda r: r.service.code)
    service_name = ma.fields.Function(lambda r: r.service.name)
    status = ma.fields.Enum(Status, by_value=True)
    public_status = ma.fields.Function(lambda r: "open" if r.status.is_open else "closed",
                                       metadata={"description": "Open311: open or closed."})
    status_notes = ma.fields.Function(lambda r: STATUS_NOTES[r.status])
    priority = ma.fields.Enum(Priority, by_value=True)
    description = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    address = ma.fields.String()
    attributes = ma.fields.Dict()
    channel = ma.fields.Enum(Channel, by_value=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    expected_at = ma.fields.AwareDateTime(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    duplicate_of = ma.fields.Function(
        lambda r: r.duplicate_of.tracking if r.duplicate_of else None)
    agency_responsible = ma.fields.Function(
        lambda r: r.department.name if r.department else None,
        metadata={"description": "The department it was routed to (never the crew)."})
    supporters = ma.fields.Integer(
        metadata={"description": "How many others said \"me too\" or filed a merged report."})
    timeline = ma.fields.Method("_timeline", metadata={"type": "array"})
    photos = ma.fields.Method("_photos", metadata={"type": "array"})

    def _timeline(self, request):
        return TIMELINE.dump(reports.public_events(request))

    def _photos(self, request):
        return PHOTOS.dump([m for m in request.photos if not m.hidden])


class StatusChangeSchema(ma.Schema):
    status = ma.fields.Enum(Status, by_value=True, required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=4000))
    public = ma.fields.Boolean(load_default=True)
