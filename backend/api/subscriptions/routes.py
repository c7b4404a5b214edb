"""Public, no sign-in: follow a request by email or push, confirm, unsubscribe, and the
"was it fixed?" link. The links in messages are opened in a browser, so those answer with a
small HTML page when the client asks for HTML, and with JSON otherwise.
"""

from flask import Response, current_app, request
from flask.views import MethodView
from markupsafe import escape

from backend.api.blueprint import Blueprint
from backend.api.subscriptions.schemas import (
    ReopenOfferSchema,
    ReopenSchema,
    SubscribeSchema,
    SubscriptionSchema,
    UnsubscribedSchema,
    VapidKeySchema,
)
from backend.db import session
from backend.errors import DomainError, NotFound
from backend.models import ServiceRequest
from backend.notify.push import public_key_of
from backend.services import reports, subscriptions

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1",
                description="Following a report by email or push; leaving with one click.")

PAGE_TEXT = {
    "en": {"confirmed": "You will receive updates about report {tracking}.",
           "unsubscribe_ask": "Stop the messages about report {tracking}?",
           "unsubscribe_button": "Stop messages",
           "unsubscribed": "You will receive no more messages about report {tracking}.",
           "reopen_ask": "Is the problem of report {tracking} still there?",
           "reopen_button": "It is not fixed: reopen the report",
           "reopened": "Report {tracking} is back in the queue. Thank you for telling us.",
           "not_resolved": "Report {tracking} is no longer waiting for confirmation of a fix.",
           "reopen_window_closed": "The time to reopen report {tracking} has passed; please "
                                   "report the problem again.",
           "error": "This link is not valid."},
    "es": {"confirmed": "Recibirá avisos sobre el reporte {tracking}.",
           "unsubscribe_ask": "¿Dejar de recibir mensajes sobre el reporte {tracking}?",
           "unsubscribe_button": "Dejar de recibir mensajes",
           "unsubscribed": "No recibirá más mensajes sobre el reporte {tracking}.",
           "reopen_ask": "¿Sigue el problema del reporte {tracking}?",
           "reopen_button": "No está arreglado: reabrir el reporte",
           "reopened": "El reporte {tracking} volvió a la cola. Gracias por avisarnos.",
           "not_resolved": "El reporte {tracking} ya no espera confirmación del arreglo.",
           "reopen_window_closed": "Ya pasó el plazo para reabrir el reporte {tracking}; "
                                   "repórtelo de nuevo.",
           "error": "Este enlace no es válido."},
}


@blp.route("/requests/<tracking>/subscriptions")
class Subscriptions(MethodView):
    @blp.arguments(SubscribeSchema)
    @blp.response(201, SubscriptionSchema)
    @blp.alt_response(200, schema=SubscriptionSchema, description="Already subscribed.")
    def post(self, fields, tracking):
        """Follow a report: email (a confirmation message is sent first) or Web Push."""
        db = session()
        found = reports.get_by_tracking_number(db, tracking)
        if fields["channel"] == "email":
            subscription, created = subscriptions.subscribe_email(
                db, found, fields["address"], fields["language"])
        else:
            subscription, created = subscriptions.subscribe_push(
                db, found, fields["subscription"], fields["language"],
                allow_http=current_app.config["PUSH_ALLOW_HTTP"])
        answer = {"tracking": _tracking_of(db, subscription), "channel":
                  subscription.channel.value, "language": subscription.language,
                  "confirmed": subscription.confirmed}
        if fields["channel"] == "push":
            answer["unsubscribe_token"] = subscription.token  # the browser owns it
        return answer, 201 if created else 200


@blp.route("/subscriptions/confirm/<token>")
class Confirm(MethodView):
    @blp.response(200, SubscriptionSchema)
    def get(self, token):
        """The link in the confirmation message."""
        db = session()
        try:
            subscription = subscriptions.confirm(db, token)
        except DomainError as e:
            return _page_or_raise(e)
        answer = {"tracking": _tracking_of(db, subscription),
                  "channel": subscription.channel.value, "language": subscription.language,
                  "confirmed": True}
        if _wants_html():
            return _page("confirmed", answer["tracking"], subscription.language)
        return answer


@blp.route("/subscriptions/unsubscribe/<token>")
class Unsubscribe(MethodView):
    accepts_form = True  # mail providers POST "List-Unsubscribe=One-Click" (RFC 8058)

    @blp.response(200, UnsubscribedSchema)
    def get(self, token):
        """What the unsubscribe link would stop (a page with a button, for browsers)."""
        db = session()
        try:
            subscription = subscriptions.by_token(db, token)
        except DomainError as e:
            return _page_or_raise(e)
        tracking = _tracking_of(db, subscription)
        if _wants_html():
            return _page("unsubscribe_ask", tracking, subscription.language,
                         button="unsubscribe_button")
        return {"tracking": tracking, "unsubscribed": False}

    @blp.response(200, UnsubscribedSchema)
    def post(self, token):
        """Stop the messages: one click, no sign-in."""
        db = session()
        try:
            subscription = subscriptions.by_token(db, token)
            language = subscription.language
            found = subscriptions.unsubscribe(db, token)
        except DomainError as e:
            return _page_or_raise(e)
        if _wants_html():
            return _page("unsubscribed", found.tracking, language)
        return {"tracking": found.tracking, "unsubscribed": True}


@blp.route("/push/vapid-public-key")
class VapidPublicKey(MethodView):
    @blp.response(200, VapidKeySchema)
    def get(self):
        """The key the PWA passes to PushManager.subscribe (applicationServerKey)."""
        config = current_app.config
        key = config["VAPID_PUBLIC_KEY"] or (
            public_key_of(config["VAPID_PRIVATE_KEY"]) if config["VAPID_PRIVATE_KEY"] else "")
        if not key:
            raise NotFound("push_not_configured", "This server does not send push messages.")
        return {"public_key": key}


@blp.route("/reopen/<token>")
class Reopen(MethodView):
    @blp.response(200, ReopenOfferSchema)
    def get(self, token):
        """May this "was it fixed?" link still reopen its report?"""
        try:
            offer = subscriptions.reopen_offer(session(), token, **_reopen_settings())
        except DomainError as e:
            return _page_or_raise(e)
        if _wants_html():
            if offer.allowed:
                return _page("reopen_ask", offer.request.tracking, _language(),
                             button="reopen_button")
            return _page(offer.reason, offer.request.tracking, _language())
        return offer

    @blp.arguments(ReopenSchema)
    @blp.response(200, ReopenOfferSchema)
    def post(self, fields, token):
        """It is not fixed: the report goes back to the queue (refused after the window)."""
        try:
            found = subscriptions.reopen(session(), token, note=fields["note"],
                                         **_reopen_settings())
        except DomainError as e:
            return _page_or_raise(e)
        if _wants_html():
            return _page("reopened", found.tracking, _language())
        return subscriptions.ReopenOffer(found, False, "reopened", None)


def _reopen_settings() -> dict:
    config = current_app.config
    return {"secret": config["SECRET_KEY"], "window_days": config["REOPEN_WINDOW_DAYS"]}


def _tracking_of(db, subscription) -> str:
    return db.get(ServiceRequest, subscription.request_id).tracking


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _language() -> str:
    return request.accept_languages.best_match(["en", "es"]) or "en"


def _page_or_raise(error: DomainError):
    if not _wants_html():
        raise error
    tracking = error.details.get("tracking", "")
    text = PAGE_TEXT[_language()]
    message = text[error.code].format(tracking=tracking) if error.code in text \
        else text["error"]
    return _html(message, status=error.status)


def _page(key: str, tracking: str, language: str, *, button: str | None = None) -> Response:
    text = PAGE_TEXT.get(language, PAGE_TEXT["en"])
    form = ""
    if button:
        # No named fields: the POST has an empty body, which every API route accepts.
        form = (f'<form method="post"><button type="submit">{escape(text[button])}</button>'
                "</form>")
    return _html(text[key].format(tracking=tracking), form=form, language=language)


def _html(message: str, *, form: str = "", language: str = "en", status: int = 200) -> Response:
    city = escape(current_app.config["CITY_NAME"])
    body = (f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{city}</title></head><body><main><h1>{city}</h1>"
            f"<p>{escape(message)}</p>{form}</main></body></html>")
    return Response(body, status=status, mimetype="text/html")
