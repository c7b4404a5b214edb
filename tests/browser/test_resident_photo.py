"""A resident reports with a photo while offline; the photo is uploaded once, then the report.

Runs once the server has a photo-upload endpoint (POST /api/v1/photos in /api/openapi.json);
until then it is skipped and says why.
"""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from backend import create_app
from backend.config import Config
from backend.models import Media, ServiceRequest
from tests.browser.conftest import screenshot, wait_for_service_worker
from tests.browser.test_resident_report import fill_graffiti_report


def _photo_upload_endpoint_exists() -> bool:
    app = create_app(Config(DATABASE_URL="sqlite://", TESTING=True))
    try:
        spec = app.test_client().get("/api/openapi.json").json
        return "post" in spec["paths"].get("/api/v1/photos", {})
    finally:
        app.extensions["frontdoor.db"]["engine"].dispose()


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not _photo_upload_endpoint_exists(),
                       reason="the server has no photo upload (POST /api/v1/photos) yet"),
]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 40, 40)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_report_with_photo_made_offline_is_sent_once(page, context, live_db):
    wait_for_service_worker(page)
    context.set_offline(True)
    fill_graffiti_report(page)
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.get_by_role("img", name="Photo 1").wait_for()
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Waiting to send", exact=True).wait_for()

    context.set_offline(False)
    number = page.locator("#tracking-number")
    number.wait_for()
    live_db.rollback()
    assert live_db.scalar(select(func.count()).select_from(ServiceRequest)) == 1
    assert live_db.scalar(select(func.count()).select_from(Media)) == 1
    request = live_db.scalar(select(ServiceRequest))
    assert number.inner_text() == request.tracking

    page.get_by_role("link", name="Follow this report").click()
    page.locator(".report-details .photos img").wait_for()
    screenshot(page, "track-with-photo")
