"""The wording of messages: defaults in both languages, the sandbox, and the scheduled date."""

from datetime import UTC, datetime

import pytest

from backend.errors import InvalidInput
from backend.models import Event
from backend.notify import outbox, templates
from backend.notify.links import read_reopen_token, reopen_token
from tests.notify.conftest import bulk_requests, notifications


def test_every_kind_has_both_languages_and_renders():
    for kind in templates.KINDS:
        for language in templates.LANGUAGES:
            wording = templates.default_wording(kind, language)
            rendered = templates.render(wording, templates.VARIABLES, language=language)
            assert "ABC-1234" in rendered.subject + rendered.body, (kind, language)
            assert "\n" not in rendered.subject


def test_unknown_language_falls_back_to_english():
    assert templates.default_wording("closed", "fr") == templates.default_wording("closed", "en")


@pytest.mark.parametrize("body", ["{{ request.contact.email }}", "{{ ''.__class__ }}",
                                  "{{ tracking.__class__.__mro__[1].__subclasses__() }}",
                                  "{% for x in %}", "{{ cycler.__init__.__globals__ }}"])
def test_edited_wording_cannot_reach_outside_its_variables(body):
    with pytest.raises(InvalidInput) as refused:
        templates.check("resolved", "en", "Fixed", body)
    assert refused.value.code == "invalid_template"


def test_dates_are_written_in_the_language_and_time_zone():
    moment = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    assert templates.format_date(moment, "en") == "2 January 2026"
    assert templates.format_date(moment, "es", "America/Los_Angeles") == "1 de enero de 2026"


def test_reopen_tokens_are_signed():
    token = reopen_token("secret", 7, 42)
    assert read_reopen_token("secret", token) == (7, 42)
    assert read_reopen_token("other secret", token) is None
    assert read_reopen_token("secret", token[:-2] + "xx") is None


def test_a_new_expected_date_tells_followers(client, db_session, worker_session, senders,
                                             mailbox):
    [request] = bulk_requests(db_session, 1)
    request.expected_at = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    event = Event(request=request, kind="priority", public=False,
                  data={"expected_to": request.expected_at.isoformat()})
    db_session.add(event)
    assert len(outbox.queue_scheduled(db_session, request, event)) == 1
    db_session.commit()
    assert [n.template for n in notifications(db_session)] == ["scheduled"]
    outbox.send_pending(worker_session, senders)
    [message] = mailbox.messages
    assert message["Subject"] == f"Report {request.tracking}: expected by 24 December 2026"
