"""Staff moderation: hide a photo from the public, black out (or blur) a rectangle."""

import io
import statistics

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from backend.models import Event, Media
from tests.media.conftest import encode
from tests.photos.conftest import CITY_HALL, fetch, jpeg

WHITE = (255, 255, 255)


@pytest.fixture
def reported_photo(client, upload):
    """reported_photo(bytes) → (photo body, tracking) of a report carrying that photo."""
    def make(data: bytes):
        photo = upload(data).json
        report = client.post("/api/v1/requests", json={
            "service_code": "graffiti-removal", **CITY_HALL,
            "attributes": {"surface": "wall"}, "photos": [photo["id"]]})
        assert report.status_code == 201, report.json
        return photo, report.json["tracking"]
    return make


def pixels(client, url: str, headers: dict | None = None) -> Image.Image:
    with client.get(url, headers=headers or {}) as answer:
        assert answer.status_code == 200, answer.get_data()
        return Image.open(io.BytesIO(answer.get_data())).convert("RGB")


def moderation_events(db_session, photo_id: str) -> list[Event]:
    db_session.rollback()
    return [e for e in db_session.scalars(select(Event).where(Event.kind.like("photo_%"))
                                          .order_by(Event.id))
            if e.data.get("photo") == photo_id]


def test_only_moderators_may_hide(client, auth, upload):
    photo = upload(jpeg()).json
    url = f"/api/v1/photos/{photo['id']}/hide"
    assert client.post(url, json={}).status_code == 401
    assert client.post(url, json={}, headers=auth("crew")).status_code == 403
    assert client.post(url, json={}, headers=auth("dispatcher")).status_code == 200


def test_a_hidden_photo_is_gone_for_the_public_and_kept_for_staff(client, auth, reported_photo,
                                                                  db_session):
    photo, tracking = reported_photo(jpeg())
    display = photo["urls"]["display"]
    hidden = client.post(f"/api/v1/photos/{photo['id']}/hide",
                         json={"reason": "a face in the picture"}, headers=auth("dispatcher"))
    assert hidden.status_code == 200 and hidden.json["hidden"] is True
    assert hidden.json["request"] == tracking

    assert client.get(display).status_code == 404
    assert client.get(f"/api/v1/requests/{tracking}").json["photos"] == []
    with client.get(display, headers=auth("crew")) as answer:
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "private, no-store"
    [event] = moderation_events(db_session, photo["id"])
    assert event.kind == "photo_hidden" and event.public is False
    assert event.data["reason"] == "a face in the picture"
    assert "photo_hidden" not in str(client.get(f"/api/v1/requests/{tracking}").json)

    shown = client.post(f"/api/v1/photos/{photo['id']}/hide", json={"hidden": False},
                        headers=auth("admin"))
    assert shown.status_code == 200 and shown.json["hidden"] is False
    assert fetch(client, display).status_code == 200
    assert [e.kind for e in moderation_events(db_session, photo["id"])] == \
        ["photo_hidden", "photo_shown"]


def test_a_redacted_box_is_black_on_every_public_variant(client, auth, reported_photo,
                                                         db_session):
    photo, _tracking = reported_photo(jpeg((1600, 1200), colour=WHITE))
    answer = client.post(f"/api/v1/photos/{photo['id']}/redact",
                         json={"x": 0.25, "y": 0.25, "width": 0.5, "height": 0.5},
                         headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["redacted"] is True
    assert body["urls"].keys() == photo["urls"].keys()
    for name, url in body["urls"].items():
        assert url != photo["urls"][name]  # new bytes, new version: no cache shows the old
        im = pixels(client, url)
        width, height = im.size
        assert max(im.getpixel((width // 2, height // 2))) < 16, name
        assert min(im.getpixel((2, 2))) > 240, name
        # the box's edges are covered too (rounded outwards)
        assert max(im.getpixel((width // 4 + 1, height // 4 + 1))) < 40, name
    # The old URL now gives the redacted bytes as well, and not for a year.
    old = fetch(client, photo["urls"]["display"])
    assert old.headers["Cache-Control"] == "public, no-cache"
    assert max(Image.open(io.BytesIO(old.get_data())).convert("RGB").getpixel((500, 375))) < 16

    unredacted = body["unredacted_urls"]["display"]
    assert client.get(unredacted).status_code == 401
    original = pixels(client, unredacted, auth("crew"))
    assert min(original.getpixel((500, 375))) > 240
    [event] = moderation_events(db_session, photo["id"])
    assert event.kind == "photo_redacted" and event.public is False
    assert event.data["box"] == [0.25, 0.25, 0.5, 0.5] and event.data["style"] == "fill"


def test_a_second_box_keeps_the_first(client, auth, reported_photo):
    photo, _ = reported_photo(jpeg((1200, 900), colour=WHITE))
    url = f"/api/v1/photos/{photo['id']}/redact"
    for box in ({"x": 0, "y": 0, "width": 0.2, "height": 0.2},
                {"x": 0.8, "y": 0.8, "width": 0.2, "height": 0.2}):
        assert client.post(url, json=box, headers=auth("admin")).status_code == 200
    body = client.get(f"/api/v1/photos/{photo['id']}", headers=auth("dispatcher")).json
    im = pixels(client, body["urls"]["large"])
    assert max(im.getpixel((10, 10))) < 16 and max(im.getpixel((1190, 890))) < 16
    assert min(im.getpixel((600, 450))) > 240
    assert min(pixels(client, body["unredacted_urls"]["large"], auth("admin"))
               .getpixel((10, 10))) > 240


def test_blur_leaves_no_detail_in_the_box(client, auth, upload):
    picture = Image.new("RGB", (1200, 900), WHITE)
    draw = ImageDraw.Draw(picture)
    for x in range(0, 1200, 12):  # fine stripes: the "text" a blur must not keep
        draw.rectangle((x, 0, x + 5, 899), fill=(0, 0, 0))
    photo = upload(encode(picture, "JPEG", quality=95)).json
    answer = client.post(f"/api/v1/photos/{photo['id']}/redact",
                         json={"x": 0.25, "y": 0.25, "width": 0.5, "height": 0.5,
                               "style": "blur"}, headers=auth("dispatcher"))
    assert answer.status_code == 200, answer.json
    im = pixels(client, answer.json["urls"]["large"]).convert("L")
    inside = [im.getpixel((x, 450)) for x in range(400, 800)]
    outside = [im.getpixel((x, 100)) for x in range(400, 800)]
    assert statistics.pstdev(outside) > 80  # the stripes are there outside the box
    assert statistics.pstdev(inside) < 10  # and gone inside it


@pytest.mark.parametrize("box", [
    {"x": 0.6, "y": 0.1, "width": 0.5, "height": 0.2},
    {"x": 0.1, "y": 0.1, "width": 0, "height": 0.2},
    {"x": 1, "y": 0.1, "width": 0.0001, "height": 0.2},
    {"x": -0.1, "y": 0.1, "width": 0.2, "height": 0.2},
    {"x": 0.1, "y": 0.1, "width": 0.2},
    {"x": 0.1, "y": 0.1, "width": 0.2, "height": 0.2, "style": "swirl"},
])
def test_a_box_outside_the_photo_is_refused(client, auth, upload, db_session, box):
    photo = upload(jpeg()).json
    answer = client.post(f"/api/v1/photos/{photo['id']}/redact", json=box,
                         headers=auth("dispatcher"))
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] in {"invalid_box", "invalid_input"}
    db_session.rollback()
    media = db_session.scalar(select(Media).where(Media.public_id == photo["id"]))
    assert media.unredacted_variants is None


def test_staff_see_everything_about_a_photo(client, auth, upload):
    photo = upload(jpeg(lat=34.05, lon=-118.25)).json
    assert client.get(f"/api/v1/photos/{photo['id']}").status_code == 401
    body = client.get(f"/api/v1/photos/{photo['id']}", headers=auth("crew")).json
    assert body["hidden"] is False and body["redacted"] is False and body["request"] is None
    assert len(body["content_hash"]) == 64 and len(body["phash"]) == 16
    assert body["geotag"]["lat"] == pytest.approx(34.05, abs=1e-5)
