"""POST requests: form fields as the standard names them, keys, tokens, refusals."""

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import (
    Address,
    AddressStreet,
    Channel,
    Media,
    Open311Submission,
    ReporterContact,
    ServiceRequest,
)
from backend.services import open311
from tests.conftest import count_rows
from tests.open311 import spec
from tests.open311.support import BASE, CITY_HALL, GRAFFITI, engine_of, key_record

FORMATS = ["xml", "json"]


def stored(db_session, tracking: str) -> ServiceRequest:
    return db_session.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))


@pytest.mark.parametrize("fmt", FORMATS)
def test_realtime_service_answers_with_the_request_id(post, db_session, fmt):
    answer = post(fmt, GRAFFITI)
    assert answer.status_code == 201, answer.data
    if fmt == "json":
        body = spec.check_json(answer, spec.POST_ANSWER)[0]
        tracking = body["service_request_id"]
        assert "token" not in body and "within 2 days" in body["service_notice"]
    else:
        root = spec.check_xml(answer, "service_requests")
        tracking = root.findtext("request/service_request_id")
        assert root.find("request/token") is None
        assert root.findtext("request/service_notice")
    request = stored(db_session, tracking)
    assert request.channel == Channel.OPEN311
    assert request.attributes == {"surface": "wall"}
    assert (request.lat, request.lon) == (34.0537, -118.2427)
    assert request.description == GRAFFITI["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_batch_service_answers_with_a_token_that_resolves(client, post, fmt):
    answer = post(fmt, service_code="sidewalk-survey", **CITY_HALL)
    assert answer.status_code == 201, answer.data
    if fmt == "json":
        body = spec.check_json(answer, spec.POST_ANSWER)[0]
        assert "service_request_id" not in body
        token = body["token"]
    else:
        token = spec.check_xml(answer, "service_requests").findtext("request/token")
    resolved = spec.check_json(client.get(f"{BASE}/tokens/{token}.json"), spec.TOKENS)
    assert resolved[0]["token"] == token
    tracking = resolved[0]["service_request_id"]
    root = spec.check_xml(client.get(f"{BASE}/tokens/{token}.xml"), "service_requests")
    assert spec.xml_items(root) == [{"service_request_id": tracking, "token": token}]
    shown = client.get(f"{BASE}/requests/{tracking}.json").json
    assert shown[0]["service_code"] == "sidewalk-survey"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(client, fmt):
    answer = client.get(f"{BASE}/tokens/{uuid.uuid4()}.{fmt}")
    assert answer.status_code == 404
    if fmt == "json":
        assert spec.check_json(answer, spec.ERRORS)[0]["code"] == 404
    else:
        assert spec.check_xml(answer, "errors").findtext("error/code") == "404"


def test_blackbox_service_takes_the_report_but_never_shows_it(client, post, db_session):
    answer = post("json", service_code="anonymous-tip", description="Someone dumps at night.",
                  **CITY_HALL)
    assert answer.status_code == 201, answer.data
    body = spec.check_json(answer, spec.POST_ANSWER)[0]
    assert set(body) == {"service_notice"}
    request = db_session.scalar(select(ServiceRequest))
    assert request.description == "Someone dumps at night."
    for fmt in FORMATS:
        assert client.get(f"{BASE}/requests/{request.tracking}.{fmt}").status_code == 404
        listed = client.get(f"{BASE}/requests.json?service_request_id={request.tracking}")
        assert listed.json == []
    assert client.get(f"{BASE}/requests.json?service_code=anonymous-tip").json == []


def test_private_service_takes_reports_that_lists_leave_out(client, post):
    answer = post("json", service_code="internal-inspection", **CITY_HALL)
    assert answer.status_code == 201, answer.data
    tracking = answer.json[0]["service_request_id"]
    assert client.get(f"{BASE}/requests.json").json == []
    assert client.get(f"{BASE}/requests.json?service_code=internal-inspection").status_code == 400
    assert client.get(f"{BASE}/requests/{tracking}.json").json[0]["service_request_id"] == tracking


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "not-a-key"])
def test_missing_or_bad_api_key_is_403(client, db_session, fmt, key):
    data = dict(GRAFFITI) if key is None else {**GRAFFITI, "api_key": key}
    answer = client.post(f"{BASE}/requests.{fmt}", data=data)
    assert answer.status_code == 403
    if fmt == "json":
        assert spec.check_json(answer, spec.ERRORS)[0]["code"] == 403
    else:
        assert spec.check_xml(answer, "errors").findtext("error/code") == "403"
    assert count_rows(db_session, ServiceRequest) == 0


def test_revoked_key_is_403_and_use_is_recorded(app, post, db_session):
    assert post("json", GRAFFITI).status_code == 201
    assert key_record(app).last_used_at is not None
    with Session(engine_of(app)) as db:
        open311.revoke_api_key(db, "conformance-suite")
        db.commit()
    assert post("json", GRAFFITI).status_code == 403
    assert count_rows(db_session, ServiceRequest) == 1


def test_api_key_in_the_query_string_is_accepted(client, api_key):
    answer = client.post(f"{BASE}/requests.json?api_key={api_key}", data=GRAFFITI)
    assert answer.status_code == 201, answer.data


@pytest.mark.parametrize(("fields", "status", "words"), [
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "no-such-service"}, 404, "no-such-service"),
    ({"attribute[surface]": ""}, 400, "painted"),
    ({"attribute[surface]": "roof"}, 400, "roof"),
    ({"attribute[colour]": "red"}, 400, "colour"),
    ({"attribute[surface": "wall"}, 400, "attribute[surface"),
    ({"lat": "", "long": ""}, 400, "location"),
    ({"long": ""}, 400, "lat and long"),
    ({"lat": "north"}, 400, "lat"),
    ({"lat": "40.7128", "long": "-74.0060"}, 400, "outside"),
    ({"lat": "95"}, 400, "atitude"),
    ({"description": "x" * 4001}, 400, "4000"),
    ({"media_url": "ftp://example.org/a.jpg"}, 400, "media_url"),
    ({"media_url": "https://example.org/" + "a" * 500}, 400, "media_url"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"phone": "call me maybe"}, 400, "phone"),
    ({"first_name": "A" * 200}, 400, "first_name"),
    ({"device_id": "d" * 121}, 400, "device_id"),
    ({"jurisdiction_id": "springfield"}, 400, "jurisdiction"),
])
def test_bad_fields_are_refused_with_the_reason(post, db_session, fields, status, words):
    for fmt in FORMATS:
        answer = post(fmt, {**GRAFFITI, **fields})
        assert answer.status_code == status, answer.data
        if fmt == "json":
            description = spec.check_json(answer, spec.ERRORS)[0]["description"]
            assert words in description, description
        else:
            assert spec.check_xml(answer, "errors").findtext("error/code") == str(status)
    assert count_rows(db_session, ServiceRequest) == 0


def test_description_of_exactly_4000_characters_is_taken(post):
    assert post("json", {**GRAFFITI, "description": "x" * 4000}).status_code == 201


def test_json_body_is_refused(client, api_key):
    answer = client.post(f"{BASE}/requests.json", json={**GRAFFITI, "api_key": api_key})
    assert answer.status_code == 400
    assert "x-www-form-urlencoded" in spec.check_json(answer, spec.ERRORS)[0]["description"]


def test_multi_value_attributes_both_ways(post, db_session):
    base = {"service_code": "bulky-items", **CITY_HALL, "attribute[count]": "3"}
    listed = post("json", {**base, "attribute[items][]": ["furniture", "mattress"]})
    assert listed.status_code == 201, listed.data
    single = post("json", {**base, "attribute[items]": "boxes"})
    assert single.status_code == 201, single.data
    wrong = post("json", {**base, "attribute[items][]": ["furniture", "piano"]})
    assert wrong.status_code == 400 and "piano" in wrong.json[0]["description"]
    first = stored(db_session, listed.json[0]["service_request_id"])
    assert first.attributes == {"items": ["furniture", "mattress"], "count": 3}
    assert stored(db_session, single.json[0]["service_request_id"]).attributes["items"] \
        == ["boxes"]


def test_location_by_address_string(post, client):
    answer = post("json", {**GRAFFITI, "lat": "", "long": "",
                           "address_string": "200 N Spring St, Los Angeles"})
    assert answer.status_code == 201, answer.data
    shown = client.get(f"{BASE}/requests/{answer.json[0]['service_request_id']}.json").json[0]
    assert shown["address"] == "200 N Spring St, Los Angeles"
    assert shown["lat"] is None and shown["long"] is None and shown["address_id"] is None


def test_location_by_address_id_from_the_address_list(app, post, client):
    with Session(engine_of(app)) as db:
        place = Address(label="200 N SPRING ST, 90012", normalized="200 n spring st 90012",
                        number="200", street=AddressStreet(name="n spring st"),
                        locality="90012", lat=34.0537, lon=-118.2427)
        db.add(place)
        db.commit()
        address_id = str(place.id)
    answer = post("json", {**GRAFFITI, "lat": "", "long": "", "address_id": address_id})
    assert answer.status_code == 201, answer.data
    shown = client.get(f"{BASE}/requests/{answer.json[0]['service_request_id']}.json").json[0]
    assert shown["address_id"] == address_id
    assert shown["address"] == "200 N SPRING ST, 90012"
    assert (shown["lat"], shown["long"]) == (34.0537, -118.2427)
    for unknown in ("999999", "99999999999999999999", "LA-4711"):
        refused = post("json", {**GRAFFITI, "address_id": unknown})
        assert refused.status_code == 400 and "address_id" in refused.json[0]["description"]


def test_contact_and_client_ids_are_kept_privately(post, db_session):
    answer = post("json", {**GRAFFITI, "email": "rosa.q@example.org", "first_name": "Rosa",
                           "last_name": "Quintero", "phone": "+1 213 555 0199",
                           "device_id": "device-77", "account_id": "acct-42",
                           "media_url": "https://photos.example.org/tag.jpg"})
    assert answer.status_code == 201, answer.data
    request = stored(db_session, answer.json[0]["service_request_id"])
    contact = db_session.get(ReporterContact, request.id)
    assert (contact.name, contact.email, contact.phone) == (
        "Rosa Quintero", "rosa.q@example.org", "+1 213 555 0199")
    record = db_session.get(Open311Submission, request.id)
    assert (record.device_id, record.account_id) == ("device-77", "acct-42")
    assert record.media_url == "https://photos.example.org/tag.jpg"


def test_retry_with_the_same_idempotency_key_returns_the_first_answer(post, db_session):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = post("json", GRAFFITI, headers=headers)
    again = post("xml", GRAFFITI, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert spec.check_xml(again, "service_requests").findtext("request/service_request_id") \
        == first.json[0]["service_request_id"]
    other = post("json", {**GRAFFITI, "description": "else"}, headers=headers)
    assert other.status_code == 400 and "Idempotency-Key" in other.json[0]["description"]
    assert count_rows(db_session, ServiceRequest) == 1


def test_batch_retry_returns_the_same_token(post, db_session):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    fields = {"service_code": "sidewalk-survey", **CITY_HALL}
    first, again = post("json", fields, headers=headers), post("json", fields, headers=headers)
    assert first.json[0]["token"] == again.json[0]["token"]
    assert count_rows(db_session, Open311Submission) == 1


def test_two_clients_may_use_the_same_idempotency_key(app, client, post, db_session):
    with Session(engine_of(app)) as db:
        other_key, _ = open311.create_api_key(db, "another-app")
        db.commit()
    headers = {"Idempotency-Key": "shared-key-0001"}
    assert post("json", GRAFFITI, headers=headers).status_code == 201
    other = client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": other_key},
                        headers=headers)
    assert other.status_code == 201
    assert count_rows(db_session, ServiceRequest) == 2


def test_bad_idempotency_key_is_400(post):
    assert post("json", GRAFFITI, headers={"Idempotency-Key": "short"}).status_code == 400


def _jpeg(colour=(180, 40, 40), size=(800, 600), **params) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **params)
    return out.getvalue()


@pytest.mark.parametrize("field", ["media", "media[]"])
def test_photo_files_go_through_the_photo_pipeline(client, api_key, db_session, field):
    photos = [(io.BytesIO(_jpeg()), "tag.jpg", "image/jpeg"),
              (io.BytesIO(_jpeg((20, 20, 200))), "wall.jpg", "image/jpeg")]
    answer = client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": api_key,
                                                         field: photos},
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.data
    tracking = spec.check_json(answer, spec.POST_ANSWER)[0]["service_request_id"]
    stored_photos = db_session.scalars(select(Media).order_by(Media.id)).all()
    assert len(stored_photos) == 2
    assert {p.request_id for p in stored_photos} == {stored(db_session, tracking).id}
    shown = spec.check_json(client.get(f"{BASE}/requests/{tracking}.json"), spec.REQUESTS)[0]
    assert f"/api/v1/photos/{stored_photos[0].public_id}/display?v=" in shown["media_url"]
    with client.get(shown["media_url"].removeprefix("http://localhost")) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_a_retried_multipart_post_stores_its_photo_once(client, api_key, db_session):
    def send():
        return client.post(f"{BASE}/requests.json",
                           data={**GRAFFITI, "api_key": api_key,
                                 "media": (io.BytesIO(_jpeg()), "tag.jpg", "image/jpeg")},
                           content_type="multipart/form-data",
                           headers={"Idempotency-Key": "retry-with-photo-1"})
    first, again = send(), send()
    assert (first.status_code, again.status_code) == (201, 200), again.data
    assert first.json == again.json
    assert count_rows(db_session, ServiceRequest) == 1 and count_rows(db_session, Media) == 1


@pytest.mark.parametrize(("data", "needle"), [
    (b"\xff\xd8\xff\xe0 not really a jpeg", "could not be read"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "Only JPEG, PNG, WebP and HEIC"),
])
def test_a_bad_photo_refuses_the_whole_request(client, api_key, db_session, data, needle):
    photo = (io.BytesIO(data), "tag.jpg", "image/jpeg")
    answer = client.post(f"{BASE}/requests.json", data={**GRAFFITI, "api_key": api_key,
                                                         "media": photo},
                         content_type="multipart/form-data")
    assert answer.status_code == 400
    assert needle in spec.check_json(answer, spec.ERRORS)[0]["description"]
    assert count_rows(db_session, ServiceRequest) == 0 and count_rows(db_session, Media) == 0
