"""Address points: normalizing, importing, autocomplete, reverse lookup, and reports placed
by their address."""

import csv

import pytest
from sqlalchemy import func, select

from backend import demo
from backend.models import Address
from backend.services import addresses

ROWS = [
    {"address": "16815 W VANOWEN ST, 91406", "lat": "34.19402846", "lon": "-118.4994716"},
    {"address": "16821 W VANOWEN ST, 91406", "lat": "34.1940", "lon": "-118.4997"},
    {"address": "132 S WESTMORELAND AVE, 90004", "lat": "34.07243977", "lon": "-118.2877979"},
    {"address": "1122 1/2 N MARIPOSA AVE, 90029", "lat": "34.0917", "lon": "-118.2999"},
    {"address": "200 N SPRING ST, 90012", "lat": "34.0537", "lon": "-118.2427"},
    {"address": "MACLAY ST AT ADELPHIA AVE, 91340", "lat": "34.2926", "lon": "-118.4300"},
]


@pytest.fixture
def loaded(app, db_session, client):
    report = addresses.import_addresses(db_session, ROWS)
    db_session.commit()
    assert report.imported == len(ROWS)
    return report


def test_normalize_and_parse():
    assert addresses.normalize("16815 West Vanowen Street, 91406") == "16815 w vanowen st 91406"
    parsed = addresses.parse("1122 1/2 N. Mariposa Avenue, 90029")
    assert (parsed.number, parsed.street, parsed.locality) == ("1122 1/2", "n mariposa ave",
                                                               "90029")
    assert addresses.parse("Maclay St at Adelphia Ave").number == ""
    assert addresses.normalize("Calle Ñandú") == "calle nandu"


def test_import_is_rerunnable_and_counts_bad_rows(loaded, db_session):
    again = addresses.import_addresses(db_session, ROWS + [
        {"address": "", "lat": "34", "lon": "-118"},
        {"address": "1 A ST", "lat": "north", "lon": "-118"},
        {"address": "2 A ST", "lat": "0", "lon": "0"},
        {"address": "3 A ST", "lat": "91", "lon": "-118"},
        {"address": "4 B ST", "lat": "34.1", "lon": "-118.3"},
        {"address": "4  b street", "lat": "34.1", "lon": "-118.3"},
    ])
    assert again.imported == 1
    assert again.skipped == {"already_imported": len(ROWS), "missing_address": 1,
                             "bad_coordinates": 3, "repeated_in_file": 1}
    point = db_session.scalar(select(Address).where(Address.normalized == "200 n spring st 90012"))
    assert point.zone_ids  # downtown lies in a neighbourhood, a district and the city
    db_session.commit()


def test_autocomplete_prefix_and_typos(loaded, client):
    def labels(q, **extra):
        answer = client.get("/api/v1/addresses", query_string={"q": q, **extra})
        assert answer.status_code == 200, answer.json
        return [s["address"]["label"] for s in answer.json]

    assert labels("16815 vanowen")[0] == "16815 W VANOWEN ST, 91406"
    assert labels("168 W Vanowen Street") == ["16815 W VANOWEN ST, 91406",
                                               "16821 W VANOWEN ST, 91406"]
    assert labels("vanow")[:2] == ["16815 W VANOWEN ST, 91406", "16821 W VANOWEN ST, 91406"]
    assert labels("16815 vanowan")[0] == "16815 W VANOWEN ST, 91406"  # typo
    assert labels("westmorland")[0] == "132 S WESTMORELAND AVE, 90004"  # typo
    assert labels("1122 1/2 mariposa")[0] == "1122 1/2 N MARIPOSA AVE, 90029"
    assert labels("132")[0] == "132 S WESTMORELAND AVE, 90004"
    assert labels("maclay")[0] == "MACLAY ST AT ADELPHIA AVE, 91340"
    assert labels("vanowen", limit=1) == ["16815 W VANOWEN ST, 91406"]
    assert labels("zzzzqqq") == []
    exact = client.get("/api/v1/addresses", query_string={"q": "16815 vanowen"}).json[0]
    typo = client.get("/api/v1/addresses", query_string={"q": "16815 vanowan"}).json[0]
    assert exact["score"] == 1.0 > typo["score"]


@pytest.mark.parametrize(("query", "code"), [
    ({"q": ""}, "empty_query"),
    ({"q": " ,.; "}, "empty_query"),
    ({"q": "x" * 5000}, "query_too_long"),
    ({}, "invalid_input"),
    ({"q": "main", "limit": 0}, "invalid_input"),
    ({"q": "main", "limit": "many"}, "invalid_input"),
])
def test_autocomplete_bad_input(client, query, code):
    answer = client.get("/api/v1/addresses", query_string=query)
    assert answer.status_code == 422 and answer.json["code"] == code, answer.json


def test_nearest_address(loaded, client):
    answer = client.get("/api/v1/addresses/nearest",
                        query_string={"lat": 34.0538, "lon": -118.2428})
    assert answer.status_code == 200, answer.json
    assert answer.json["address"]["label"] == "200 N SPRING ST, 90012"
    assert 10 < answer.json["distance_m"] < 20
    far = client.get("/api/v1/addresses/nearest", query_string={"lat": 34.3, "lon": -118.9})
    assert far.status_code == 404 and far.json["code"] == "no_address_nearby"
    for bad in ({"lat": 91, "lon": 0}, {"lat": "x", "lon": 0}, {"lat": 34},
                {"lat": 34.05, "lon": -118.24, "max_distance_m": 10**9}):
        assert client.get("/api/v1/addresses/nearest", query_string=bad).status_code == 422


def test_call_taker_report_by_address_gets_its_point(loaded, client, auth):
    body = {"service_code": "metal-household-appliances", "channel": "phone"}
    answer = client.post("/api/v1/requests", headers=auth("dispatcher"),
                         json={**body, "address": "200 North Spring Street"})
    assert answer.status_code == 201, answer.json
    assert (answer.json["lat"], answer.json["lon"]) == (34.0537, -118.2427)
    assert answer.json["address"] == "200 North Spring Street"
    unknown = client.post("/api/v1/requests", headers=auth("dispatcher"),
                          json={**body, "address": "1 Nowhere Lane"})
    assert unknown.status_code == 201 and unknown.json["lat"] is None


def test_demo_addresses_and_csv_command(app, db_session, client, tmp_path):
    report = demo.load_addresses(db_session, say=lambda _: None)
    db_session.commit()
    assert report.imported > 7_000  # 7,907 distinct addresses in the demo file
    assert addresses.exact_match(db_session, "16815 W VANOWEN ST, 91406") is not None
    path = tmp_path / "points.csv"
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, ["address", "lat", "lon"])
        writer.writeheader()
        writer.writerow({"address": "1 Test Plaza, 90012", "lat": 34.05, "lon": -118.24})
        writer.writerow({"address": "16815 W VANOWEN ST, 91406", "lat": 34.19, "lon": -118.49})
    result = app.test_cli_runner().invoke(args=["addresses", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 of 2 rows imported" in result.output and "already_imported" in result.output
    db_session.rollback()
    assert db_session.scalar(select(func.count(Address.id))) == report.imported + 1
    bad = tmp_path / "bad.csv"
    bad.write_text("street,y,x\n1 A St,34,-118\n")
    result = app.test_cli_runner().invoke(args=["addresses", "import", str(bad)])
    assert result.exit_code != 0 and "lacks the column" in result.output
