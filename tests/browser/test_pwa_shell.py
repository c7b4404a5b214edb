"""The app shell: installable, accessible on every screen, and in Spanish everywhere."""

import json
from pathlib import Path

import pytest

from tests.browser.conftest import (
    screenshot,
    serious_accessibility_violations,
    wait_for_service_worker,
)

pytestmark = pytest.mark.browser

PWA = Path(__file__).resolve().parents[2] / "pwa"
ENGLISH = json.loads((PWA / "i18n" / "en.json").read_text(encoding="utf-8"))
SPANISH = json.loads((PWA / "i18n" / "es.json").read_text(encoding="utf-8"))
SCREENS = ["#/report", "#/mine", "#/track", "#/track/ZZZZ-ZZZZ"]


def test_installable_by_the_browsers_own_judgement(installed_profile):
    context = installed_profile
    page = context.pages[0] if context.pages else context.new_page()
    page.goto("/")
    page.wait_for_selector("html[data-ready='true']")
    wait_for_service_worker(page)
    manifest_href = page.get_attribute("link[rel=manifest]", "href")
    assert manifest_href == "/manifest.webmanifest"

    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    parsed = json.loads(manifest["data"])
    assert parsed["display"] == "standalone" and parsed["start_url"] == "/#/report"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in parsed["icons"]}
    assert any(icon.get("purpose") == "maskable" for icon in parsed["icons"])
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors
    cdp.detach()

    state = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return {active: registration.active.state, scope: registration.scope,
                controlled: navigator.serviceWorker.controller !== null,
                caches: await caches.keys()};
    }""")
    assert state["active"] == "activated" and state["controlled"]
    assert any(name.startswith("frontdoor-shell-") and "__" not in name
               for name in state["caches"])


def test_shell_opens_offline_from_the_precache(page, context):
    wait_for_service_worker(page)
    page.reload()  # a second visit: this time the worker sees (and keeps) the API's answers
    page.wait_for_selector("html[data-ready='true']")
    page.wait_for_load_state("networkidle")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    page.get_by_role("heading", name="Report a problem").wait_for()
    page.get_by_label("Category").locator("option[value='graffiti-removal']").wait_for(
        state="attached")  # the catalog comes from the last good answer the worker kept
    assert page.locator("#net").is_visible()


@pytest.mark.parametrize("screen", SCREENS)
def test_no_serious_accessibility_violation(page, screen):
    page.goto(f"/{screen}")
    page.wait_for_selector("main h1")
    page.wait_for_load_state("networkidle")
    assert serious_accessibility_violations(page) == []


def _visible_words(page) -> set[str]:
    """Every piece of text a person can see or hear on the page, one string per element."""
    return set(page.evaluate("""() => {
        const found = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode;
            const text = node.textContent.trim();
            if (text && node.parentElement.closest('[hidden], noscript, script') === null) {
                found.push(text);
            }
        }
        for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
            for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
                if (el.getAttribute(name)) found.push(el.getAttribute(name).trim());
            }
        }
        found.push(document.title);
        return found;
    }"""))


def _fills_template(text: str, english: str) -> bool:
    """True when text is an English template with its {placeholders} filled in."""
    prefix = english.split("{")[0]
    return "{" in english and bool(prefix.strip()) and text.startswith(prefix)


def test_language_switch_shows_spanish_everywhere_on_the_report_screen(page):
    english_only = {text for key, text in ENGLISH.items() if SPANISH[key] != text}
    page.get_by_role("button", name="Send report").click()  # show the checks' messages too
    page.get_by_text("Choose a category.").wait_for()
    page.get_by_label("Category").select_option("bulky-items")  # a question with a list
    assert _visible_words(page) & english_only  # the check below can see English

    page.get_by_label("Language").select_option("es")
    page.get_by_role("heading", name="Reportar un problema").wait_for()
    assert page.get_attribute("html", "lang") == "es"
    page.get_by_role("button", name="Enviar reporte").click()
    page.get_by_text("Responda esta pregunta.").wait_for()
    seen = _visible_words(page)
    left_in_english = {text for text in seen if any(
        text == english or _fills_template(text, english) for english in english_only)}
    assert left_in_english == set()
    assert {"Usar mi ubicación", "Sus datos de contacto (opcional)", "Elija una categoría…"} <= seen
    screenshot(page, "report-es")

    page.reload()  # the choice is remembered
    page.wait_for_selector("html[data-ready='true']")
    page.get_by_role("heading", name="Reportar un problema").wait_for()


def test_screenshots_of_every_screen_at_phone_size(page):
    for name, screen in [("report", "#/report"), ("mine-empty", "#/mine"),
                         ("track-lookup", "#/track"), ("track-unknown", "#/track/ZZZZ-ZZZZ")]:
        page.goto(f"/{screen}")
        page.wait_for_selector("main h1")
        page.wait_for_load_state("networkidle")
        path = screenshot(page, name)
        assert path.stat().st_size > 5_000
        assert page.viewport_size == {"width": 390, "height": 844}
