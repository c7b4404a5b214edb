"""A crew member's day in the PWA: jobs near them in order, an hour's work offline, sent once
when the connection returns, and a job changed by dispatch meanwhile shown as a conflict."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from backend import create_app
from backend.config import Config
from backend.models import ClientAction, Event, Media, MediaKind, WorkStatus
from tests.browser.conftest import (
    screenshot,
    serious_accessibility_violations,
    wait_for_service_worker,
)
from tests.browser.field_work import api, current, make_work, offset, sign_in, token_of

pytestmark = pytest.mark.browser


def _photo_upload_endpoint_exists() -> bool:
    app = create_app(Config(DATABASE_URL="sqlite://", TESTING=True))
    try:
        spec = app.test_client().get("/api/openapi.json").json
        return "post" in spec["paths"].get("/api/v1/photos", {})
    finally:
        app.extensions["frontdoor.db"]["engine"].dispose()


@pytest.fixture
def day(live_db):
    """Three jobs of Sanitation North, two unassigned nearby, one of another crew."""
    mine = {metres: make_work(live_db, at=offset(*where), description=f"{metres} m job")
            for metres, where in {1200: (0, 1200), 300: (300, 0), 700: (-700, 0)}.items()}
    near = {metres: make_work(live_db, at=offset(*where), crew=None,
                              description=f"{metres} m unassigned")
            for metres, where in {900: (0, -900), 150: (-150, 0)}.items()}
    make_work(live_db, at=offset(50, 50), crew="Graffiti Busters", service="graffiti-removal")
    return mine, near


def cards(page, list_id):
    return page.locator(f"#{list_id} li[data-job-id]")


def job_ids(page, list_id) -> list[int]:
    return [int(i) for i in cards(page, list_id).evaluate_all(
        "items => items.map((li) => li.dataset.jobId)")]


def distances(page, list_id) -> list[float]:
    return cards(page, list_id).evaluate_all(
        "items => items.map((li) => Number(li.dataset.distance))")


def completions(db, work_order_id) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Event).where(
        Event.work_order_id == work_order_id, Event.kind == "work_order",
        Event.new_status == WorkStatus.COMPLETED.value))


def test_crew_sees_near_jobs_sorted_works_offline_and_completes_once(page, context, live_db,
                                                                      day):
    mine, near = day
    sign_in(page, "crew", "crew")
    page.get_by_role("heading", name="My jobs").wait_for()
    page.get_by_text("Up to date at").wait_for()

    page.get_by_label("Nearest first").check()
    assert job_ids(page, "my-jobs") == [mine[m].id for m in (300, 700, 1200)]
    measured = distances(page, "my-jobs")
    assert measured == sorted(measured)
    assert [round(d, -1) for d in measured] == [300, 700, 1200]
    assert "300 m" in cards(page, "my-jobs").first.inner_text()
    assert "1.2 km" in cards(page, "my-jobs").last.inner_text()
    assert job_ids(page, "near-jobs") == [near[150].id, near[900].id]
    assert "150 m" in cards(page, "near-jobs").first.inner_text()

    page.get_by_label("Suggested order for the day").check()
    stops = cards(page, "my-jobs").locator(".stop").all_inner_texts()
    assert stops == ["Stop 1", "Stop 2", "Stop 3"]
    assert sorted(job_ids(page, "my-jobs")) == sorted(w.id for w in mine.values())
    assert page.locator("#crew-route").inner_text().startswith("Suggested route: 3 stops")
    page.get_by_role("button", name="Show map").click()
    page.locator("#crew-map .stop-icon").nth(2).wait_for()
    screenshot(page, "crew-jobs")
    assert serious_accessibility_violations(page) == []

    # Offline, as in a dead zone: the app and the jobs come from the phone.
    wait_for_service_worker(page)
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    page.get_by_text("Offline: showing the jobs saved on this phone").wait_for()
    job = mine[300]
    page.locator(f"#my-jobs li[data-job-id='{job.id}'] h3 a").click()
    page.get_by_role("heading", level=1, name="Bulky Items").wait_for()
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Saved on this phone. It will be sent").wait_for()
    page.get_by_role("button", name="Complete", exact=True).click()
    page.get_by_label("Notes").fill("Sofa and two chairs collected.")
    page.get_by_role("button", name="Mark as completed").click()
    page.get_by_text("Waiting to send: 2").wait_for()
    assert page.locator(".badge.work-completed").is_visible()
    screenshot(page, "crew-job-waiting")
    assert serious_accessibility_violations(page) == []
    assert current(live_db, job.id).status == WorkStatus.ASSIGNED  # nothing sent yet

    context.set_offline(False)
    page.get_by_text("Waiting to send").wait_for(state="detached")
    done = current(live_db, job.id)
    assert done.status == WorkStatus.COMPLETED
    assert done.notes == "Sofa and two chairs collected."
    assert completions(live_db, job.id) == 1

    # Back on the list: the job has left it; asking again sends nothing twice.
    page.get_by_role("link", name="All my jobs").click()
    page.get_by_role("button", name="Update now").click()
    page.get_by_text("Up to date at").wait_for()
    assert job.id not in job_ids(page, "my-jobs")
    assert completions(live_db, job.id) == 1
    assert live_db.scalar(select(func.count()).select_from(ClientAction)) == 2
    assert page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('frontdoor');
        open.onsuccess = () => {
            const all = open.result.transaction('outbox').objectStore('outbox').getAll();
            all.onsuccess = () => resolve(all.result.length);
        };
    })""") == 0


def test_a_job_reassigned_meanwhile_is_a_conflict_shown_plainly(page, context, live_db,
                                                                 live_server):
    job = make_work(live_db, at=offset(200, 0), description="Corner of 1st and Main")
    sign_in(page, "crew", "crew")
    page.get_by_text("Up to date at").wait_for()
    page.locator(f"#my-jobs li[data-job-id='{job.id}'] h3 a").click()
    page.get_by_role("button", name="Start").wait_for()

    context.set_offline(True)
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Complete", exact=True).click()
    page.get_by_label("Notes").fill("Mattress removed.")
    page.get_by_role("button", name="Mark as completed").click()
    page.get_by_text("Waiting to send: 2").wait_for()

    # Meanwhile, the dispatcher gives the job to another crew.
    dispatcher = token_of(live_server, "dispatcher")
    _status, crews = api(live_server, "GET", "/api/v1/dispatch/crews", token=dispatcher)
    busters = next(c for c in crews if c["name"] == "Graffiti Busters")
    status, answer = api(live_server, "POST", "/api/v1/dispatch/assign",
                         {"work_orders": [job.id], "crew_id": busters["id"]}, dispatcher)
    assert status == 200 and answer["assigned"] == [job.id], answer

    context.set_offline(False)
    conflict = page.locator(".card.attention").first
    conflict.wait_for()
    page.get_by_text("This job was reassigned to Graffiti Busters at").wait_for()
    page.get_by_text("Your notes: Mattress removed.").wait_for()
    assert page.locator(".card.attention").count() == 2  # start, and complete based on it
    screenshot(page, "crew-conflict")
    assert serious_accessibility_violations(page) == []
    after = current(live_db, job.id)
    assert after.status == WorkStatus.ASSIGNED and after.crew.name == "Graffiti Busters"
    assert completions(live_db, job.id) == 0

    # Nothing is dropped until the crew member says so.
    page.get_by_role("link", name="All my jobs").click()
    page.get_by_role("heading", name="Needs your attention (2)").wait_for()
    assert job.id not in job_ids(page, "my-jobs")
    for _ in range(2):
        page.get_by_role("button", name="Discard my change").first.click()
    page.get_by_role("heading", name="Needs your attention").wait_for(state="detached")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 40)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.mark.skipif(not _photo_upload_endpoint_exists(),
                    reason="the server has no photo upload (POST /api/v1/photos) yet")
def test_job_completed_offline_with_a_proof_photo_resolves_the_request(page, context,
                                                                        live_db):
    job = make_work(live_db, at=offset(100, 100), crew="Graffiti Busters",
                    service="graffiti-removal", description="Tags on the bridge")
    tracking = job.request.tracking
    sign_in(page, "crew2", "crew")
    page.get_by_text("Up to date at").wait_for()
    wait_for_service_worker(page)
    page.locator(f"#my-jobs li[data-job-id='{job.id}'] h3 a").click()
    page.get_by_role("button", name="Start").wait_for()

    context.set_offline(True)
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Complete", exact=True).click()
    page.get_by_role("button", name="Mark as completed").click()
    page.get_by_text("This service needs a photo of the finished work.").wait_for()
    page.locator("form input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.get_by_role("img", name="Photo of the finished work, to be sent").wait_for()
    page.get_by_role("button", name="Mark as completed").click()
    page.get_by_text("Waiting to send: 2").wait_for()

    context.set_offline(False)
    page.get_by_text("Waiting to send").wait_for(state="detached")
    assert current(live_db, job.id).status == WorkStatus.COMPLETED
    proofs = live_db.scalars(select(Media).where(Media.kind == MediaKind.PROOF)).all()
    assert len(proofs) == 1 and proofs[0].request_id == job.request_id

    page.goto(f"/#/track/{tracking}")
    page.get_by_text("Proof of the fix").wait_for()
    assert page.locator("#track-status").inner_text() == "Resolved"


def test_crew_screens_speak_spanish(page, live_db):
    job = make_work(live_db, at=offset(400, 0), description="Esquina de 1st y Main")
    sign_in(page, "crew", "crew")
    page.get_by_text("Up to date at").wait_for()
    page.get_by_label("Language").select_option("es")
    page.get_by_role("heading", name="Mis trabajos").wait_for()
    page.get_by_role("button", name="Actualizar ahora").click()
    page.get_by_text("Actualizado a las").wait_for()
    page.get_by_label("Más cercanos primero").check()
    card = page.locator(f"#my-jobs li[data-job-id='{job.id}']")
    assert "Asignado" in card.inner_text() and "400 m" in card.inner_text()
    card.locator("h3 a").click()
    page.get_by_role("button", name="Empezar").wait_for()
    page.get_by_role("button", name="No se pudo terminar").click()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Diga por qué no se pudo terminar el trabajo.").wait_for()
    assert serious_accessibility_violations(page) == []
