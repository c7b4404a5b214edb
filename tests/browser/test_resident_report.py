"""A resident reports a problem from the PWA: online, offline, and refused by the server."""

import time

import pytest
from sqlalchemy import func, select

from backend.models import ServiceRequest
from tests.browser.conftest import (
    screenshot,
    serious_accessibility_violations,
    wait_for_service_worker,
)

pytestmark = pytest.mark.browser

OUTSIDE_THE_CITY = {"latitude": 36.1147, "longitude": -115.1728}  # Las Vegas


def fill_graffiti_report(page, description="Fresh tags on the wall by the bus stop."):
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Found you").wait_for()
    page.get_by_label("Category").select_option("graffiti-removal")
    page.get_by_label("A wall").check()
    page.get_by_label("Describe the problem").fill(description)


def requests_stored(live_db) -> int:
    live_db.rollback()  # a fresh snapshot: see what the app committed since
    return live_db.scalar(select(func.count()).select_from(ServiceRequest))


def test_report_made_offline_is_sent_once_when_back_online(page, context, live_db):
    wait_for_service_worker(page)
    context.set_offline(True)
    fill_graffiti_report(page)
    page.get_by_role("button", name="Send report").click()

    page.get_by_text("Waiting to send", exact=True).wait_for()
    screenshot(page, "report-waiting-to-send")
    assert serious_accessibility_violations(page) == []
    assert requests_stored(live_db) == 0
    page.get_by_role("link", name="My reports", exact=True).click()
    page.locator(".card.waiting").get_by_text("Graffiti Removal").wait_for()
    screenshot(page, "mine-waiting")
    assert serious_accessibility_violations(page) == []

    context.set_offline(False)
    sent = page.locator(".card a[href^='#/track/']")
    sent.wait_for()
    assert page.locator(".card.waiting").count() == 0
    assert requests_stored(live_db) == 1
    stored = live_db.scalar(select(ServiceRequest))
    assert stored.description == "Fresh tags on the wall by the bus stop."
    assert stored.attributes == {"surface": "wall"}
    screenshot(page, "mine")

    sent.click()
    page.locator("#track-number").wait_for()
    assert page.locator("#track-number").inner_text() == stored.tracking
    assert page.locator("#track-status").inner_text() == "Submitted"
    page.get_by_text("Report received").wait_for()
    screenshot(page, "track")
    assert serious_accessibility_violations(page) == []
    assert requests_stored(live_db) == 1


def test_background_sync_sends_the_report_after_the_app_was_closed(page, context, live_db):
    wait_for_service_worker(page)
    context.set_offline(True)
    fill_graffiti_report(page)
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Waiting to send", exact=True).wait_for()
    page.close()  # nothing of the app is open: only its service worker can send it now

    context.set_offline(False)
    deadline = time.monotonic() + 20
    while requests_stored(live_db) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert requests_stored(live_db) == 1

    again = context.new_page()
    again.goto("/#/mine")
    again.locator(".card a[href^='#/track/']").wait_for()  # the worker remembered it too
    assert again.locator(".card.waiting").count() == 0
    assert requests_stored(live_db) == 1


def test_report_sent_online_shows_its_tracking_number(page, live_db):
    fill_graffiti_report(page)
    page.get_by_role("button", name="Send report").click()
    number = page.locator("#tracking-number")
    number.wait_for()
    stored = live_db.scalar(select(ServiceRequest))
    assert number.inner_text() == stored.tracking
    assert stored.idempotency_key  # made on the phone when Send was pressed
    screenshot(page, "report-sent")
    assert serious_accessibility_violations(page) == []


def test_report_refused_by_the_server_needs_attention(page, context, live_db):
    context.set_geolocation(OUTSIDE_THE_CITY)
    fill_graffiti_report(page)
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("That place is outside the area this city serves.").wait_for()

    page.get_by_role("link", name="My reports", exact=True).click()
    card = page.locator(".card.attention")
    card.get_by_text("Needs attention").wait_for()
    card.get_by_text("That place is outside the area this city serves.").wait_for()
    assert requests_stored(live_db) == 0
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Language").select_option("es")
    card.get_by_text("Ese lugar está fuera del área que atiende esta ciudad.").wait_for()
    screenshot(page, "mine-needs-attention-es")
    card.get_by_role("button", name="Descartar").click()
    page.get_by_text("Todavía no ha enviado reportes").wait_for()


def test_location_refused_is_explained_and_the_map_still_works(page, context, live_db):
    context.clear_permissions()
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Location is turned off for this app.").wait_for()

    page.get_by_label("Category").select_option("other")
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Show us where it is").wait_for()  # nothing sent without a place
    page.get_by_role("button", name="Put the pin at the centre of the map").click()
    page.get_by_text("Pin at 34.05370, -118.24270").wait_for()
    page.get_by_role("button", name="Send report").click()
    page.locator("#tracking-number").wait_for()
    assert requests_stored(live_db) == 1
