"""A resident who has not located themselves adds a photo that records where it was taken,
and takes that place for the report: the server keeps the photo's own reading of it."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from backend.models import LocationSource, ServiceRequest
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.media.conftest import exif_bytes

pytestmark = pytest.mark.browser
TAKEN_AT = {"lat": 34.0522, "lon": -118.2437}  # Pershing Square, a block from City Hall


def jpeg(**exif) -> bytes:
    buffer = io.BytesIO()
    params = {"exif": exif_bytes(**exif)} if exif else {}
    Image.new("RGB", (640, 480), (40, 120, 180)).save(buffer, "JPEG", quality=85, **params)
    return buffer.getvalue()


def add_photo(page, data: bytes, n: int) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": f"photo{n}.jpg", "mimeType": "image/jpeg", "buffer": data}])
    page.get_by_role("img", name=f"Photo {n}").wait_for()


def test_resident_takes_the_place_the_photo_records(page, live_db):
    add_photo(page, jpeg(), 1)  # no place in this one: nothing offered
    assert page.locator("#photo-place").is_hidden()
    add_photo(page, jpeg(**TAKEN_AT), 2)
    offer = page.locator("#photo-place")
    offer.get_by_text("This photo records where it was taken.").wait_for()
    screenshot(page, "report-photo-place-offer")
    assert serious_accessibility_violations(page) == []
    offer.get_by_role("button", name="Use where the photo was taken").click()
    page.get_by_text("Pin at 34.05220, -118.24370").wait_for()
    offer.get_by_text("The pin is now where the photo was taken").wait_for()

    page.get_by_label("Category").select_option("graffiti-removal")
    page.get_by_label("A wall").check()
    page.get_by_role("button", name="Send report").click()
    page.locator("#tracking-number").wait_for()
    live_db.rollback()
    stored = live_db.scalar(select(ServiceRequest))
    assert stored.location_source == LocationSource.PHOTO
    assert (round(stored.lat, 5), round(stored.lon, 5)) == (TAKEN_AT["lat"], TAKEN_AT["lon"])


def test_no_offer_once_located_and_a_moved_pin_is_the_residents(page, live_db):
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Found you").wait_for()
    add_photo(page, jpeg(**TAKEN_AT), 1)
    page.get_by_role("img", name="Photo 1").wait_for()
    assert page.locator("#photo-place").is_hidden()

    # Offered, taken, then the pin moved: the report carries the resident's own point.
    page.get_by_role("button", name="Remove photo").click()
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    add_photo(page, jpeg(**TAKEN_AT), 1)
    page.get_by_role("button", name="Use where the photo was taken").click()
    page.get_by_text("Pin at 34.05220, -118.24370").wait_for()
    page.locator("#report-map").scroll_into_view_if_needed()
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 40)
    page.get_by_text("Pin at 34.05220, -118.24370").wait_for(state="detached")
    page.get_by_label("Category").select_option("graffiti-removal")
    page.get_by_label("A wall").check()
    page.get_by_role("button", name="Send report").click()
    page.locator("#tracking-number").wait_for()
    live_db.rollback()
    stored = live_db.scalar(select(ServiceRequest))
    assert stored.location_source == LocationSource.DEVICE
    assert (round(stored.lat, 5), round(stored.lon, 5)) != (TAKEN_AT["lat"], TAKEN_AT["lon"])
