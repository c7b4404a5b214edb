"""A new release of the app shell: the installed app offers the update and takes it."""

import json
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import wait_for_service_worker

pytestmark = pytest.mark.browser

PWA = Path(__file__).resolve().parents[2] / "pwa"


@pytest.fixture
def release_folder(live_app, tmp_path):
    """The app served from a copy we can change, as a deployment would."""
    folder = tmp_path / "pwa"
    shutil.copytree(PWA, folder)
    live_app.config["PWA_DIR"] = str(folder)
    yield folder
    live_app.config.pop("PWA_DIR")


def test_new_release_is_offered_and_taken(release_folder, context):
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("html[data-ready='true']")
    wait_for_service_worker(page)
    assert page.locator("#update").is_hidden()

    dictionary = release_folder / "i18n" / "en.json"
    strings = json.loads(dictionary.read_text(encoding="utf-8"))
    strings["report.title"] = "Tell us about a problem"
    dictionary.write_text(json.dumps(strings), encoding="utf-8")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")

    page.get_by_text("A new version of the app is available.").wait_for()
    page.get_by_role("heading", name="Report a problem").wait_for()  # nothing changes unasked
    page.get_by_role("button", name="Update now").click()
    page.get_by_role("heading", name="Tell us about a problem").wait_for()
    assert page.locator("#update").is_hidden()
