"""The HTTP API: flask-smorest blueprints under /api/v1, documented at /api/docs."""

from flask import Flask, current_app, request

from backend.api import errors, input_guard
from backend.api.addresses.routes import blp as addresses_blp
from backend.api.apikeys.routes import blp as apikeys_blp
from backend.api.appconfig.routes import blp as appconfig_blp
from backend.api.auth.routes import blp as auth_blp
from backend.api.catalog.routes import blp as catalog_blp
from backend.api.crew.routes import blp as crew_blp
from backend.api.dispatch.routes import blp as dispatch_blp
from backend.api.docs import OnDemandDocsApi
from backend.api.duplicates.routes import blp as duplicates_blp
from backend.api.exports.routes import blp as exports_blp
from backend.api.health.routes import blp as health_blp
from backend.api.map.routes import blp as map_blp
from backend.api.metrics.routes import blp as metrics_blp
from backend.api.open311.routes import blp as open311_blp
from backend.api.outbox.routes import blp as outbox_blp
from backend.api.photos.routes import blp as photos_blp
from backend.api.requests.routes import blp as requests_blp
from backend.api.routing.routes import blp as routing_blp
from backend.api.service_levels.routes import blp as service_levels_blp
from backend.api.subscriptions.routes import blp as subscriptions_blp
from backend.api.sync.routes import blp as sync_blp
from backend.api.workorders.routes import blp as workorders_blp
from backend.api.zones.routes import blp as zones_blp
from backend.db import set_write_intent
from backend.errors import UnsupportedMediaType

BLUEPRINTS = [auth_blp, catalog_blp, requests_blp, appconfig_blp, apikeys_blp, health_blp,
              routing_blp, duplicates_blp, addresses_blp,
              workorders_blp, crew_blp, dispatch_blp, sync_blp, map_blp,
              metrics_blp, exports_blp, service_levels_blp,
              subscriptions_blp, outbox_blp, photos_blp, zones_blp]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def init_app(app: Flask) -> None:
    api = OnDemandDocsApi(app, spec_kwargs={"info": {"description": "Frontdoor: a 311 system."}})
    api.document_later(lambda: api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer"}))
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(open311_blp)  # its own XML/JSON formats, outside /api/v1
    errors.init_app(app)
    app.before_request(_prepare)
    input_guard.init_app(app)


def _prepare() -> None:
    writes = request.method in WRITES
    set_write_intent(writes)
    if writes and request.path.startswith("/api/") and request.content_length \
            and not request.is_json and not _takes_this_body():
        raise UnsupportedMediaType("unsupported_media_type",
                                   "Send the body as JSON (Content-Type: application/json).")


def _takes_this_body() -> bool:
    """Besides JSON, only views that say so take multipart files (accepts_files = True) or
    a plain form (accepts_form = True: mail providers' one-click unsubscribe, RFC 8058)."""
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if request.mimetype == "multipart/form-data":
        return getattr(view_class, "accepts_files", False)
    if request.mimetype == "application/x-www-form-urlencoded":
        return getattr(view_class, "accepts_form", False)
    return False
