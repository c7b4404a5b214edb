"""The metrics and exports over a handful of requests whose numbers are known exactly."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.models import ServiceRequest, Status, WorkOrder, WorkStatus
from backend.services import lifecycle

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
BULKY = {"service_code": "bulky-items", **CITY_HALL, "attributes": {"items": ["furniture"]},
         "description": "Old sofa on the kerb."}
GRAFFITI = {"service_code": "graffiti-removal", "lat": 34.0540, "lon": -118.2430,
            "attributes": {"surface": "wall"}, "channel": "phone"}
CONTACT = {"name": "Rosa Quintero", "email": "rosa.q@example.org", "phone": "+1 213 555 0199"}
DAY0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
PERIOD = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-10T00:00:00Z"}


@pytest.fixture
def city(client, db_session, auth):
    """Three bulky-item requests closed after 10, 20 and 30 hours (the 30-hour one reopened
    once, the 10-hour one late), one open graffiti request from the phone, overdue."""
    made = [client.post("/api/v1/requests", json={**BULKY, "contact": CONTACT}).json["tracking"]
            for _ in range(3)]
    made.append(client.post("/api/v1/requests", json=GRAFFITI,  # taken on the phone
                            headers=auth("dispatcher")).json["tracking"])
    rows = {r.tracking: r for r in db_session.scalars(select(ServiceRequest))}
    for hours, tracking, expected_after in zip((10, 20, 30), made[:3], (5, 72, 72), strict=True):
        request = rows[tracking]
        request.created_at = DAY0
        request.expected_at = DAY0 + timedelta(hours=expected_after)
        if tracking == made[2]:
            lifecycle.move(db_session, request, Status.RESOLVED)
            lifecycle.move(db_session, request, Status.REOPENED)
        lifecycle.move(db_session, request, Status.RESOLVED)
        request.closed_at = DAY0 + timedelta(hours=hours)
    graffiti = rows[made[3]]
    graffiti.created_at, graffiti.expected_at = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
    db_session.flush()
    for request, orders in ((rows[made[0]], 1), (rows[made[1]], 2), (rows[made[2]], 1)):
        for _ in range(orders):
            db_session.add(WorkOrder(request_id=request.id, service_id=request.service_id,
                                     status=WorkStatus.COMPLETED, lon=request.lon,
                                     lat=request.lat))
    db_session.add(WorkOrder(request_id=rows[made[0]].id, service_id=rows[made[0]].service_id,
                             status=WorkStatus.CANCELLED))
    db_session.commit()
    return made


def get(client, auth, path, **params):
    answer = client.get(path, query_string=params, headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_summary_numbers(client, auth, city):
    summary = get(client, auth, "/api/v1/metrics/summary", **PERIOD)["summary"]
    assert summary["volume"] == 4 and summary["open"] == 1 and summary["overdue"] == 1
    assert summary["closed"] == 3
    assert summary["median_hours"] == 20 and summary["p90_hours"] == pytest.approx(28)
    assert (summary["with_target"], summary["within_target"]) == (3, 2)
    assert summary["within_target_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["reopen_rate"] == pytest.approx(1 / 3, abs=1e-4)
    # Work orders: one (plus a cancelled one), two, and one but reopened → 1 of 3.
    assert summary["first_time_fix"] == pytest.approx(1 / 3, abs=1e-4)


def test_filters_by_service_channel_and_zone(client, auth, city):
    def volume(**params):
        return get(client, auth, "/api/v1/metrics/summary", **{**PERIOD, **params})["summary"][
            "volume"]

    assert volume(service="bulky-items") == 3
    assert volume(service="graffiti-removal,bulky-items") == 4
    assert volume(channel="phone") == 1
    assert volume(zone="city:los-angeles") == 4
    districts = get(client, auth, "/api/v1/metrics/breakdown", by="district", **PERIOD)
    district = districts["groups"][0]
    assert district["volume"] == 4 and district["name"].startswith("Council District")
    assert volume(zone=f"district:{district['key']}", service="bulky-items") == 3
    assert volume(since="2026-03-03T00:00:00Z", until="2026-03-10T00:00:00Z") == 1


def test_breakdown_by_service_and_channel(client, auth, city):
    groups = get(client, auth, "/api/v1/metrics/breakdown", by="service", **PERIOD)["groups"]
    assert [(g["key"], g["volume"], g["closed"], g["median_hours"]) for g in groups] == [
        ("bulky-items", 3, 3, 20.0), ("graffiti-removal", 1, 0, None)]
    channels = get(client, auth, "/api/v1/metrics/breakdown", by="channel", **PERIOD)["groups"]
    assert {g["key"]: g["volume"] for g in channels} == {"pwa": 3, "phone": 1}


def test_daily_volume_and_backlog(client, auth, city):
    # No default calendar: days are UTC days. Closings at 03:00, 13:00 and 23:00 on the 3rd.
    days = get(client, auth, "/api/v1/metrics/daily", since="2026-03-02", until="2026-03-05",
               )["days"]
    assert [(d["date"], d["created"], d["closed"], d["backlog"]) for d in days] == [
        ("2026-03-02", 3, 0, 3), ("2026-03-03", 1, 3, 1), ("2026-03-04", 0, 0, 1)]


def test_metrics_are_for_dispatchers_and_admins(client, auth):
    assert client.get("/api/v1/metrics/summary").status_code == 401
    assert client.get("/api/v1/metrics/summary", headers=auth("crew")).status_code == 403
    assert client.get("/api/v1/exports/requests.csv", headers=auth("crew")).status_code == 403
    assert client.get("/api/v1/metrics/summary", headers=auth("admin")).status_code == 200


@pytest.mark.parametrize(("params", "code"), [
    ({"service": "potholes"}, "unknown_service"),
    ({"zone": "neighbourhood:nowhere"}, "unknown_zone"),
    ({"zone": "nowhere"}, "unknown_zone"),
    ({"since": "last tuesday"}, "invalid_date"),
    ({"since": "2026-03-01T00:00:00"}, "naive_datetime"),
    ({"since": "2026-03-05", "until": "2026-03-01"}, "empty_period"),
    ({"since": "2000-01-01", "until": "2026-03-01"}, "period_too_long"),
])
def test_bad_filters_are_refused_with_a_code(client, auth, params, code):
    answer = client.get("/api/v1/metrics/summary", query_string=params,
                        headers=auth("dispatcher"))
    assert answer.status_code == 422 and answer.json["code"] == code


def test_bad_arguments_are_refused(client, auth):
    for path, params in (("/api/v1/metrics/breakdown", {"by": "colour"}),
                         ("/api/v1/metrics/summary", {"channel": "fax"}),
                         ("/api/v1/metrics/hotspots", {"radius_m": "-3"}),
                         ("/api/v1/metrics/hotspots", {"min_count": "1"})):
        answer = client.get(path, query_string=params, headers=auth("dispatcher"))
        assert answer.status_code == 422, (path, params)


def test_hotspots_find_the_repeated_place(client, auth, city):
    found = get(client, auth, "/api/v1/metrics/hotspots", service="bulky-items", min_count=3,
                radius_m=50, **PERIOD)
    assert found["hotspot_count"] == 1
    (place,) = found["neighbourhoods"]
    (hotspot,) = place["hotspots"]
    assert {r["tracking"] for r in hotspot["requests"]} == set(city[:3])
    assert place["neighbourhood"]["name"] and hotspot["radius_m"] < 1
    none = get(client, auth, "/api/v1/metrics/hotspots", service="bulky-items", min_count=4,
               radius_m=50, **PERIOD)
    assert none["hotspot_count"] == 0 and none["neighbourhoods"] == []


def test_csv_export_has_every_row_and_no_contact(client, auth, city):
    answer = client.get("/api/v1/exports/requests.csv", headers=auth("admin"))
    text = answer.get_data(as_text=True)
    answer.close()
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert int(answer.headers["X-Total-Count"]) == len(rows) == 4
    assert {r["tracking"] for r in rows} == set(city)
    assert all(value not in text for value in CONTACT.values())
    assert not {"name", "email", "phone", "contact"} & set(rows[0])
    first = next(r for r in rows if r["tracking"] == city[0])
    assert first["service_code"] == "bulky-items" and first["status"] == "resolved"
    assert datetime.fromisoformat(first["closed_at"]) == DAY0 + timedelta(hours=10)
    assert first["neighbourhood"] and first["description"] == "Old sofa on the kerb."


def test_geojson_export_with_filters(client, auth, city):
    answer = client.get("/api/v1/exports/requests.geojson",
                        query_string={"service": "graffiti-removal"}, headers=auth("admin"))
    body = json.loads(answer.get_data(as_text=True))
    answer.close()
    assert answer.headers["X-Total-Count"] == "1"
    (feature,) = body["features"]
    assert feature["geometry"]["coordinates"] == [GRAFFITI["lon"], GRAFFITI["lat"]]
    assert feature["properties"]["tracking"] == city[3]
    assert feature["properties"]["channel"] == "phone"
    empty = client.get("/api/v1/exports/requests.geojson", headers=auth("admin"),
                       query_string={"service": "electronic-waste"})
    assert json.loads(empty.get_data(as_text=True)) == {"type": "FeatureCollection",
                                                         "features": []}
    empty.close()
