"""The PWA under its own Content-Security-Policy, enforced: a resident reports with a photo
and tracks it, a manager reads the dashboard, a crew member and a dispatcher open their
screens and maps, and the browser reports no violation.

(The other browser tests lift the policy for Playwright's own string evaluation; this one
keeps it and waits with selectors only.)
"""

import io

import pytest
from PIL import Image

from tests.browser.conftest import CONTEXT_OPTIONS, screenshot
from tests.browser.field_work import make_work, offset
from tests.browser.field_work import sign_in as field_sign_in
from tests.browser.test_dashboard import sign_in
from tests.browser.test_resident_report import fill_graffiti_report

pytestmark = pytest.mark.browser

# Registered before any script of the page runs (injected by the driver, not the page).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} ` +
                              `(${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture
def strict_page(chromium, live_server, live_db):
    """A page of the app with the Content-Security-Policy enforced, and its violations."""
    options = {**CONTEXT_OPTIONS, "bypass_csp": False}
    context = chromium.new_context(base_url=live_server, **options)
    context.set_default_timeout(15_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    messages, errors = [], []
    page.on("console", lambda m: messages.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    page.wait_for_selector("html[data-ready='true']")
    yield page
    recorded = violations(page)
    context.close()
    assert not recorded and not messages, f"CSP violations: {recorded} {messages}"
    assert not errors, f"JavaScript errors on the page: {errors}"


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_policy_is_sent_with_the_shell(strict_page):
    policy = strict_page.evaluate("""async () =>
        (await fetch('/', {cache: 'no-store'})).headers.get('content-security-policy')""")
    assert "script-src 'self';" in policy and "unsafe" not in policy


def test_resident_reports_with_a_photo_and_tracks_it(strict_page, live_app):
    page = strict_page
    fill_graffiti_report(page)
    page.locator(".leaflet-container").first.wait_for()  # the map library loaded and drew
    if "photos.Photos" in live_app.view_functions:  # a server that takes photos
        page.locator("input[type=file]").set_input_files(
            files=[{"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
        page.get_by_role("img", name="Photo 1").wait_for()  # the preview (a blob: URL)
    page.get_by_role("button", name="Send report").click()
    page.locator("#tracking-number").wait_for()
    tracking = page.locator("#tracking-number").inner_text()
    page.goto(f"/#/track/{tracking}")
    page.locator("#track-number").wait_for()
    page.get_by_text("Report received").wait_for()
    page.get_by_role("link", name="My reports", exact=True).click()
    page.locator(".card a[href^='#/track/']").first.wait_for()
    screenshot(page, "csp-resident")


def test_manager_reads_the_dashboard(strict_page):
    sign_in(strict_page)
    strict_page.get_by_role("heading", name="Service levels").wait_for()
    strict_page.get_by_text("Figures updated.").wait_for()
    screenshot(strict_page, "csp-dashboard")


def some_work(live_db) -> None:
    for metres in (200, 600):
        make_work(live_db, at=offset(metres, 0))
    make_work(live_db, at=offset(0, 400), crew=None)


def test_crew_screen_and_map(strict_page, live_db):
    some_work(live_db)
    field_sign_in(strict_page, "crew", "crew")
    strict_page.get_by_role("heading", name="My jobs").wait_for()
    strict_page.get_by_role("button", name="Show map").click()
    strict_page.locator("#crew-map .stop-icon").first.wait_for()


def test_dispatch_screen_and_map(strict_page, live_db):
    some_work(live_db)
    field_sign_in(strict_page, "dispatcher", "dispatch")
    strict_page.get_by_role("heading", name="Dispatch", exact=True).wait_for()
    strict_page.locator("#dispatch-map path.work-order").first.wait_for()
    screenshot(strict_page, "csp-dispatch")
    assert violations(strict_page) == []


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 40)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
