"""Browser tests: the real app served on localhost, driven in Debian's headless Chromium.

They run on SQLite only: the browser exercises the PWA, and every API call it makes is already
covered on both databases by tests/api; running them twice would double the slowest tests
for nothing.
"""

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from backend import create_app, db, demo, schema
from backend.config import Config
from backend.db import Base
from tests.conftest import SESSION_TABLES

PHONE = {"width": 390, "height": 844}
CITY_HALL = {"latitude": 34.0537, "longitude": -118.2427}
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app on its own SQLite database with the demo catalog, zones and staff."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder}/browser.db"
    schema.upgrade(url)
    # No outside network: the map works without tiles. No rate limits: one address, many tests.
    app = create_app(Config(DATABASE_URL=url, TESTING=True, PHOTO_DIR=str(folder / "photos"),
                            MAP_TILE_URL="", RATELIMIT_ENABLED=False))
    with app.app_context():
        session = db.session()
        demo.load_catalog(session, say=lambda _: None)
        demo.load_zones(session, say=lambda _: None)
        session.commit()
        db.close_session()
    yield app
    app.extensions["frontdoor.db"]["engine"].dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """http://127.0.0.1:<free port>, served by werkzeug in a thread for the whole session."""
    server = make_server("127.0.0.1", 0, _closing_first(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _closing_first(app):
    """Each response body read whole and closed before werkzeug sends it: werkzeug's server
    skips closing a body (a static file, say) when the browser hangs up while it drains the
    socket, and the open file then fails a later test as an unraisable warning."""
    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return serve


@pytest.fixture
def live_db(live_app):
    """A session for reading what the app wrote; every per-test table is emptied afterwards."""
    engine = live_app.extensions["frontdoor.db"]["engine"]
    with Session(engine, expire_on_commit=False) as session:
        yield session
    with Session(engine) as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in SESSION_TABLES:
                session.execute(delete(table))
        session.commit()


def _chromium_path() -> str:
    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("Debian's chromium is not installed: run `make services` "
                    "(apt-get install chromium)")
    return executable


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=_chromium_path(), headless=True,
                                                args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# Playwright's wait_for_function and axe's injected script run strings as code in the page,
# which the app's Content-Security-Policy rightly forbids: these tests lift it for the
# driver; test_csp.py drives the same screens with the policy enforced.
CONTEXT_OPTIONS = {"viewport": PHONE, "locale": "en-US", "geolocation": CITY_HALL,
                   "permissions": ["geolocation", "background-sync"], "device_scale_factor": 1,
                   "is_mobile": True, "has_touch": True, "bypass_csp": True}


@pytest.fixture
def context(chromium, live_server, live_db):
    """A fresh phone-sized browser profile: its own IndexedDB, caches and service worker."""
    context = chromium.new_context(base_url=live_server, **CONTEXT_OPTIONS)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A page of the app, ready (its screens drawn); JavaScript errors fail the test."""
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    page.wait_for_selector("html[data-ready='true']")
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def installed_profile(playwright_driver, live_server, live_db, tmp_path):
    """A browser with a profile on disk (not incognito), as a phone would install from."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=_chromium_path(), headless=True,
        args=CHROMIUM_ARGS, base_url=live_server, **CONTEXT_OPTIONS)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def wait_for_service_worker(page) -> None:
    """Until the service worker is active and controls the page (the shell is precached)."""
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)


def screenshot(page, name: str) -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the app's Content-Security-Policy rightly
        # refuses inline scripts, and the check must see the page as it is served.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations
            .filter((v) => ['serious', 'critical'].includes(v.impact))
            .map((v) => ({id: v.id, impact: v.impact,
                          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
    }""")
