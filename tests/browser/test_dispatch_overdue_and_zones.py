"""The dispatcher's overdue list (the longest late first, how late, picked on the map) and
the zone filter (a neighbourhood's outline, only its work shown and assigned)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.models import RequestZone, Service, ServiceRequest, WorkStatus, Zone
from backend.services import zones
from backend.services.tracking import unused_tracking_numbers
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.field_work import current, make_work, offset, open_dispatch

pytestmark = pytest.mark.browser
DOWNTOWN = "DOWNTOWN LOS ANGELES"


def markers(page) -> int:
    return page.locator("#dispatch-map path.work-order").count()


def late_request(db, *, at, hours_late: float) -> ServiceRequest:
    """An open request with no work order, its expected date that long ago."""
    db.rollback()
    service = db.scalar(select(Service).where(Service.code == "bulky-items"))
    request = ServiceRequest(tracking=unused_tracking_numbers(db, 1)[0], service=service,
                             lon=at[0], lat=at[1], attributes={},
                             address="Alley behind Broadway",
                             expected_at=datetime.now(UTC) - timedelta(hours=hours_late))
    db.add(request)
    db.commit()
    return request


def make_late(db, work_order, *, days: float) -> None:
    db.rollback()
    found = db.get(type(work_order), work_order.id)
    found.due_at = datetime.now(UTC) - timedelta(days=days)
    db.commit()


def record_zones(db, *work_orders) -> None:
    """The zones each request lies in, as a submission records them."""
    db.rollback()
    for work_order in work_orders:
        request = db.get(ServiceRequest, work_order.request_id)
        db.add_all(RequestZone(request_id=request.id, zone_id=zone_id)
                   for zone_id in zones.zones_at(db, request.lon, request.lat))
    db.commit()


def neighbourhood_at(db, point) -> str:
    found = [z for z in db.scalars(select(Zone).where(Zone.kind == "neighbourhood"))
             if z.id in zones.zones_at(db, *point)]
    return found[0].name if found else ""


def test_overdue_list_longest_late_first_and_picked_on_the_map(page, live_db):
    far = make_work(live_db, at=offset(1500, 0), crew="Sanitation North",
                    description="Sofa by the park gate")
    make_late(live_db, far, days=3)
    waiting = late_request(live_db, at=offset(-80, 60), hours_late=5)
    on_time = make_work(live_db, at=offset(40, 40), crew=None)

    open_dispatch(page)
    items = page.locator("#overdue-list > li")
    items.first.wait_for()
    assert items.count() == 2
    first, second = items.nth(0).inner_text(), items.nth(1).inner_text()
    assert far.request.tracking in first and "3 d 0 h late" in first
    assert "work was due" in first and f"Work order {far.id}: Assigned, Sanitation North" in first
    assert waiting.tracking in second and "5 h 0 min late" in second
    assert "No work order yet" in second and "expected by" in second
    assert on_time.request.tracking not in page.locator("#overdue-list").inner_text()

    page.get_by_role("button", name=f"Show {far.request.tracking} on the map").click()
    page.get_by_role("heading", name=f"Work order {far.id}").wait_for()
    assert page.evaluate("document.activeElement.id") == "picked-title"
    page.locator(f"#dispatch-map path.wo-{far.id}").wait_for()
    assert page.locator(f"#dispatch-map path.wo-{far.id}").get_attribute("stroke-width") == "4"
    screenshot(page, "dispatch-overdue")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name=f"Show {waiting.tracking} on the map").click()
    page.get_by_role("heading", name=f"Request {waiting.tracking}").wait_for()
    assert page.get_by_role("link", name="Open its tracking page").get_attribute(
        "href") == f"#/track/{waiting.tracking}"

    page.locator("#language").select_option("es")
    page.get_by_role("heading", name="Atrasados").wait_for()
    assert "3 d 0 h de atraso" in page.locator("#overdue-list").inner_text()


def test_zone_filter_shows_and_assigns_one_neighbourhood(page, live_db):
    live_db.rollback()
    assert neighbourhood_at(live_db, offset(0, 0)) == DOWNTOWN
    nearby = next(p for p in (offset(n, e) for n in (-600, 0, 600) for e in (-600, 0, 600))
                  if neighbourhood_at(live_db, p) not in (DOWNTOWN, ""))
    inside = [make_work(live_db, at=offset(north, east), crew=None)
              for north, east in ((60, 0), (-50, 40))]
    outside = make_work(live_db, at=nearby, crew=None)
    record_zones(live_db, *inside, outside)

    open_dispatch(page, zoom=15)
    page.wait_for_function("document.querySelectorAll('#dispatch-map path.work-order')"
                           ".length === 3")
    page.get_by_label("Zone").select_option(label=DOWNTOWN)
    page.locator("#dispatch-map path[stroke='#5b2a86']").wait_for()  # the zone's outline
    page.wait_for_function("document.querySelectorAll('#dispatch-map path.work-order')"
                           ".length === 2")
    assert page.locator(f"#dispatch-map path.wo-{outside.id}").count() == 0
    page.get_by_role("button", name="Select what the map shows").click()
    assert "with these filters: 2." in page.locator("#selection-count").inner_text()
    page.get_by_label("Crew", exact=True).select_option(label="Sanitation North")
    page.get_by_role("button", name="Assign to the crew").click()
    page.get_by_text("Assigned to Sanitation North: 2.").wait_for()
    screenshot(page, "dispatch-zone")
    assert serious_accessibility_violations(page) == []
    for work_order in inside:
        assert current(live_db, work_order.id).crew.name == "Sanitation North"
    assert current(live_db, outside.id).status == WorkStatus.UNASSIGNED

    page.get_by_label("Zone").select_option("")
    page.wait_for_function("document.querySelectorAll('#dispatch-map path.work-order')"
                           ".length === 3")
    assert page.locator("#dispatch-map path[stroke='#5b2a86']").count() == 0
