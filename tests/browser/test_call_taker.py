"""A dispatcher takes a resident's call: finds the address, enters the report with the
caller's contact, and reads out the tracking number; or, when the caller means a report
already open nearby, adds the caller to it instead."""

import pytest
from sqlalchemy import select

from backend.models import Channel, Event, ReporterContact, ServiceRequest, Subscription
from backend.services import addresses
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.field_work import api, sign_in

pytestmark = pytest.mark.browser
ADDRESSES = [
    {"address": "200 N SPRING ST, 90012", "lat": "34.0537", "lon": "-118.2427"},
    {"address": "200 N MAIN ST, 90012", "lat": "34.0544", "lon": "-118.2421"},
    {"address": "16815 W VANOWEN ST, 91406", "lat": "34.19402846", "lon": "-118.4994716"},
]
CALLER = {"name": "Marisol Ortega", "phone": "+1 213 555 0142",
          "email": "marisol.o@example.org"}


@pytest.fixture
def city_addresses(live_db):
    live_db.rollback()
    addresses.import_addresses(live_db, ADDRESSES)
    live_db.commit()


def open_call_form(page):
    sign_in(page, "dispatcher", "dispatch")
    page.get_by_role("link", name="Take a call").click()
    page.get_by_role("heading", name="Take a call", level=1).wait_for()
    page.locator("#call-map .leaflet-marker-icon").wait_for()


def fill_caller(page, language="es"):
    page.get_by_label("Caller's name").fill(CALLER["name"])
    page.get_by_label("Caller's phone").fill(CALLER["phone"])
    page.get_by_label("Caller's email").fill(CALLER["email"])
    page.get_by_label("Caller's language").select_option(language)


def test_call_taker_finds_the_address_and_reads_out_the_tracking_number(page, live_db,
                                                                        city_addresses):
    open_call_form(page)
    address = page.get_by_role("combobox", name="Address")
    address.fill("200 n spr")
    page.get_by_role("option", name="200 N SPRING ST, 90012").wait_for()
    address.press("ArrowDown")
    assert page.get_by_role("option", name="200 N SPRING ST, 90012").get_attribute(
        "aria-selected") == "true"
    address.press("Enter")
    assert address.input_value() == "200 N SPRING ST, 90012"
    page.get_by_text("Pin at 34.05370, -118.24270").wait_for()
    page.get_by_label("Category").select_option("graffiti-removal")
    page.get_by_label("A wall").check()
    page.get_by_label("What the caller says").fill("Tags on the library wall, since Monday.")
    fill_caller(page)
    screenshot(page, "call-taker-form")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Send the report").click()
    number = page.locator("#tracking-number")
    number.wait_for()
    tracking = number.inner_text()
    readout = page.locator(".spelling").inner_text()
    first, second = tracking.split("-")
    assert readout.startswith("First four: ") and "Then a dash, and the last four: " in readout
    for group in (first, second):
        for character in group:
            assert (f"{character} as in " if character.isalpha()
                    else f"the number {character}") in readout
    screenshot(page, "call-taker-sent")
    assert serious_accessibility_violations(page) == []

    live_db.rollback()
    stored = live_db.scalar(select(ServiceRequest))
    assert stored.tracking == tracking and stored.channel == Channel.PHONE
    assert (stored.lat, stored.lon, stored.address) == (34.0537, -118.2427,
                                                        "200 N SPRING ST, 90012")
    assert stored.attributes == {"surface": "wall"}
    contact = live_db.get(ReporterContact, stored.id)
    assert (contact.name, contact.phone, contact.email, contact.language) == (
        CALLER["name"], CALLER["phone"], CALLER["email"], "es")
    created = live_db.scalar(select(Event).where(Event.request_id == stored.id,
                                                 Event.kind == "created"))
    assert created.actor.username == "dispatcher"

    # Back to an empty form for the next call.
    page.get_by_role("link", name="Take another call").click()
    page.get_by_role("combobox", name="Address").wait_for()
    assert page.get_by_role("combobox", name="Address").input_value() == ""


def test_caller_of_a_known_problem_is_added_to_the_open_report(page, live_db, live_server,
                                                              city_addresses):
    status, earlier = api(live_server, "POST", "/api/v1/requests", {
        "service_code": "graffiti-removal", "lat": 34.0538, "lon": -118.2428,
        "attributes": {"surface": "wall"}, "description": "Graffiti on the library wall."})
    assert status == 201, earlier
    open_call_form(page)
    box = page.locator("#call-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    address = page.get_by_role("combobox", name="Address")
    page.wait_for_function(
        "document.querySelector('[role=combobox]').value === '200 N SPRING ST, 90012'")
    page.get_by_label("Category").select_option("graffiti-removal")
    card = page.locator(f"#call-duplicates li[data-tracking='{earlier['tracking']}']")
    card.wait_for()
    assert "Graffiti on the library wall." in card.inner_text()
    page.get_by_role("heading", name="Is it one of these?").wait_for()
    fill_caller(page)
    screenshot(page, "call-taker-duplicates")
    assert serious_accessibility_violations(page) == []

    card.get_by_role("button", name="Add the caller as a follower").click()
    page.get_by_text("The caller now follows this report").wait_for()
    assert page.locator("#tracking-number").inner_text() == earlier["tracking"]
    live_db.rollback()
    assert live_db.scalar(select(ServiceRequest.supporters)) == 1
    assert [r.tracking for r in live_db.scalars(select(ServiceRequest))] == [
        earlier["tracking"]]
    follower = live_db.scalar(select(Subscription))
    assert (follower.address, follower.language) == (CALLER["email"], "es")
    assert address.count() == 0  # the form made way for the number to read out


def test_call_form_in_spanish_says_what_is_missing(page):
    open_call_form(page)
    page.locator("#language").select_option("es")
    page.get_by_role("heading", name="Atender una llamada", level=1).wait_for()
    page.get_by_role("button", name="Enviar el reporte").click()
    summary = page.get_by_role("alert")
    summary.get_by_text("Revise 2 dato(s) marcados abajo.").wait_for()
    page.get_by_text("Indique dónde está: elija una dirección").wait_for()
    page.get_by_label("Correo electrónico de quien llama").fill("no es un correo")
    screenshot(page, "call-taker-es")
    assert serious_accessibility_violations(page) == []
