"""A manager signs in and reads the dashboard: numbers, SVG charts, the hotspot map."""

import csv
import gzip
from itertools import islice
from pathlib import Path

import pytest

from backend import demo
from backend.services import la311, service_levels
from tests.browser.conftest import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser
LA_ROWS = 2000


@pytest.fixture
def la_requests(live_db):
    """The first LA requests of January 2020 (the live app's own database)."""
    with gzip.open(demo.REQUESTS_CSV, "rt", encoding="utf-8", newline="") as file:
        report = la311.import_rows(live_db, islice(csv.DictReader(file), LA_ROWS))
    service_levels.backfill_expected(live_db)  # targets from the catalog's hours
    live_db.commit()
    return report.imported


def sign_in(page, username="dispatcher", password="frontdoor-dispatch"):
    page.goto("/#/signin/dashboard")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_dashboard_tab_is_for_signed_in_managers_only(page):
    assert page.get_by_role("link", name="Dashboard").count() == 0  # hidden from residents
    page.goto("/#/dashboard")
    page.get_by_role("heading", name="Staff sign-in").wait_for()
    sign_in(page, "crew", "frontdoor-crew")
    page.get_by_text("The dashboard is for dispatchers and administrators").wait_for()
    assert page.get_by_role("link", name="Dashboard").count() == 0
    sign_in(page, "dispatcher", "wrong password")
    page.locator(".field-error").wait_for()
    assert page.get_by_role("link", name="Dashboard").count() == 0
    assert serious_accessibility_violations(page) == []


def test_manager_reads_the_dashboard(page, la_requests):
    sign_in(page)
    page.get_by_role("heading", name="Service levels").wait_for()
    page.get_by_text("Figures updated.").wait_for()
    assert page.get_by_role("link", name="Dashboard").is_visible()

    volume = page.locator(".tile", has_text="Requests").locator(".tile-value").inner_text()
    assert volume == f"{la_requests:,}"  # the 30 days up to the latest request: all of them
    charts = page.locator("figure.chart svg[role='img']")
    assert charts.count() == 4
    assert page.locator("figure.chart svg rect").count() > 10
    assert page.locator("figure.chart polyline").count() == 1
    assert "Bulky Items" in page.locator("figure.chart").nth(2).inner_text()
    assert page.locator("figure.chart").nth(3).locator("rect").count() > 3  # neighbourhoods
    assert page.locator(".hotspots li").count() > 0
    page.locator("#hotspot-map .leaflet-interactive").first.wait_for()
    screenshot(page, "dashboard")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Service", exact=True).select_option("graffiti-removal")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Figures updated.").wait_for()
    page.wait_for_function("document.querySelector('.tile-value').textContent !== "
                           f"'{la_requests:,}'")
    graffiti = int(page.locator(".tile-value").first.inner_text().replace(",", ""))
    assert 0 < graffiti < la_requests

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("tracking,service_code") and len(lines) == graffiti + 1
