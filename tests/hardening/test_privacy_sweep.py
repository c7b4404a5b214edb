"""Privacy sweep: residents' contact details, given through every channel (the app's API,
a call-centre operator, Open311, "me too" and email follows, even a photo's metadata),
appear in no public output and no log line.

Every public output is crawled as a stranger would: the public request view, the map's
nearby / in-box / duplicate lists, Open311 GET in JSON and XML with and without
extensions, the bytes of every public photo variant, the link pages, and the staff-only
outputs (exports, clusters) as refused to non-staff. The PWA's tracking page and its service
worker's cache hold exactly these API answers. Logs are captured from every request and from
sending the messages (including a refused recipient) and checked line by line.
"""

import io
import json
import logging
import re

import pytest
from aiosmtpd.controller import Controller
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.logging_setup import JsonFormatter
from backend.models import Subscription
from backend.notify import outbox
from tests.hardening.conftest import engine_of
from tests.notify.conftest import Mailbox, free_port

DOMAIN = "privacy-sweep.example"
RESIDENT = {"name": "Zebulon Quuxworth", "email": f"zq-7f3a@{DOMAIN}",
            "phone": "+1 213 555 7193"}
CALLER = {"name": "Ottoline Marchbanks", "email": f"om-2c4e@{DOMAIN}",
          "phone": "(818) 555-0176"}
OPEN311_PERSON = {"first_name": "Philippa", "last_name": "Vandersloot", "email":
                  f"pv-91c2@{DOMAIN}", "phone": "323-555-0142",
                  "device_id": "device-sweep-55aa", "account_id": "acct-sweep-99bb"}
FOLLOWER, SUBSCRIBER = f"follower-3b8e@{DOMAIN}", f"subscriber-6d1a@{DOMAIN}"
PHOTO_OWNER = {"artist": "Cornelius Photographer-Quill", "email": f"camera-owner@{DOMAIN}"}
# What must never show: every name, address and number, and their telling parts.
SECRETS = ["Zebulon", "Quuxworth", "zq-7f3a", "5557193", "555 7193", "555-7193",
           "Ottoline", "Marchbanks", "om-2c4e", "5550176", "555-0176",
           "Philippa", "Vandersloot", "pv-91c2", "5550142", "555-0142",
           "device-sweep-55aa", "acct-sweep-99bb", "follower-3b8e", "subscriber-6d1a",
           "Cornelius", "Photographer-Quill", "camera-owner", DOMAIN]
CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
BBOX = "-118.30,34.00,-118.20,34.10"


def photo_with_owner_metadata() -> bytes:
    """A JPEG whose EXIF and comment name the camera's owner, as many phones' do."""
    image = Image.new("RGB", (320, 240), (90, 60, 30))
    exif = image.getexif()
    exif[0x013B] = PHOTO_OWNER["artist"]  # Artist
    exif[0x8298] = f"(c) {PHOTO_OWNER['artist']} {PHOTO_OWNER['email']}"  # Copyright
    exif[0x010E] = f"Sent by {PHOTO_OWNER['email']}"  # ImageDescription
    exif[0x9C9D] = PHOTO_OWNER["artist"].encode("utf-16-le") + b"\0\0"  # XPAuthor
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=PHOTO_OWNER["email"].encode())
    return out.getvalue()


def leaks(data: bytes | str) -> list[str]:
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    folded = raw.lower()
    return [s for s in SECRETS
            if s.lower().encode() in folded or s.encode("utf-16-le") in raw]


@pytest.fixture
def mailbox():
    """An SMTP server that refuses one of the residents, to exercise the failure path too."""
    box = Mailbox(refuse={CALLER["email"]: f"550 5.1.1 <{CALLER['email']}> unknown user"})
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def seed_every_channel(client, staff, api_key) -> list[str]:
    """Reports (and follows) carrying contact details through every way in -> tracking ids."""
    made = []
    photo = None
    if "photos.Photos" in client.application.view_functions:
        uploaded = client.post("/api/v1/photos", content_type="multipart/form-data",
                               data={"photo": (io.BytesIO(photo_with_owner_metadata()),
                                               "IMG_0001.jpg")})
        assert uploaded.status_code == 201, uploaded.json
        photo = uploaded.json["id"]
    resident = client.post("/api/v1/requests", json={
        "service_code": "graffiti-removal", **CITY_HALL, "attributes": {"surface": "wall"},
        "description": "Tags on the wall.", "contact": RESIDENT,
        **({"photos": [photo]} if photo else {})})
    assert resident.status_code == 201, resident.json
    made.append(resident.json["tracking"])
    phoned = client.post("/api/v1/requests", headers=staff.headers("dispatcher"), json={
        "service_code": "bulky-items", **CITY_HALL, "attributes": {"items": ["furniture"]},
        "channel": "phone", "description": "A sofa on the kerb.", "contact": CALLER})
    assert phoned.status_code == 201, phoned.json
    made.append(phoned.json["tracking"])
    submitted = client.post("/open311/v2/requests.json", data={
        "api_key": api_key(), "service_code": "graffiti-removal", "lat": "34.0537",
        "long": "-118.2427", "attribute[surface]": "wall", "description": "Tags again.",
        **OPEN311_PERSON})
    assert submitted.status_code == 201, submitted.json
    made.append(submitted.json[0]["service_request_id"])
    followed = client.post(f"/api/v1/requests/{made[0]}/follow", json={"email": FOLLOWER})
    assert followed.status_code == 200, followed.json
    subscribed = client.post(f"/api/v1/requests/{made[1]}/subscriptions",
                             json={"channel": "email", "address": SUBSCRIBER})
    assert subscribed.status_code == 201, subscribed.json
    for tracking in made[:2]:  # staff move them on, which sends messages to the residents
        for status in ("acknowledged", "resolved"):
            moved = client.post(f"/api/v1/requests/{tracking}/status", json={"status": status},
                                headers=staff.headers("dispatcher"))
            assert moved.status_code == 200, moved.json
    return made


def public_outputs(client, tracking_numbers) -> dict[str, bytes]:
    """Every public answer about these requests, by what was asked."""
    paths = []
    for tracking in tracking_numbers:
        paths += [f"/api/v1/requests/{tracking}",
                  f"/open311/v2/requests/{tracking}.json",
                  f"/open311/v2/requests/{tracking}.xml",
                  f"/open311/v2/requests/{tracking}.json?extensions=true",
                  f"/open311/v2/requests/{tracking}.xml?extensions=true"]
    paths += [f"/api/v1/requests/nearby?lat={CITY_HALL['lat']}&lon={CITY_HALL['lon']}"
              "&radius=2000&status=all",
              f"/api/v1/requests/in-box?bbox={BBOX}&status=all",
              f"/api/v1/requests/duplicates?lat={CITY_HALL['lat']}&lon={CITY_HALL['lon']}",
              "/open311/v2/requests.json", "/open311/v2/requests.xml",
              "/open311/v2/requests.json?extensions=true",
              "/open311/v2/requests.xml?extensions=true",
              f"/open311/v2/requests.json?lat={CITY_HALL['lat']}&long={CITY_HALL['lon']}",
              "/api/v1/exports/requests.csv", "/api/v1/exports/requests.geojson",
              f"/api/v1/map/clusters?bbox={BBOX}&zoom=14", "/api/v1/config", "/"]
    found = {}
    for path in paths:
        answer = client.get(path)
        found[path] = answer.get_data()
        answer.close()
        assert answer.status_code in {200, 401}, (path, answer.status_code)
    for path in photo_paths(found):
        answer = client.get(path)
        assert answer.status_code == 200, path
        found[path] = answer.get_data()
        answer.close()
    return found


def photo_paths(outputs: dict[str, bytes]) -> set[str]:
    text = b"\n".join(outputs.values()).decode("utf-8", "replace")
    return {re.sub(r"^https?://[^/]+", "", url)
            for url in re.findall(r"(?:https?://[^/\"'<\s]+)?/api/v1/photos/[^\"'<\s]+", text)}


def link_pages(client, app) -> dict[str, bytes]:
    """The pages behind the links in the residents' messages (what a forwarded mail shows)."""
    with Session(engine_of(app)) as db:
        tokens = list(db.scalars(select(Subscription.token)))
    found = {}
    for token in tokens:
        for path in (f"/api/v1/subscriptions/unsubscribe/{token}",
                     f"/api/v1/subscriptions/confirm/{token}"):
            for accept in ("application/json", "text/html"):
                found[f"{path} ({accept})"] = client.get(path, headers={"Accept": accept}).data
    return found


def test_contact_details_never_leave_through_public_outputs_or_logs(
        app, client, staff, api_key, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("backend.api").debug("privacy sweep starts")  # the capture works
    tracking_numbers = seed_every_channel(client, staff, api_key)

    with Session(engine_of(app)) as db:  # deliver the messages, one of them refused
        config = {**app.config, "MAIL_SENDER": "smtp", "SMTP_HOST": "127.0.0.1",
                  "SMTP_PORT": mailbox.port}
        senders = outbox.senders_from_config(config)
        report = outbox.send_pending(db, senders)
        senders.email.close()
    assert report.sent >= 3 and report.dead + report.failed >= 1, report

    outputs = public_outputs(client, tracking_numbers)
    photos = [path for path in outputs if path.startswith("/api/v1/photos/")]
    if "photos.Photos" in app.view_functions:
        assert photos, "the public view shows the report's photo"
    outputs |= link_pages(client, app)
    found = {path: leaks(body) for path, body in outputs.items()}
    assert {path: hits for path, hits in found.items() if hits} == {}

    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any("privacy sweep starts" in line for line in lines), "the capture is broken"
    leaking = [line for line in lines if leaks(line)]
    assert leaking == []


def test_the_sweep_would_see_a_leak():
    """The detector itself: every secret, as text, JSON, XML or UTF-16, is found."""
    assert leaks(json.dumps(RESIDENT)) and leaks(f"<email>{FOLLOWER}</email>")
    assert leaks(PHOTO_OWNER["artist"].encode("utf-16-le"))
    assert leaks(b"call 2135557193") and not leaks(b"Graffiti Removal, 200 N Spring St")
