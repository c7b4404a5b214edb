"""A dispatcher assigns work from the map: a lasso around a neighbourhood's open work orders,
a box, and the nearest crew for one work order; the API shows the result."""

import math

import pytest

from backend.models import WorkStatus
from tests.browser import field_work
from tests.browser.conftest import CITY_HALL, screenshot, serious_accessibility_violations
from tests.browser.field_work import api, current, make_work, offset, token_of

pytestmark = pytest.mark.browser
ZOOM = 16  # about 2 m per pixel at this latitude


def metres_per_pixel(zoom=ZOOM) -> float:
    return 156_543.034 * math.cos(math.radians(CITY_HALL["latitude"])) / 2 ** zoom


def open_dispatch(page):
    field_work.open_dispatch(page, ZOOM)
    page.locator("#dispatch-map path.work-order").first.wait_for()


def drag(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=2)
    page.mouse.up()


def map_centre(page):
    box = page.locator("#dispatch-map").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def crew_id(base_url, token, name):
    _status, crews = api(base_url, "GET", "/api/v1/dispatch/crews", token=token)
    return next(c["id"] for c in crews if c["name"] == name)


def test_dispatcher_lassos_an_area_and_its_open_work_is_assigned(page, live_db, live_server):
    inside = [make_work(live_db, at=offset(north, east), crew=None)
              for north, east in ((60, 0), (-50, 40), (0, -70))]
    outside = [make_work(live_db, at=offset(0, east), crew=None) for east in (260, -260)]
    started = make_work(live_db, at=offset(30, 30))
    status, answer = api(live_server, "POST", f"/api/v1/workorders/{started.id}/actions",
                         {"action": "start"}, token_of(live_server, "crew"),
                         {"If-Match": f'"{started.version}"', "Idempotency-Key": "start-0001"})
    assert status == 200, answer
    others = make_work(live_db, at=offset(-30, -30), crew="Graffiti Busters")

    open_dispatch(page)
    page.wait_for_function("document.querySelectorAll('#dispatch-map path.work-order')"
                           ".length === 7")
    page.get_by_role("button", name="Draw a lasso").click()
    x, y = map_centre(page)
    radius = 160 / metres_per_pixel()  # 160 m: around the five near ones, not the two at 260 m
    drag(page, [(x + radius * math.cos(a / 16 * 2 * math.pi),
                 y + radius * math.sin(a / 16 * 2 * math.pi)) for a in range(17)])
    page.get_by_role("heading", name="Assign the selected area").wait_for()
    assert "with these filters: 5." in page.locator("#selection-count").inner_text()
    page.get_by_label("Crew", exact=True).select_option(label="Sanitation North")
    page.get_by_role("button", name="Assign to the crew").click()
    page.get_by_text("Assigned to Sanitation North: 3.").wait_for()
    assert "Left alone: 2." in page.locator("#dispatch-result").inner_text()
    assert f"Work order {started.id} ({started.request.tracking}): already in progress" in \
        page.locator("#dispatch-result").inner_text()
    assert f"Work order {others.id} ({others.request.tracking}): assigned to another crew" in \
        page.locator("#dispatch-result").inner_text()
    screenshot(page, "dispatch-lasso")
    assert serious_accessibility_violations(page) == []

    token = token_of(live_server, "dispatcher")
    north = crew_id(live_server, token, "Sanitation North")
    status, assigned = api(live_server, "GET",
                           f"/api/v1/workorders?crew_id={north}&status=assigned", token=token)
    assert status == 200
    assert sorted(w["id"] for w in assigned) == sorted(w.id for w in inside)
    for work_order in outside:
        assert current(live_db, work_order.id).status == WorkStatus.UNASSIGNED
    assert current(live_db, others.id).crew.name == "Graffiti Busters"


def test_dispatcher_boxes_an_area_and_sends_the_nearest_crew(page, live_db, live_server):
    boxed = [make_work(live_db, at=offset(north, 0), crew=None) for north in (40, -40)]
    lone = make_work(live_db, at=offset(0, 250), crew=None, description="Alley behind 5th")
    crew_token = token_of(live_server, "crew2")
    here = offset(0, 200)
    status, _ = api(live_server, "POST", "/api/v1/crew/position",
                    {"lat": here[1], "lon": here[0]}, crew_token)
    assert status == 200

    open_dispatch(page)
    page.locator("#crew-positions").get_by_text("Graffiti Busters").wait_for()
    page.get_by_role("button", name="Draw a box").click()
    x, y = map_centre(page)
    side = 100 / metres_per_pixel()
    drag(page, [(x - side, y - side), (x, y), (x + side, y + side)])
    assert "with these filters: 2." in page.locator("#selection-count").inner_text()
    page.get_by_label("Crew", exact=True).select_option(label="Sanitation South")
    page.get_by_role("button", name="Assign to the crew").click()
    page.get_by_text("Assigned to Sanitation South: 2.").wait_for()
    for work_order in boxed:
        assert current(live_db, work_order.id).crew.name == "Sanitation South"

    page.locator(f"#orders-in-view li[data-work-order-id='{lone.id}']").get_by_role(
        "button").click()
    page.get_by_role("heading", name=f"Work order {lone.id}").wait_for()
    page.get_by_role("button", name="Suggest the nearest crews").click()
    suggestion = page.locator("#suggestions li").first
    suggestion.get_by_text("Graffiti Busters", exact=True).wait_for()
    assert "50 m away" in suggestion.inner_text()
    screenshot(page, "dispatch-suggestion")
    assert serious_accessibility_violations(page) == []
    suggestion.get_by_role("button", name="Assign to Graffiti Busters").click()
    page.get_by_text("Assigned to Graffiti Busters: 1.").wait_for()
    dispatcher = token_of(live_server, "dispatcher")
    status, answer = api(live_server, "GET", f"/api/v1/workorders/{lone.id}", token=dispatcher)
    assert status == 200 and answer["status"] == "assigned"
    assert answer["crew"]["name"] == "Graffiti Busters"
