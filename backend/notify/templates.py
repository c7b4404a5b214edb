"""The words of every message: built-in defaults per kind and language, and rendering.

Templates are Jinja2 run in a sandbox with strict undefined variables, over a context of
plain strings holding only public facts about a request (tracking number, service, status,
location text, dates, public links). No model object is ever handed to a template, so a
staff-edited template cannot reach a reporter's contact, a crew or an internal note.

Every resident message ends with a fixed footer (tracking link and unsubscribe link) that
templates cannot remove.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from backend.errors import InvalidInput

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
RESIDENT_KINDS = ("confirm", "acknowledged", "scheduled", "resolved", "closed")
STAFF_KINDS = ("escalated",)
KINDS = RESIDENT_KINDS + STAFF_KINDS
MAX_SUBJECT = 300
MAX_BODY = 10_000

# What a template may use, with an example (also used to check an edited template).
VARIABLES: dict[str, str] = {
    "city": "Frontdoor City",
    "tracking": "ABC-1234",
    "service": "Graffiti removal",
    "address": "200 N Spring St",
    "expected_date": "24 November 2026",
    "track_url": "https://311.example.org/#/track/ABC-1234",
    "photo_url": "https://311.example.org/api/v1/photos/p1/display",
    "reopen_url": "https://311.example.org/api/v1/reopen/token",
    "reopen_days": "14",
    "confirm_url": "https://311.example.org/api/v1/subscriptions/confirm/token",
}


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


DEFAULTS: dict[tuple[str, str], Wording] = {
    ("confirm", "en"): Wording(
        "Confirm updates about report {{ tracking }}",
        "Hello,\n\nUpdates about report {{ tracking }} ({{ service }}) were requested for "
        "this address.\n\nTo receive them, confirm here:\n{{ confirm_url }}\n\n"
        "If you did not ask for this, ignore this message: nothing more will be sent."),
    ("confirm", "es"): Wording(
        "Confirme los avisos sobre el reporte {{ tracking }}",
        "Hola:\n\nSe pidieron avisos sobre el reporte {{ tracking }} ({{ service }}) para "
        "esta dirección.\n\nPara recibirlos, confirme aquí:\n{{ confirm_url }}\n\n"
        "Si usted no lo pidió, ignore este mensaje: no se enviará nada más."),
    ("acknowledged", "en"): Wording(
        "Report {{ tracking }} has been reviewed",
        "Your report {{ tracking }} ({{ service }}{% if address %}, {{ address }}{% endif %}) "
        "has been reviewed and is queued for the team that handles it."),
    ("acknowledged", "es"): Wording(
        "El reporte {{ tracking }} fue revisado",
        "Su reporte {{ tracking }} ({{ service }}{% if address %}, {{ address }}{% endif %}) "
        "fue revisado y está en la cola del equipo responsable."),
    ("scheduled", "en"): Wording(
        "Report {{ tracking }}: expected by {{ expected_date }}",
        "The work on report {{ tracking }} ({{ service }}) is expected to be done by "
        "{{ expected_date }}."),
    ("scheduled", "es"): Wording(
        "Reporte {{ tracking }}: previsto para el {{ expected_date }}",
        "Se prevé terminar el trabajo del reporte {{ tracking }} ({{ service }}) a más tardar "
        "el {{ expected_date }}."),
    ("resolved", "en"): Wording(
        "Fixed: report {{ tracking }}",
        "The problem you reported ({{ tracking }}, {{ service }}) has been fixed."
        "{% if photo_url %}\n\nPhoto of the finished work:\n{{ photo_url }}{% endif %}"
        "{% if reopen_url %}\n\nWas it fixed? If not, tell us within {{ reopen_days }} days "
        "and the report goes back to the queue:\n{{ reopen_url }}{% endif %}"),
    ("resolved", "es"): Wording(
        "Resuelto: reporte {{ tracking }}",
        "El problema que reportó ({{ tracking }}, {{ service }}) fue resuelto."
        "{% if photo_url %}\n\nFoto del trabajo terminado:\n{{ photo_url }}{% endif %}"
        "{% if reopen_url %}\n\n¿Quedó arreglado? Si no, avísenos en un plazo de "
        "{{ reopen_days }} días y el reporte vuelve a la cola:\n{{ reopen_url }}{% endif %}"),
    ("closed", "en"): Wording(
        "Report {{ tracking }} is closed",
        "Report {{ tracking }} ({{ service }}) is now closed. Thank you for reporting it."),
    ("closed", "es"): Wording(
        "El reporte {{ tracking }} está cerrado",
        "El reporte {{ tracking }} ({{ service }}) quedó cerrado. Gracias por reportarlo."),
    ("escalated", "en"): Wording(
        "Overdue: report {{ tracking }} ({{ service }})",
        "Report {{ tracking }} ({{ service }}{% if address %}, {{ address }}{% endif %}) was "
        "expected by {{ expected_date }} and is still open.\n\n{{ track_url }}"),
    ("escalated", "es"): Wording(
        "Atrasado: reporte {{ tracking }} ({{ service }})",
        "El reporte {{ tracking }} ({{ service }}{% if address %}, {{ address }}{% endif %}) "
        "estaba previsto para el {{ expected_date }} y sigue abierto.\n\n{{ track_url }}"),
}

FOOTER = {
    "en": "\n\n--\n{{ city }}\nFollow the report: {{ track_url }}\n"
          "Stop these messages: {{ unsubscribe_url }}\n",
    "es": "\n\n--\n{{ city }}\nSiga el reporte: {{ track_url }}\n"
          "Dejar de recibir estos mensajes: {{ unsubscribe_url }}\n",
}

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}
DATE_FORMAT = {"en": "{day} {month} {year}", "es": "{day} de {month} de {year}"}

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                            keep_trailing_newline=False)


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def default_wording(kind: str, language: str) -> Wording:
    return DEFAULTS[(kind, language_of(language))]


def format_date(moment: datetime | None, language: str, timezone: str = "UTC") -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(timezone))
    language = language_of(language)
    return DATE_FORMAT[language].format(day=local.day, month=MONTHS[language][local.month - 1],
                                        year=local.year)


def render(wording: Wording, context: Mapping[str, str], *, language: str,
           footer: bool = True) -> Rendered:
    """Fill a wording in; the subject is one line, the body gets the fixed footer."""
    values = {name: str(context.get(name, "")) for name in (*VARIABLES, "unsubscribe_url")}
    subject = " ".join(_ENV.from_string(wording.subject).render(values).split())
    body = _ENV.from_string(wording.body).render(values).strip()
    if footer:
        body += _ENV.from_string(FOOTER[language_of(language)]).render(values)
    return Rendered(subject[:MAX_SUBJECT], body)


def check(kind: str, language: str, subject: str, body: str) -> Wording:
    """An edited wording, refused (422) unless it renders with only the known variables."""
    if kind not in KINDS:
        raise InvalidInput("unknown_message_kind", f"Message kinds are {', '.join(KINDS)}.")
    if language not in LANGUAGES:
        raise InvalidInput("invalid_language", f"Languages are {', '.join(LANGUAGES)}.")
    if not subject.strip() or not body.strip():
        raise InvalidInput("empty_template", "Give both a subject and a body.")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise InvalidInput("template_too_long", f"At most {MAX_SUBJECT} characters of subject "
                                                f"and {MAX_BODY} of body.")
    wording = Wording(subject, body)
    try:
        render(wording, VARIABLES, language=language)
    except TemplateError as e:  # syntax, unknown variable, or a sandbox refusal
        raise InvalidInput("invalid_template", f"The template cannot be used: {e.message}",
                           variables=sorted(VARIABLES)) from None
    return wording
