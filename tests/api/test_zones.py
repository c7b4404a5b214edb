"""The city's zones as a list and as outlines, and the dispatcher's zone filter on work
orders, map clusters and assigning by area."""

import json

from shapely.geometry import Point, shape
from sqlalchemy import select

from backend.models import Zone

CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
NEAR_CITY_HALL = {"lat": 34.0541, "lon": -118.2431}
VENICE = {"lat": 33.9850, "lon": -118.4695}
GRAFFITI = {"service_code": "graffiti-removal", "attributes": {"surface": "wall"}}
WHOLE_CITY = "-118.70,33.70,-118.10,34.35"


def neighbourhood_of(client, point) -> dict:
    zones = client.get("/api/v1/zones", query_string={"kind": "neighbourhood"}).json
    here = Point(point["lon"], point["lat"])
    for zone in zones:
        outline = shape(client.get(f"/api/v1/zones/{zone['id']}").json["geometry"])
        w, s, e, n = zone["bbox"]
        if w <= here.x <= e and s <= here.y <= n and outline.contains(here):
            return zone
    raise AssertionError(f"no neighbourhood holds {point}")


def test_zones_list_and_one_outline(client, db_session):
    everything = client.get("/api/v1/zones").json
    assert {z["kind"] for z in everything} == {"neighbourhood", "district", "city"}
    districts = client.get("/api/v1/zones", query_string={"kind": "district"}).json
    assert len(districts) == 15 and all("geometry" not in z for z in districts)
    names = [z["name"] for z in districts]
    assert names == sorted(names)

    zone = neighbourhood_of(client, CITY_HALL)
    assert zone["name"] == "DOWNTOWN LOS ANGELES"
    one = client.get(f"/api/v1/zones/{zone['id']}").json
    assert one["geometry"]["type"] in ("Polygon", "MultiPolygon")
    source = db_session.scalar(select(Zone.geometry).where(Zone.id == zone["id"]))
    assert len(json.dumps(one["geometry"])) < len(source)  # simplified for the map
    # About 5 m simpler, and no more: the outline still lies over the source shape.
    assert shape(one["geometry"]).symmetric_difference(shape(json.loads(source))).area < \
        0.01 * shape(json.loads(source)).area

    missing = client.get("/api/v1/zones/999999")
    assert missing.status_code == 404 and missing.json["code"] == "unknown_zone"
    assert client.get("/api/v1/zones", query_string={"kind": ""}).status_code == 422


def work_at(client, auth, point) -> tuple[str, int]:
    tracking = client.post("/api/v1/requests", json={**GRAFFITI, **point}).json["tracking"]
    made = client.post("/api/v1/workorders", json={"tracking": tracking},
                       headers=auth("dispatcher"))
    assert made.status_code == 201, made.json
    return tracking, made.json["id"]


def test_zone_filter_on_work_orders_clusters_and_assigning(client, auth):
    downtown = neighbourhood_of(client, CITY_HALL)
    here = [work_at(client, auth, p) for p in (CITY_HALL, NEAR_CITY_HALL)]
    there = work_at(client, auth, VENICE)
    staff = auth("dispatcher")

    listed = client.get("/api/v1/workorders", query_string={"zone": downtown["id"]},
                        headers=staff).json
    assert sorted(w["id"] for w in listed) == sorted(w for _, w in here)
    everywhere = client.get("/api/v1/workorders", headers=staff).json
    assert there[1] in [w["id"] for w in everywhere]

    for zoom in (10, 17):  # from the stored cells without a zone; from the requests with one
        view = WHOLE_CITY if zoom == 10 else "-118.2445,34.0525,-118.2410,34.0550"
        query = {"bbox": view, "zoom": zoom}
        whole = client.get("/api/v1/map/clusters", query_string=query, headers=staff).json
        zoned = client.get("/api/v1/map/clusters", headers=staff,
                           query_string={**query, "zone": downtown["id"]}).json
        assert zoned["total"] == 2, zoom
        assert whole["total"] == (3 if zoom == 10 else 2)
        found = {f["properties"].get("tracking") for f in zoned["features"]}
        assert there[0] not in found

    crews = client.get("/api/v1/dispatch/crews", headers=staff).json
    crew = next(c["id"] for c in crews if c["name"] == "Sanitation North")
    bbox = [float(v) for v in WHOLE_CITY.split(",")]
    assigned = client.post("/api/v1/dispatch/assign-area", headers=staff, json={
        "bbox": bbox, "crew_id": crew, "zone": downtown["id"]}).json
    assert sorted(assigned["assigned"]) == sorted(w for _, w in here)
    untouched = client.get(f"/api/v1/workorders/{there[1]}", headers=staff).json
    assert untouched["status"] == "unassigned"


def test_an_unknown_zone_is_a_clear_error(client, auth):
    staff = auth("dispatcher")
    for path, query in (("/api/v1/workorders", {"zone": 999999}),
                        ("/api/v1/map/clusters", {"bbox": WHOLE_CITY, "zoom": 10,
                                                  "zone": 999999})):
        answer = client.get(path, query_string=query, headers=staff)
        assert answer.status_code == 404 and answer.json["code"] == "unknown_zone", path
    answer = client.post("/api/v1/dispatch/assign-area", headers=staff, json={
        "bbox": [-118.3, 34.0, -118.2, 34.1], "crew_id": 1, "zone": 999999})
    assert answer.status_code == 404 and answer.json["code"] == "unknown_zone"
    bad = client.get("/api/v1/workorders", query_string={"zone": "downtown"}, headers=staff)
    assert bad.status_code == 422
