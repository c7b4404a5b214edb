"""GET requests and GET a request: every parameter, its edge cases, and the extensions."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Event, Media, Service, ServiceRequest, Status
from backend.models.types import utcnow
from backend.services import lifecycle
from backend.services.tracking import unused_tracking_numbers
from tests.open311 import spec
from tests.open311.support import BASE, engine_of, seed

FORMATS = ["xml", "json"]


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.data
    return [r["service_request_id"] for r in spec.check_json(answer, spec.REQUESTS)]


def refused(answer, words: str = "") -> None:
    assert answer.status_code == 400, answer.data
    description = spec.check_json(answer, spec.ERRORS)[0]["description"]
    assert words in description, description


def test_default_is_the_last_90_days_newest_first(app, client):
    now = utcnow()
    old = seed(app, created_at=now - timedelta(days=91))
    older_recent = seed(app, created_at=now - timedelta(days=89))
    newest = seed(app, created_at=now - timedelta(hours=1))
    assert ids(client.get(f"{BASE}/requests.json")) == [newest, older_recent]
    assert ids(client.get(f"{BASE}/requests.json?service_request_id={old}")) == [old]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_in_both_formats(app, client, fmt):
    tracking = seed(app)
    answer = client.get(f"{BASE}/requests/{tracking}.{fmt}")
    assert answer.status_code == 200
    if fmt == "json":
        request = spec.check_json(answer, spec.REQUESTS)[0]
        assert request["status"] == "open" and request["service_code"] == "graffiti-removal"
        assert request["agency_responsible"] == "Office of Community Beautification"
        assert request["lat"] == 34.0537 and request["long"] == -118.2427
        assert request["status_notes"] == "Received; waiting to be reviewed."
    else:
        root = spec.check_xml(answer, "service_requests")
        item = spec.xml_items(root)[0]
        assert item["service_request_id"] == tracking and item["lat"] == "34.0537"
        spec.same_as_json(item, client.get(f"{BASE}/requests/{tracking}.json").json[0])


def test_request_id_is_read_in_any_case_or_spacing(app, client):
    tracking = seed(app)
    typed = quote(tracking.replace("-", " ").lower())
    assert ids(client.get(f"{BASE}/requests/{typed}.json")) == [tracking]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("wanted", ["ABCD-EFGH", "not-a-number", "0"])
def test_unknown_request_is_404(client, fmt, wanted):
    answer = client.get(f"{BASE}/requests/{wanted}.{fmt}")
    assert answer.status_code == 404
    if fmt == "json":
        assert spec.check_json(answer, spec.ERRORS)[0]["code"] == 404
    else:
        assert spec.check_xml(answer, "errors").findtext("error/code") == "404"


def test_service_request_id_list_overrides_every_other_filter(app, client):
    now = utcnow()
    first = seed(app, created_at=now - timedelta(days=200))
    second = seed(app, service_code="other", status=Status.CLOSED)
    listed = f"{first.lower()}, {second} ,ZZZZ-ZZZZ,"
    answer = client.get(f"{BASE}/requests.json?service_request_id={quote(listed)}"
                        "&service_code=bulky-items&status=open&start_date=nonsense&page=0")
    assert ids(answer) == [first, second]


def test_service_code_and_status_take_comma_lists(app, client):
    graffiti = seed(app)
    other = seed(app, service_code="other")
    closed = seed(app, service_code="other", status=Status.RESOLVED)
    get = lambda query: set(ids(client.get(f"{BASE}/requests.json?{query}")))  # noqa: E731
    assert get("service_code=graffiti-removal") == {graffiti}
    assert get("service_code=graffiti-removal,other") == {graffiti, other, closed}
    assert get("service_code=graffiti-removal, other&status=open") == {graffiti, other}
    assert get("status=closed") == {closed}
    assert get("status=open,closed") == {graffiti, other, closed}
    assert get("status=CLOSED") == {closed}


@pytest.mark.parametrize("query", ["service_code=", "status=", "start_date=", "end_date=",
                                   "page=", "page_size=", "service_request_id=",
                                   "updated_after=", "extensions=", "lat=&long=&radius=",
                                   "jurisdiction_id=", "service_code=,"])
def test_empty_parameters_count_as_absent(app, client, query):
    tracking = seed(app)
    assert ids(client.get(f"{BASE}/requests.json?{query}")) == [tracking]


@pytest.mark.parametrize(("query", "words"), [
    ("service_code=no-such-service", "no-such-service"),
    ("service_code=graffiti-removal,nope", "nope"),
    ("status=pending", "open or closed"),
    ("start_date=yesterday", "start_date"),
    ("start_date=2024-13-45", "start_date"),
    ("start_date=2024-05-01T08:00:00", "timezone"),
    ("end_date=1714550400", "end_date"),
    ("start_date=2024-01-01T00:00:00Z&end_date=2024-04-01T00:00:01Z", "90 days"),
    ("start_date=2024-05-01T00:00:00Z&end_date=2024-04-01T00:00:00Z", "before"),
    ("updated_after=2024-05-02T00:00:00Z&updated_before=2024-05-01T00:00:00Z", "updated_after"),
    ("page=0", "page"), ("page=-1", "page"), ("page=two", "page"),
    ("page_size=0", "page_size"), ("page_size=1001", "page_size"),
    ("extensions=maybe", "extensions"),
    ("lat=34.05", "lat and long"), ("radius=100", "radius"),
    ("lat=34.05&long=-118.24&radius=50000", "radius"),
    ("lat=34.05&long=-118.24&radius=-5", "radius"),
    ("lat=north&long=-118.24", "lat"),
    ("bbox=1,2,3", "bbox"), ("bbox=-118.3,34.1,-118.2,34.0", "bbox"),
    ("jurisdiction_id=springfield", "jurisdiction"),
])
def test_bad_parameters_are_400_in_either_format(client, query, words):
    refused(client.get(f"{BASE}/requests.json?{query}"), words)
    answer = client.get(f"{BASE}/requests.xml?{query}")
    assert answer.status_code == 400
    assert spec.check_xml(answer, "errors").findtext("error/code") == "400"


def test_date_window(app, client):
    now = utcnow()
    may = now - timedelta(days=150)
    in_may = seed(app, created_at=may)
    earlier = seed(app, created_at=may - timedelta(days=40))
    start = (may - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (may + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(f"{BASE}/requests.json?start_date={start}&end_date={end}")) == [in_may]
    # Only a start: the 90 days after it. Only an end: the 90 days before it.
    assert ids(client.get(f"{BASE}/requests.json?start_date={start}")) == [in_may]
    assert ids(client.get(f"{BASE}/requests.json?end_date={end}")) == [in_may, earlier]


def test_dates_in_every_w3c_form(app, client):
    now = utcnow()
    tracking = seed(app, created_at=now - timedelta(days=10))
    day = (now - timedelta(days=11)).date().isoformat()
    local = (now - timedelta(days=11)).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    local = local[:-2] + ":" + local[-2:]
    for start in [day, f"{day}T00:00Z", f"{day}T00:00:00.123Z", quote(local),
                  local.replace("+", " ")]:
        assert ids(client.get(f"{BASE}/requests.json?start_date={start}")) == [tracking], start


def test_ninety_days_exactly_is_allowed(client):
    answer = client.get(f"{BASE}/requests.json?start_date=2024-01-01T00:00:00Z"
                        "&end_date=2024-03-31T00:00:00Z")
    assert ids(answer) == []


def test_pages_are_one_based_and_a_page_past_the_end_is_empty(app, client):
    now = utcnow()
    made = [seed(app, created_at=now - timedelta(minutes=i)) for i in range(5)]
    get = lambda query: ids(client.get(f"{BASE}/requests.json?{query}"))  # noqa: E731
    assert get("page_size=2") == made[:2]
    assert get("page=1&page_size=2") == made[:2]
    assert get("page=2&page_size=2") == made[2:4]
    assert get("page=3&page_size=2") == made[4:]
    assert get("page=4&page_size=2") == []
    assert get("page=999999") == []
    xml = client.get(f"{BASE}/requests.xml?page=4&page_size=2")
    assert list(spec.check_xml(xml, "service_requests")) == []


def test_never_more_than_1000_results(app, client):
    with Session(engine_of(app)) as db:
        service = db.scalar(select(Service.id).where(Service.code == "other"))
        now = utcnow()
        db.add_all(ServiceRequest(tracking=number, service_id=service, lat=34.05, lon=-118.24,
                                  created_at=now - timedelta(seconds=i),
                                  updated_at=now - timedelta(seconds=i))
                   for i, number in enumerate(unused_tracking_numbers(db, 1001)))
        db.commit()
    assert len(ids(client.get(f"{BASE}/requests.json"))) == 1000
    assert len(ids(client.get(f"{BASE}/requests.json?page=2"))) == 1
    root = spec.check_xml(client.get(f"{BASE}/requests.xml"), "service_requests")
    assert len(root) == 1000


def test_updated_after_and_before_for_syncing(app, client):
    now = utcnow()
    stale = seed(app, created_at=now - timedelta(days=300), updated_at=now - timedelta(days=5))
    fresh = seed(app, created_at=now - timedelta(days=200), updated_at=now - timedelta(hours=2))
    since = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    week = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(f"{BASE}/requests.json?updated_after={since}")) == [fresh]
    assert ids(client.get(f"{BASE}/requests.json?updated_before={before}")) == [stale]
    # Oldest change first, so a client can page through in order.
    assert ids(client.get(f"{BASE}/requests.json?updated_after={week}")) == [stale, fresh]


def test_status_change_moves_updated_datetime_and_the_public_status(app, client):
    tracking = seed(app, created_at=utcnow() - timedelta(days=3))
    before = client.get(f"{BASE}/requests/{tracking}.json").json[0]
    with Session(engine_of(app)) as db:
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
        lifecycle.move(db, request, Status.RESOLVED, note="Painted over.")
        db.commit()
    after = client.get(f"{BASE}/requests/{tracking}.json?extensions=true").json[0]
    assert after["status"] == "closed" and after["detailed_status"] == "resolved"
    assert after["status_notes"] == "The problem has been fixed."
    assert after["updated_datetime"] > before["updated_datetime"]
    assert after["notes"][-1]["description"] == "Painted over."


def test_extensions_add_detailed_status_timeline_and_photo_urls(app, client):
    tracking = seed(app)
    with Session(engine_of(app)) as db:
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
        lifecycle.move(db, request, Status.ACKNOWLEDGED, note="Queued for Tuesday.")
        lifecycle.move(db, request, Status.IN_PROGRESS, note="gate code 4411", public=False)
        db.add(Media(public_id="ph0tO1d", request_id=request.id, content_hash="0" * 64,
                     width=800, height=600, size_bytes=1000,
                     variants={"display": {"key": "k", "width": 800, "height": 600}}))
        db.add(Media(public_id="h1dden", request_id=request.id, content_hash="1" * 64,
                     width=800, height=600, size_bytes=1000, hidden=True,
                     variants={"display": {"key": "k2", "width": 800, "height": 600}}))
        db.add(Event(request=request, kind="note", note="Crew booked.", public=True))
        db.commit()
    plain = spec.check_json(client.get(f"{BASE}/requests.json"), spec.REQUESTS)[0]
    assert "notes" not in plain and "/api/v1/photos/ph0tO1d/display?v=" in plain["media_url"]
    for url in (f"{BASE}/requests.json?extensions=true",
                f"{BASE}/requests/{tracking}.json?extensions=true"):
        extended = spec.check_json(client.get(url), spec.EXTENDED_REQUESTS)[0]
        assert extended["detailed_status"] == "in_progress"
        kinds = [n["type"] for n in extended["notes"]]
        assert kinds[0] == "created" and kinds[-1] == "note" and kinds.count("status") == 1
        status_note = extended["notes"][kinds.index("status")]
        assert status_note["description"] == "Queued for Tuesday."
        assert status_note["status"] == "acknowledged"
        assert extended["media_urls"] == [plain["media_url"]]
        assert "4411" not in str(extended) and "h1dden" not in str(extended)
    root = spec.check_xml(client.get(f"{BASE}/requests.xml?extensions=true"), "service_requests")
    assert [n.findtext("type") for n in root.findall("request/notes/note")] == kinds
    assert root.findtext("request/media_urls/media_url") == plain["media_url"]


def test_radius_filter_for_duplicate_checks(app, client):
    here = seed(app, lat=34.0537, lon=-118.2427)
    next_door = seed(app, lat=34.0540, lon=-118.2427)  # ~33 m north
    seed(app, lat=34.0600, lon=-118.2427)  # ~700 m north
    get = lambda query: set(ids(client.get(f"{BASE}/requests.json?{query}")))  # noqa: E731
    assert get("lat=34.0537&long=-118.2427&radius=10") == {here}
    assert get("lat=34.0537&long=-118.2427&radius=50") == {here, next_door}
    assert get("lat=34.0537&long=-118.2427") == {here, next_door}  # 250 m by default
    assert len(get("lat=34.0537&long=-118.2427&radius=1000")) == 3
    assert get("lat=34.0537&long=-118.2427&radius=50&page=2&page_size=1") \
        <= {here, next_door}


def test_bbox_filter(app, client):
    inside = seed(app, lat=34.0537, lon=-118.2427)
    seed(app, lat=34.0600, lon=-118.3000)
    box = "-118.25,34.05,-118.24,34.06"
    assert ids(client.get(f"{BASE}/requests.json?bbox={box}")) == [inside]


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_on_a_single_request(app, client, fmt):
    tracking = seed(app)
    assert client.get(f"{BASE}/requests/{tracking}.{fmt}?jurisdiction_id=frontdoor-city"
                      ).status_code == 200
    assert client.get(f"{BASE}/requests/{tracking}.{fmt}?jurisdiction_id=x").status_code == 400


def test_xml_carries_what_json_does_for_every_request(app, client):
    for code in ("graffiti-removal", "other", "bulky-items"):
        seed(app, service_code=code, attributes={"items": ["mattress"]}
             if code == "bulky-items" else None)
    seed(app, status=Status.DUPLICATE)
    as_json = client.get(f"{BASE}/requests.json").json
    root = spec.check_xml(client.get(f"{BASE}/requests.xml"), "service_requests")
    for xml_item, json_item in zip(spec.xml_items(root), as_json, strict=True):
        spec.same_as_json(xml_item, json_item)


def test_text_that_xml_cannot_carry_is_dropped_not_broken(app, client):
    tracking = seed(app)
    with Session(engine_of(app)) as db:
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.tracking == tracking))
        request.description = "Bell\x07 tab\t <b>&amp; ünïcödé ✓\r\nnext line"
        db.commit()
    root = spec.check_xml(client.get(f"{BASE}/requests/{tracking}.xml"), "service_requests")
    assert root.findtext("request/description") == "Bell tab\t <b>&amp; ünïcödé ✓\r\nnext line"
    assert client.get(f"{BASE}/requests/{tracking}.json").json[0]["description"].startswith(
        "Bell\x07")
