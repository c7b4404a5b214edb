"""The map endpoints over HTTP: answers, sign-in, and clear refusals."""

from sqlalchemy import select, update

from backend.models import Service

NEAR = {"lat": 34.0537, "lon": -118.2427}


def test_nearby_lists_open_requests_nearest_first(client, place, services):
    place([{"lon": -118.2427, "lat": 34.0537 + k * 0.001,
            "status": "closed" if k == 1 else "submitted"} for k in range(4)])
    answer = client.get("/api/v1/requests/nearby", query_string={**NEAR, "radius": 250})
    assert answer.status_code == 200, answer.json
    items = answer.json["items"]
    assert [round(i["distance_m"]) for i in items] == [0, 222]
    assert items[0]["public_status"] == "open" and items[0]["service_code"]
    assert "contact" not in items[0] and "description" not in items[0]
    every = client.get("/api/v1/requests/nearby", query_string={**NEAR, "radius": 250,
                                                                "status": "all"})
    assert [round(i["distance_m"]) for i in every.json["items"]] == [0, 111, 222]
    only = client.get("/api/v1/requests/nearby", query_string={**NEAR,
                                                               "service": "graffiti-removal"})
    assert only.json["items"] == []


def test_signed_out_callers_see_public_services_only(client, place, db, auth):
    [_] = place([{"lon": -118.2427, "lat": 34.0537}])
    first = db.scalar(select(Service).order_by(Service.id).limit(1))
    db.execute(update(Service).where(Service.id == first.id).values(public=False))
    db.commit()
    try:
        hidden = client.get("/api/v1/requests/nearby", query_string=NEAR)
        assert hidden.json["items"] == []
        staff = client.get("/api/v1/requests/nearby", query_string=NEAR,
                           headers=auth("crew"))
        assert len(staff.json["items"]) == 1
    finally:
        db.execute(update(Service).where(Service.id == first.id).values(public=True))
        db.commit()


def test_in_box(client, place):
    place([{"lon": -118.2427, "lat": 34.0537}, {"lon": -118.0, "lat": 34.0}])
    answer = client.get("/api/v1/requests/in-box",
                        query_string={"bbox": "-118.25,34.05,-118.24,34.06"})
    assert answer.status_code == 200
    assert len(answer.json["items"]) == 1


def test_clusters_are_geojson_for_staff(client, place, auth):
    place([{"lon": -118.2427 + k * 1e-4, "lat": 34.0537} for k in range(5)]
          + [{"lon": -118.1, "lat": 34.2, "status": "closed"}])
    query = {"bbox": "-118.7,33.7,-118.0,34.4", "zoom": 10}
    assert client.get("/api/v1/map/clusters", query_string=query).status_code == 401
    answer = client.get("/api/v1/map/clusters", query_string=query, headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    assert answer.mimetype == "application/geo+json"
    body = answer.json
    assert body["type"] == "FeatureCollection" and body["total"] == 6
    [cluster] = [f for f in body["features"] if f["properties"]["cluster"]]
    assert cluster["properties"]["count"] == 5
    assert cluster["properties"]["status"] == {"submitted": 5}
    opened = client.get("/api/v1/map/clusters", headers=auth("dispatcher"),
                        query_string={**query, "status": "open"})
    assert opened.json["total"] == 5


def test_bad_input_is_refused_with_a_code(client, auth):
    cases = [
        ("/api/v1/requests/nearby", {"lat": 34, "lon": 200}, "invalid_location"),
        ("/api/v1/requests/nearby", {"lat": 34}, "invalid_input"),
        ("/api/v1/requests/nearby", {**NEAR, "radius": -1}, "invalid_input"),
        ("/api/v1/requests/nearby", {**NEAR, "limit": 0}, "invalid_input"),
        ("/api/v1/requests/nearby", {**NEAR, "service": "no-such"}, "unknown_service"),
        ("/api/v1/requests/in-box", {"bbox": "1,2,3"}, "invalid_input"),
        ("/api/v1/requests/in-box", {"bbox": "-118,35,-117,34"}, "invalid_bbox"),
        ("/api/v1/map/clusters", {"bbox": "-119,33,-117,35", "zoom": 16}, "bbox_too_large"),
        ("/api/v1/map/clusters", {"bbox": "-119,33,-117,35", "zoom": 30}, "invalid_input"),
        ("/api/v1/map/clusters", {"bbox": "-119,33,-117,35", "zoom": 10,
                                  "status": "lost"}, "invalid_input"),
    ]
    for path, query, code in cases:
        answer = client.get(path, query_string=query, headers=auth("dispatcher"))
        assert answer.status_code == 422, (path, query, answer.json)
        assert answer.json["code"] == code, (path, query, answer.json)
