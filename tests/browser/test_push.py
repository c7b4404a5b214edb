"""Web Push in the real service worker: a message as backend/notify/push.py sends it is shown
as a notification that leads to the report's tracking page in this app.

The message is handed to the worker by Chromium itself (DevTools' ServiceWorker
.deliverPushMessage, the path a push service's message takes once it reaches the browser), so
the worker's real `push` handler runs; nothing here needs a push service on the internet."""

import json

import pytest

from tests.browser.conftest import wait_for_service_worker

pytestmark = pytest.mark.browser


def registration_id(context, page) -> str:
    session = context.new_cdp_session(page)
    found = []
    session.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: found.extend(r["registrationId"] for r in event["registrations"]
                                          if not r["isDeleted"]))
    session.send("ServiceWorker.enable")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(50):
        if found:
            return session, found[-1]
        page.wait_for_timeout(100)
    raise AssertionError("no service worker registration reported")


def shown_when(page, condition: str) -> list[dict]:
    """The worker's notifications `n`, read in the same step that finds `condition` true of
    them. (Playwright's wait_for_function does not await a promise, and notifications can
    only be read through one, so the page polls for itself.)"""
    found = page.evaluate(f"""async () => {{
        const registration = await navigator.serviceWorker.ready;
        for (const deadline = Date.now() + 10000; Date.now() < deadline;) {{
            const n = await registration.getNotifications();
            if ({condition}) {{
                return n.map((each) => ({{title: each.title, body: each.body, tag: each.tag,
                                          data: each.data, lang: each.lang}}));
            }}
            await new Promise((resolve) => setTimeout(resolve, 50));
        }}
        return null;
    }}""")
    assert found is not None, f"no notifications where {condition} within 10 s"
    return found


def push(session, origin, rid, payload):
    session.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": rid, "data": json.dumps(payload)})


def test_push_message_shows_a_notification_for_the_tracking_page(page, context, live_server):
    context.grant_permissions(["notifications"], origin=live_server)
    wait_for_service_worker(page)
    session, rid = registration_id(context, page)

    push(session, live_server, rid, {
        "title": "Your report K7M4-Q2XP was fixed", "body": "The crew finished the work.",
        "url": f"{live_server}/#/track/K7M4-Q2XP", "tracking": "K7M4-Q2XP",
        "kind": "resolved", "lang": "en"})
    [note] = shown_when(page, "n.length === 1")
    assert note["title"] == "Your report K7M4-Q2XP was fixed"
    assert note["body"] == "The crew finished the work."
    assert note["tag"] == "report-K7M4-Q2XP"
    assert note["data"] == {"url": f"{live_server}/#/track/K7M4-Q2XP", "tracking": "K7M4-Q2XP"}

    # A later message about the same report replaces the first; a link made for another
    # address (a misconfigured PUBLIC_BASE_URL) still opens the report in this app.
    push(session, live_server, rid, {
        "title": "Actualización de K7M4-Q2XP", "body": "En curso.",
        "url": "https://elsewhere.example/#/track/K7M4-Q2XP", "tracking": "K7M4-Q2XP",
        "kind": "status", "lang": "es"})
    [note] = shown_when(page, "n.length === 1 && n[0].body === 'En curso.'")
    assert note["data"]["url"] == f"{live_server}/#/track/K7M4-Q2XP"
    assert note["lang"] == "es"
