"""GET /api/v1/photos/{id}/{variant}: bytes from the folder, caching by content, 404s."""

import io

from PIL import Image

from tests.photos.conftest import fetch, jpeg


def test_a_current_url_is_cached_for_a_year(client, upload):
    url = upload(jpeg((1600, 1200))).json["urls"]["display"]
    answer = fetch(client, url)
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(answer.get_data())) as im:
        assert im.format == "JPEG" and im.size == (1000, 750)
    with client.get(url, headers={"If-None-Match": answer.headers["ETag"]}) as again:
        assert again.status_code == 304 and not again.get_data()


def test_without_the_current_version_it_is_revalidated(client, upload):
    url = upload(jpeg()).json["urls"]["thumb"]
    for stale in (url.split("?")[0], url.split("?")[0] + "?v=000000000000"):
        answer = fetch(client, stale)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "public, no-cache"


def test_unknown_photo_or_variant_is_404(client, upload):
    photo = upload(jpeg()).json
    unknown = client.get("/api/v1/photos/nothing-here/display")
    assert unknown.status_code == 404 and unknown.json["code"] == "unknown_photo"
    variant = client.get(f"/api/v1/photos/{photo['id']}/original")
    assert variant.status_code == 404 and variant.json["code"] == "unknown_variant"


def test_a_report_shows_its_photos_urls(client, upload):
    photo = upload(jpeg()).json
    report = client.post("/api/v1/requests", json={
        "service_code": "graffiti-removal", "lat": 34.0537, "lon": -118.2427,
        "attributes": {"surface": "wall"}, "photos": [photo["id"]]})
    assert report.status_code == 201, report.json
    public = client.get(f"/api/v1/requests/{report.json['tracking']}").json
    assert [(p["id"], p["kind"]) for p in public["photos"]] == [(photo["id"], "report")]
    shown = fetch(client, public["photos"][0]["urls"]["display"])
    assert shown.status_code == 200
    assert shown.get_data() == fetch(client, photo["urls"]["display"]).get_data()
