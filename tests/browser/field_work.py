"""Field work for the crew and dispatch browser tests: requests with work orders placed at
known distances, and the live server's API called as its staff would call it."""

import json
import math
import urllib.error
import urllib.request

from sqlalchemy import select

from backend.models import Crew, Service, ServiceRequest, Status, WorkOrder
from backend.services import work_orders
from backend.services.tracking import unused_tracking_numbers
from tests.browser.conftest import CITY_HALL

PASSWORDS = {"dispatcher": "frontdoor-dispatch", "crew": "frontdoor-crew",
             "crew2": "frontdoor-crew"}
METRES_PER_DEGREE = 111_195.0


def offset(metres_north: float, metres_east: float, origin=CITY_HALL) -> tuple[float, float]:
    """(lon, lat) that far from the origin (close enough at city scale)."""
    lat = origin["latitude"] + metres_north / METRES_PER_DEGREE
    lon = origin["longitude"] + metres_east / (
        METRES_PER_DEGREE * math.cos(math.radians(origin["latitude"])))
    return lon, lat


def make_work(db, *, at: tuple[float, float], crew: str | None = "Sanitation North",
              service: str = "bulky-items", description: str = "") -> WorkOrder:
    """A new request at ``at`` (lon, lat) with one work order, committed."""
    db.rollback()  # end any read snapshot: SQLite cannot turn a stale reader into a writer
    found = db.scalar(select(Service).where(Service.code == service))
    request = ServiceRequest(tracking=unused_tracking_numbers(db, 1)[0], service=found,
                             lon=at[0], lat=at[1], status=Status.SUBMITTED,
                             priority=found.default_priority, attributes={},
                             description=description, address=description)
    db.add(request)
    db.flush()
    named = db.scalar(select(Crew).where(Crew.name == crew)) if crew else None
    work_order = work_orders.create_work_order(db, request, crew=named)
    db.commit()
    return work_order


def current(db, work_order_id: int) -> WorkOrder:
    db.rollback()  # a fresh snapshot: see what the app committed since
    return db.get(WorkOrder, work_order_id, populate_existing=True)


def api(base_url: str, method: str, path: str, body=None, token: str | None = None,
        headers: dict | None = None):
    """(status, JSON body) of one call to the live server."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method, headers={
        "Accept": "application/json", **({"Content-Type": "application/json"} if data else {}),
        **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def token_of(base_url: str, username: str) -> str:
    status, answer = api(base_url, "POST", "/api/v1/auth/login",
                         {"username": username, "password": PASSWORDS[username]})
    assert status == 201, answer
    return answer["token"]


def sign_in(page, username: str, next_screen: str) -> None:
    page.goto(f"/#/signin/{next_screen}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()


def open_dispatch(page, zoom: int = 16) -> None:
    """The dispatch screen drawn at city hall at that zoom, after signing in."""
    sign_in(page, "dispatcher", "dispatch")
    heading = page.get_by_role("heading", name="Dispatch", exact=True)
    heading.wait_for()
    first_screen = heading.element_handle()
    page.goto(f"/#/dispatch/{CITY_HALL['latitude']}/{CITY_HALL['longitude']}/{zoom}")
    # The router draws the screen afresh for the new place: until the first one is gone,
    # its lists (filled for the default place) would answer the test's questions.
    first_screen.wait_for_element_state("hidden")
