"""The exports with filters, awkward text and missing values: the CSV (written by PostgreSQL's
COPY, or row by row on SQLite) and the GeoJSON hold the same requests and the same values."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.models import RequestZone, ServiceRequest, Zone
from backend.services.exports import COLUMNS

AWKWARD = 'Sofa, two chairs; "free" sign\nleft by the gate'
REPORTS = [
    {"service_code": "bulky-items", "lat": 34.0537, "lon": -118.2427,
     "attributes": {"items": ["furniture"]}, "description": AWKWARD},
    {"service_code": "graffiti-removal", "lat": 34.0407, "lon": -118.2468,
     "attributes": {"surface": "wall"}, "channel": "phone"},
    {"service_code": "bulky-items", "lat": 34.0928, "lon": -118.3287,
     "attributes": {"items": ["mattress"]}},
    {"service_code": "electronic-waste", "lat": 34.1866, "lon": -118.4487,
     "attributes": {}},
]
DAY0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def made(client, auth, db_session):
    """Four reports a day apart from DAY0 (the first one at a whole second, the others with
    microseconds); tracking → request."""
    trackings = []
    for body in REPORTS:
        answer = client.post("/api/v1/requests", json=body, headers=auth("dispatcher"))
        assert answer.status_code == 201, answer.json
        trackings.append(answer.json["tracking"])
    rows = {r.tracking: r for r in db_session.scalars(select(ServiceRequest))}
    for day, tracking in enumerate(trackings):
        rows[tracking].created_at = DAY0 + timedelta(days=day, microseconds=day * 250_001)
    db_session.commit()
    return {t: rows[t] for t in trackings}


def export(client, auth, kind, **params):
    answer = client.get(f"/api/v1/exports/requests.{kind}", query_string=params,
                        headers=auth("admin"))
    body = answer.get_data(as_text=True)
    answer.close()
    assert answer.status_code == 200, body
    return int(answer.headers["X-Total-Count"]), body


def csv_rows(client, auth, **params) -> list[dict]:
    total, body = export(client, auth, "csv", **params)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == list(COLUMNS) if rows else body.startswith(",".join(COLUMNS))
    assert total == len(rows)
    return rows


def test_filters_choose_the_rows(client, auth, db_session, made):
    requests = list(made.values())
    both = {"since": "2026-03-02T00:00:00Z", "until": "2026-03-05T00:00:00Z"}

    def trackings(**params):
        return [r["tracking"] for r in csv_rows(client, auth, **params)]

    assert trackings() == [r.tracking for r in requests]  # oldest first
    assert trackings(**both) == [r.tracking for r in requests[:3]]
    assert trackings(service="bulky-items,graffiti-removal", **both) == [
        r.tracking for r in requests[:3]]
    assert trackings(channel="phone") == [requests[1].tracking]
    zone = db_session.scalar(select(RequestZone.zone_id).join(Zone, Zone.id == RequestZone.zone_id)
                             .where(RequestZone.request_id == requests[2].id,
                                    Zone.kind == "neighbourhood"))
    assert trackings(zone=str(zone), service="bulky-items") == [requests[2].tracking]
    assert trackings(service="electronic-waste", **both) == []


def test_csv_and_geojson_hold_the_same_values(client, auth, made):
    rows = {r["tracking"]: r for r in csv_rows(client, auth)}
    total, body = export(client, auth, "geojson")
    features = json.loads(body)["features"]
    assert total == len(features) == len(rows) == len(made)
    for feature in features:
        row = rows[feature["properties"]["tracking"]]
        assert {k: str(v) for k, v in feature["properties"].items()} == {
            k: v for k, v in row.items() if k not in ("lat", "lon")}
        assert feature["geometry"]["coordinates"] == [float(row["lon"]), float(row["lat"])]


def test_awkward_text_and_missing_values_survive(client, auth, made):
    rows = {r["tracking"]: r for r in csv_rows(client, auth)}
    first, second = (rows[t] for t in list(made)[:2])
    assert first["description"] == AWKWARD
    assert second["description"] == "" and second["closed_at"] == ""
    assert second["public_status"] == "open" and second["channel"] == "phone"
    for tracking, request in made.items():
        row = rows[tracking]
        assert row["created_at"].endswith("+00:00")
        assert datetime.fromisoformat(row["created_at"]) == request.created_at
        assert row["service_code"] == request.service.code
        assert float(row["lat"]) == request.lat and float(row["lon"]) == request.lon
        assert row["neighbourhood"]  # every place here lies in a neighbourhood
