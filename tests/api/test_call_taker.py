"""A dispatcher enters a report for a resident on the phone: channel ``phone``, the caller's
contact kept private, replays safe; nobody else may claim the phone channel."""

from sqlalchemy import select

from backend.models import Channel, Event, ReporterContact, ServiceRequest, Subscription
from tests.conftest import count_rows

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
PHONED = {"service_code": "graffiti-removal", **CITY_HALL, "channel": "phone",
          "attributes": {"surface": "wall"}, "description": "Tags on the library wall."}
CALLER = {"name": "Marisol Ortega", "phone": "+1 213 555 0142",
          "email": "marisol.o@example.org", "language": "es"}
PRIVATE = (CALLER["name"], CALLER["phone"], CALLER["email"])


def test_dispatcher_enters_a_phone_report_with_the_callers_contact(client, auth, db_session):
    answer = client.post("/api/v1/requests", json={**PHONED, "contact": CALLER},
                         headers={**auth("dispatcher"), "Idempotency-Key": "call-0001-abcd"})
    assert answer.status_code == 201, answer.json
    assert answer.json["channel"] == "phone"
    assert all(value not in str(answer.json) for value in PRIVATE)
    public = client.get(f"/api/v1/requests/{answer.json['tracking']}").json
    assert all(value not in str(public) for value in PRIVATE)

    request = db_session.scalar(select(ServiceRequest))
    assert request.channel == Channel.PHONE
    contact = db_session.get(ReporterContact, request.id)
    assert (contact.name, contact.phone, contact.email, contact.language) == (
        CALLER["name"], CALLER["phone"], CALLER["email"], "es")
    created = db_session.scalar(select(Event).where(Event.request_id == request.id,
                                                    Event.kind == "created"))
    assert created.actor.username == "dispatcher" and created.data == {"channel": "phone"}
    # The caller's email follows the report, in the caller's language.
    subscription = db_session.scalar(select(Subscription))
    assert (subscription.address, subscription.language) == (CALLER["email"], "es")

    # The call-taker pressed Send twice: still one report.
    again = client.post("/api/v1/requests", json={**PHONED, "contact": CALLER},
                        headers={**auth("dispatcher"), "Idempotency-Key": "call-0001-abcd"})
    assert again.status_code == 200 and again.json["tracking"] == answer.json["tracking"]
    assert count_rows(db_session, ServiceRequest) == 1


def test_only_dispatchers_take_phone_reports(client, auth, db_session):
    anonymous = client.post("/api/v1/requests", json=PHONED)
    assert anonymous.status_code == 401 and anonymous.json["code"] == "not_signed_in"
    assert "phone" in anonymous.json["message"]
    crew = client.post("/api/v1/requests", json=PHONED, headers=auth("crew"))
    assert crew.status_code == 403 and crew.json["code"] == "forbidden"
    # Open311 and imports have their own doors; nobody sends them here.
    for channel in ("open311", "import", "fax"):
        other = client.post("/api/v1/requests", json={**PHONED, "channel": channel},
                            headers=auth("admin"))
        assert other.status_code == 422, (channel, other.json)
    assert count_rows(db_session, ServiceRequest) == 0
    admin = client.post("/api/v1/requests", json=PHONED, headers=auth("admin"))
    assert admin.status_code == 201 and admin.json["channel"] == "phone"
    resident = client.post("/api/v1/requests", json={**PHONED, "channel": "pwa"})
    assert resident.status_code == 201 and resident.json["channel"] == "pwa"


def test_a_callers_contact_is_checked(client, auth, db_session):
    for bad in ({"phone": "call me maybe"}, {"email": "not-an-email"}, {"language": "fr"},
                {"name": "x" * 121}):
        answer = client.post("/api/v1/requests", json={**PHONED, "contact": bad},
                             headers=auth("dispatcher"))
        assert answer.status_code == 422, (bad, answer.json)
    assert count_rows(db_session, ServiceRequest) == 0
