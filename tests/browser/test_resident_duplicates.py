"""Before sending, a resident sees the same problem already reported nearby and follows it
instead: one more supporter, and updates by email; no second report."""

import pytest
from sqlalchemy import select

from backend.models import ServiceRequest, Subscription
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.field_work import api

pytestmark = pytest.mark.browser


def test_resident_follows_the_report_already_made_nearby(page, live_db, live_server):
    status, earlier = api(live_server, "POST", "/api/v1/requests", {
        "service_code": "graffiti-removal", "lat": 34.0538, "lon": -118.2428,
        "attributes": {"surface": "wall"}, "description": "Tags on the bus shelter."})
    assert status == 201, earlier
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Found you").wait_for()
    page.get_by_label("Category").select_option("graffiti-removal")
    card = page.locator(f"#report-duplicates li[data-tracking='{earlier['tracking']}']")
    card.wait_for()
    assert "Tags on the bus shelter." in card.inner_text() and "m away" in card.inner_text()
    page.get_by_label("Email").fill("neighbour@example.org")
    screenshot(page, "report-duplicates")
    assert serious_accessibility_violations(page) == []

    card.get_by_role("button", name="This is it: follow this one").click()
    page.get_by_role("heading", name="Thank you — you are following this report").wait_for()
    assert page.locator("#tracking-number").inner_text() == earlier["tracking"]
    live_db.rollback()
    assert [r.tracking for r in live_db.scalars(select(ServiceRequest))] == [
        earlier["tracking"]]
    assert live_db.scalar(select(ServiceRequest.supporters)) == 1
    assert live_db.scalar(select(Subscription.address)) == "neighbour@example.org"


def test_the_same_problem_comes_before_a_different_one(page, live_server):
    made = {}
    for code, answers in (("bulky-items", {"items": ["furniture"]}),
                          ("graffiti-removal", {"surface": "wall"})):
        status, answer = api(live_server, "POST", "/api/v1/requests", {
            "service_code": code, "lat": 34.0538, "lon": -118.2428, "attributes": answers})
        assert status == 201, answer
        made[code] = answer["tracking"]
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Found you").wait_for()
    page.get_by_label("Category").select_option("graffiti-removal")
    page.locator("#report-duplicates li").nth(1).wait_for()
    order = page.locator("#report-duplicates li").evaluate_all(
        "items => items.map((li) => li.dataset.tracking)")
    assert order == [made["graffiti-removal"], made["bulky-items"]]
