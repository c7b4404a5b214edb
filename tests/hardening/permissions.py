"""Who may do what: every endpoint × every role → the status it answers, as data.

Roles:
- anonymous: no credentials at all.
- resident: no sign-in either, but holds the links from their own messages (confirm,
  unsubscribe, "was it fixed?"); everyone else tries those paths with links they made up.
- crew_own / crew_other: a crew member of the crew that owns the work order in question,
  and of another crew.
- dispatcher, admin: staff.
- api_client: an Open311 client; it sends its api_key (as the standard says: a form field
  on POST, a query parameter otherwise) everywhere, which must grant nothing beyond Open311.

Each row names one (endpoint, method) of the app's url_map, builds the request for a role
(``call(world, role)``, making fresh records where the call changes them) and expects one
status per role. ``test_permissions`` walks the whole table and fails for any route the
table does not list, so a new endpoint cannot ship without its row.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.models import Crew, Notification, Service, ServiceRequest, Status, Zone
from backend.models.notify import DeliveryStatus
from backend.notify.links import reopen_token
from backend.services import (
    lifecycle,
    notifications,
    open311,
    reports,
    routing,
    subscriptions,
    work_orders,
)
from tests.hardening.conftest import OTHER_CREW, OWN_CREW, engine_of

ROLES = ("anonymous", "resident", "crew_own", "crew_other", "dispatcher", "admin",
         "api_client")
STAFF = ("crew_own", "crew_other", "dispatcher", "admin")
NOT_SIGNED_IN = ("anonymous", "resident", "api_client")
CITY_HALL = {"lat": 34.0537, "lon": -118.2427}
BBOX = "-118.30,34.00,-118.20,34.10"
CONTACT = {"name": "Permission Matrix", "email": "matrix@example.org", "phone": "+1 213 555 0100"}
PRIVATE_SERVICE = "matrix-private-inspection"


@dataclass(frozen=True)
class Call:
    path: str
    json: object = None
    query: dict = field(default_factory=dict)
    form: dict | None = None  # multipart when it holds a file
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    call: Callable[[World, str], Call]
    expect: dict[str, int]
    case: str = ""  # tells two rows of one endpoint apart
    signs_out: bool = False  # revokes the caller's tokens: sign in again afterwards

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}" + (f" ({self.case})" if self.case else "")


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def only(ok: int, *allowed: str) -> dict[str, int]:
    """Signed-in roles in ``allowed`` get ``ok``; other staff 403; everyone else 401."""
    return {role: ok if role in allowed else 403 if role in STAFF else 401 for role in ROLES}


def holder_only(ok: int) -> dict[str, int]:
    """Only the resident holds the link; anyone else's guess is not found."""
    return {role: ok if role == "resident" else 404 for role in ROLES}


DISPATCH = ("dispatcher", "admin")
CREWS = ("crew_own", "crew_other")


class World:
    """The records a row's call needs, made on first use through the services."""

    def __init__(self, app, staff):
        self.app, self.staff = app, staff

    def session(self) -> Session:
        return Session(engine_of(self.app), expire_on_commit=False)

    # -- credentials ---------------------------------------------------------------------

    def headers(self, role: str) -> dict:
        return self.staff.headers(role) if role in STAFF else {}

    def with_key(self, role: str, values: dict | None = None) -> dict:
        """The api_client adds its key to a query or form; others send it as it is."""
        values = dict(values or {})
        if role == "api_client":
            values["api_key"] = self.api_key
        return values

    @cached_property
    def api_key(self) -> str:
        with self.session() as db:
            key, _ = open311.create_api_key(db, f"matrix-{uuid.uuid4().hex[:8]}")
            db.commit()
        return key

    # -- records -------------------------------------------------------------------------

    def new_request(self, service_code: str = "graffiti-removal") -> str:
        with self.session() as db:
            answers = {"surface": "wall"} if service_code == "graffiti-removal" else {}
            made, _ = reports.submit_report(db, reports.Report(
                service_code=service_code, attributes=answers, contact=CONTACT,
                description="Paint on the wall.", **CITY_HALL))
            db.commit()
            return made.tracking

    @cached_property
    def tracking(self) -> str:
        return self.new_request()

    @cached_property
    def zone_id(self) -> int:
        with self.session() as db:
            return db.scalar(select(Zone.id).where(Zone.kind == "city"))

    @cached_property
    def private_tracking(self) -> str:
        with self.session() as db:
            if db.scalar(select(Service.id).where(Service.code == PRIVATE_SERVICE)) is None:
                from backend.services import catalog
                catalog.create_service(db, code=PRIVATE_SERVICE, name="Matrix Inspection",
                                       public=False, department="BOS")
                db.commit()
        return self.new_request(PRIVATE_SERVICE)

    def crew_id(self, name: str = OWN_CREW) -> int:
        with self.session() as db:
            return db.scalar(select(Crew.id).where(Crew.name == name))

    def new_work_order(self, crew: str | None = OWN_CREW) -> tuple[int, int]:
        """A work order on a new request, assigned to ``crew`` -> (id, version)."""
        tracking = self.new_request()
        with self.session() as db:
            found = reports.get_by_tracking_number(db, tracking)
            owner = db.scalar(select(Crew).where(Crew.name == crew)) if crew else None
            made = work_orders.create_work_order(db, found, crew=owner)
            db.commit()
            return made.id, made.version

    @cached_property
    def work_order(self) -> int:
        return self.new_work_order()[0]

    def subscription(self) -> tuple[str, int, int]:
        """A resident's email subscription -> (token, subscription id, request id)."""
        tracking = self.new_request()
        with self.session() as db:
            found = reports.get_by_tracking_number(db, tracking)
            made, _ = subscriptions.subscribe_email(db, found, f"{uuid.uuid4().hex}@example.org")
            db.commit()
            return made.token, made.id, found.id

    def reopen_link(self) -> str:
        token, subscription_id, request_id = self.subscription()
        with self.session() as db:
            lifecycle.move(db, db.get(ServiceRequest, request_id), Status.RESOLVED)
            db.commit()
        return reopen_token(self.app.config["SECRET_KEY"], subscription_id, request_id)

    def failed_notification(self) -> int:
        self.subscription()
        with self.session() as db:
            newest = db.scalar(select(Notification.id).order_by(Notification.id.desc()))
            db.execute(update(Notification).where(Notification.id == newest)
                       .values(status=DeliveryStatus.FAILED))
            db.commit()
            return newest

    def routing_rule(self) -> int:
        with self.session() as db:
            made = routing.create_rule(db, service_code="graffiti-removal",
                                       crew_name=OTHER_CREW, note="matrix")
            db.commit()
            return made.id

    def api_key_id(self) -> int:
        with self.session() as db:
            _, made = open311.create_api_key(db, f"matrix-{uuid.uuid4().hex[:8]}")
            db.commit()
            return made.id

    def edited_wording(self) -> str:
        with self.session() as db:
            notifications.put_wording(db, kind="confirm", language="es", subject="Confirme",
                                      body="Confirme: {{ tracking }}")
            db.commit()
        return "confirm/es"

    def photo(self) -> str:
        """A photo uploaded through the API -> its public id."""
        answer = self.app.test_client().post("/api/v1/photos", data={"photo": jpeg()},
                                             content_type="multipart/form-data")
        assert answer.status_code == 201, answer.json
        return answer.json["id"]

    def direct_upload(self, *, sent: bool) -> dict:
        """A direct upload's key and URL; ``sent``: with the file already received."""
        client = self.app.test_client()
        upload = client.post("/api/v1/photos/uploads", json={}).json
        if sent:
            answer = client.post(upload["url"], data={**upload["fields"], "file": jpeg()},
                                 content_type="multipart/form-data")
            assert answer.status_code == 204, answer.json
        return upload


def jpeg() -> tuple[io.BytesIO, str]:
    """A small JPEG of its own colour (so no two uploads are the same photo)."""
    out = io.BytesIO()
    colour = tuple(uuid.uuid4().bytes[:3])
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    out.seek(0)
    return out, "photo.jpg"


def made_up_token() -> str:
    return "x" + uuid.uuid4().hex * 2


def link(w: World, role: str, make: Callable[[], str]) -> str:
    return make() if role == "resident" else made_up_token()


def open311_form(w: World, role: str) -> dict:
    return w.with_key(role, {"service_code": "graffiti-removal", "lat": "34.0537",
                             "long": "-118.2427", "attribute[surface]": "wall",
                             "description": "Tags."})


def action(w: World, role: str, name: str = "start") -> Call:
    work_order, version = w.new_work_order()
    return Call(f"/api/v1/workorders/{work_order}/actions", json={"action": name},
                headers={"If-Match": f'"{version}"',
                         "Idempotency-Key": f"matrix-{uuid.uuid4().hex}"})


def queued_action(w: World, role: str) -> Call:
    work_order, version = w.new_work_order()
    return Call("/api/v1/sync/actions", json={"actions": [{
        "action": "start", "work_order_id": work_order, "version": version,
        "action_id": f"matrix-{uuid.uuid4().hex}"}]})


def login(w: World, role: str) -> Call:
    if role in STAFF:
        from tests.hardening.conftest import PASSWORD
        return Call("/api/v1/auth/login", json={"username": w.staff.usernames[role],
                                                 "password": PASSWORD})
    return Call("/api/v1/auth/login", json={"username": "nobody", "password": "guessing-it"})


def get(path: str, **query) -> Callable[[World, str], Call]:
    return lambda w, role: Call(path, query=w.with_key(role, query))


V1 = "/api/v1"
O311 = "/open311/v2"

ROWS: list[Row] = [
    # -- the PWA, docs and health ---------------------------------------------------------
    Row("web.index", "GET", get("/"), everyone(200)),
    Row("web.asset", "GET", get("/js/app.js"), everyone(200)),
    Row("web.asset", "GET", get("/../backend/config.py"), everyone(404), case="outside"),
    Row("web.service_worker", "GET", get("/sw.js"), everyone(200)),
    Row("api-docs.openapi_json", "GET", get("/api/openapi.json"), everyone(200)),
    Row("api-docs.openapi_swagger_ui", "GET", get("/api/docs"), everyone(200)),
    Row("health.Liveness", "GET", get("/healthz"), everyone(200)),
    Row("health.Readiness", "GET", get("/readyz"), everyone(200)),
    Row("appconfig.AppConfig", "GET", get(f"{V1}/config"), everyone(200)),

    # -- signing in --------------------------------------------------------------------------
    Row("auth.Login", "POST", login, only(201, *STAFF) | dict.fromkeys(NOT_SIGNED_IN, 401)),
    Row("auth.Me", "GET", get(f"{V1}/auth/me"), only(200, *STAFF)),
    Row("auth.SignIns", "GET", get(f"{V1}/auth/sign-ins"), only(200, "admin")),
    Row("auth.LogoutEverywhere", "POST", lambda w, r: Call(f"{V1}/auth/logout-everywhere"),
        only(204, *STAFF), signs_out=True),

    # -- the catalog ---------------------------------------------------------------------------
    Row("catalog.Services", "GET", get(f"{V1}/services"), everyone(200)),
    # An admin reaches the catalog's own check (the code is taken); nobody else gets that far.
    Row("catalog.Services", "POST", lambda w, r: Call(f"{V1}/services", json={
        "code": "graffiti-removal", "name": "Again", "department": "OCB"}), only(409, "admin")),
    Row("catalog.ServiceByCode", "GET", get(f"{V1}/services/graffiti-removal"), everyone(200)),
    Row("catalog.ServiceByCode", "PATCH", lambda w, r: Call(
        f"{V1}/services/graffiti-removal", json={"group": "Beautification"}),
        only(200, "admin")),

    # -- reports, as residents make and follow them -------------------------------------------
    Row("requests.Requests", "POST", lambda w, r: Call(f"{V1}/requests", json={
        "service_code": "graffiti-removal", **CITY_HALL, "attributes": {"surface": "wall"}}),
        everyone(201)),
    Row("requests.Requests", "POST", lambda w, r: Call(f"{V1}/requests", json={
        "service_code": "graffiti-removal", **CITY_HALL, "attributes": {"surface": "wall"},
        "channel": "phone", "contact": CONTACT}), only(201, *DISPATCH), case="phone call"),
    Row("requests.RequestByTracking", "GET", lambda w, r: Call(f"{V1}/requests/{w.tracking}"),
        everyone(200)),
    # A private service's reports stay out of every list and map, but the tracking number
    # is the reporter's own key to follow it (as in Open311's GET one request).
    Row("requests.RequestByTracking", "GET",
        lambda w, r: Call(f"{V1}/requests/{w.private_tracking}"), everyone(200),
        case="private service"),
    Row("requests.RequestStatus", "POST", lambda w, r: Call(
        f"{V1}/requests/{w.new_request()}/status", json={"status": "acknowledged"}),
        only(200, *DISPATCH)),
    Row("duplicates.Duplicates", "GET", get(f"{V1}/requests/duplicates", **CITY_HALL),
        everyone(200)),
    Row("duplicates.Follow", "POST", lambda w, r: Call(
        f"{V1}/requests/{w.tracking}/follow", json={}), everyone(200)),
    Row("duplicates.Merge", "POST", lambda w, r: Call(
        f"{V1}/requests/{w.new_request()}/merge", json={"into": w.new_request()}),
        only(200, *DISPATCH)),
    Row("service_levels.RequestPriority", "POST", lambda w, r: Call(
        f"{V1}/requests/{w.new_request()}/priority", json={"priority": "high"}),
        only(200, *DISPATCH)),
    Row("subscriptions.Subscriptions", "POST", lambda w, r: Call(
        f"{V1}/requests/{w.tracking}/subscriptions",
        json={"channel": "email", "address": f"{uuid.uuid4().hex}@example.org"}),
        everyone(201)),
    Row("subscriptions.Confirm", "GET", lambda w, r: Call(
        f"{V1}/subscriptions/confirm/{link(w, r, lambda: w.subscription()[0])}"),
        holder_only(200)),
    Row("subscriptions.Unsubscribe", "GET", lambda w, r: Call(
        f"{V1}/subscriptions/unsubscribe/{link(w, r, lambda: w.subscription()[0])}"),
        holder_only(200)),
    Row("subscriptions.Unsubscribe", "POST", lambda w, r: Call(
        f"{V1}/subscriptions/unsubscribe/{link(w, r, lambda: w.subscription()[0])}"),
        holder_only(200)),
    Row("subscriptions.Reopen", "GET", lambda w, r: Call(
        f"{V1}/reopen/{link(w, r, w.reopen_link)}"), holder_only(200)),
    Row("subscriptions.Reopen", "POST", lambda w, r: Call(
        f"{V1}/reopen/{link(w, r, w.reopen_link)}", json={}), holder_only(200)),
    Row("subscriptions.VapidPublicKey", "GET", get(f"{V1}/push/vapid-public-key"),
        everyone(404)),  # this server sends no push (no VAPID key): for nobody
    Row("addresses.Addresses", "GET", get(f"{V1}/addresses", q="Main"), everyone(200)),
    Row("addresses.NearestAddress", "GET", get(f"{V1}/addresses/nearest", **CITY_HALL),
        everyone(404)),  # no address points loaded: the same answer for everyone
    Row("map.NearbyRequests", "GET", get(f"{V1}/requests/nearby", **CITY_HALL),
        everyone(200)),
    Row("map.RequestsInBox", "GET", get(f"{V1}/requests/in-box", bbox=BBOX), everyone(200)),
    Row("map.MapClusters", "GET", get(f"{V1}/map/clusters", bbox=BBOX, zoom=14),
        only(200, *STAFF)),
    Row("zones.Zones", "GET", get(f"{V1}/zones", kind="district"), everyone(200)),
    Row("zones.ZoneById", "GET", lambda w, r: Call(f"{V1}/zones/{w.zone_id}",
                                                   query=w.with_key(r)), everyone(200)),

    # -- field work ----------------------------------------------------------------------------
    Row("workorders.WorkOrders", "GET", get(f"{V1}/workorders"), only(200, *DISPATCH)),
    Row("workorders.WorkOrders", "POST", lambda w, r: Call(
        f"{V1}/workorders", json={"tracking": w.new_request()}), only(201, *DISPATCH)),
    Row("workorders.WorkOrderById", "GET", lambda w, r: Call(
        f"{V1}/workorders/{w.work_order}"), only(200, "crew_own", *DISPATCH)),
    Row("workorders.WorkOrderActions", "POST", action, only(200, "crew_own", *DISPATCH)),
    Row("workorders.WorkOrderActions", "POST", lambda w, r: action(w, r, "cancel"),
        only(200, *DISPATCH), case="dispatch action"),
    Row("crew.MyWork", "GET", get(f"{V1}/crew/workorders"), only(200, *CREWS)),
    Row("crew.Position", "POST", lambda w, r: Call(f"{V1}/crew/position", json=CITY_HALL),
        only(200, *CREWS)),
    Row("sync.Feed", "GET", get(f"{V1}/sync"), only(200, *CREWS)),
    # Every queue is answered (200); another crew's action comes back "rejected" (checked
    # by the test) and changes nothing.
    Row("sync.Queue", "POST", queued_action, only(200, *CREWS, *DISPATCH)),
    Row("dispatch.Assign", "POST", lambda w, r: Call(f"{V1}/dispatch/assign", json={
        "work_orders": [w.new_work_order(crew=None)[0]], "crew_id": w.crew_id()}),
        only(200, *DISPATCH)),
    Row("dispatch.AssignArea", "POST", lambda w, r: Call(f"{V1}/dispatch/assign-area", json={
        "bbox": [-118.25, 34.05, -118.24, 34.06], "crew_id": w.crew_id()}),
        only(200, *DISPATCH)),
    Row("dispatch.Crews", "GET", get(f"{V1}/dispatch/crews"), only(200, *DISPATCH)),
    Row("dispatch.Positions", "GET", get(f"{V1}/dispatch/positions"), only(200, *DISPATCH)),
    Row("dispatch.SuggestedCrews", "GET", lambda w, r: Call(
        f"{V1}/dispatch/workorders/{w.work_order}/suggested-crews"), only(200, *DISPATCH)),

    # -- administration and reporting ----------------------------------------------------------
    Row("apikeys.ApiKeys", "GET", get(f"{V1}/apikeys"), only(200, "admin")),
    Row("apikeys.ApiKeys", "POST", lambda w, r: Call(
        f"{V1}/apikeys", json={"name": f"matrix-{uuid.uuid4().hex[:8]}"}), only(201, "admin")),
    Row("apikeys.ApiKeyById", "GET", lambda w, r: Call(f"{V1}/apikeys/{w.api_key_id()}"),
        only(200, "admin")),
    Row("apikeys.ApiKeyById", "PATCH", lambda w, r: Call(
        f"{V1}/apikeys/{w.api_key_id()}", json={"rate_limit": 10}), only(200, "admin")),
    Row("apikeys.ApiKeyById", "DELETE", lambda w, r: Call(f"{V1}/apikeys/{w.api_key_id()}"),
        only(200, "admin")),
    Row("routing.RoutingRules", "GET", get(f"{V1}/routing-rules"), only(200, *DISPATCH)),
    Row("routing.RoutingRules", "POST", lambda w, r: Call(f"{V1}/routing-rules", json={
        "service_code": "graffiti-removal", "crew_name": OTHER_CREW}), only(201, "admin")),
    Row("routing.RoutingRuleById", "GET", lambda w, r: Call(
        f"{V1}/routing-rules/{w.routing_rule()}"), only(200, *DISPATCH)),
    Row("routing.RoutingRuleById", "PATCH", lambda w, r: Call(
        f"{V1}/routing-rules/{w.routing_rule()}", json={"note": "changed"}),
        only(200, "admin")),
    Row("routing.RoutingRuleById", "DELETE", lambda w, r: Call(
        f"{V1}/routing-rules/{w.routing_rule()}"), only(204, "admin")),
    Row("routing.RoutingDecision", "GET", get(
        f"{V1}/routing-rules/decision", service="graffiti-removal", **CITY_HALL),
        only(200, *DISPATCH)),
    Row("service_levels.ServiceLevels", "GET", get(f"{V1}/service-levels"),
        only(200, *DISPATCH)),
    Row("service_levels.ServiceLevelOfService", "PUT", lambda w, r: Call(
        f"{V1}/service-levels/graffiti-removal", json={"value": 72}), only(200, "admin")),
    Row("service_levels.Calendar", "PUT", lambda w, r: Call(
        f"{V1}/service-levels/calendars/matrix", json={
            "timezone": "America/Los_Angeles", "hours": {"mon": [["08:00", "16:00"]]}}),
        only(200, "admin")),
    Row("service_levels.Overdue", "GET", get(f"{V1}/service-levels/overdue"),
        only(200, *DISPATCH)),
    Row("metrics.Summary", "GET", get(f"{V1}/metrics/summary"), only(200, *DISPATCH)),
    Row("metrics.Daily", "GET", get(f"{V1}/metrics/daily"), only(200, *DISPATCH)),
    Row("metrics.Breakdown", "GET", get(f"{V1}/metrics/breakdown", by="service"),
        only(200, *DISPATCH)),
    Row("metrics.Hotspots", "GET", get(f"{V1}/metrics/hotspots"), only(200, *DISPATCH)),
    Row("exports.CsvExport", "GET", get(f"{V1}/exports/requests.csv"), only(200, *DISPATCH)),
    Row("exports.GeoJsonExport", "GET", get(f"{V1}/exports/requests.geojson"),
        only(200, *DISPATCH)),
    Row("outbox.Outbox", "GET", get(f"{V1}/outbox"), only(200, *DISPATCH)),
    Row("outbox.Retry", "POST", lambda w, r: Call(
        f"{V1}/outbox/{w.failed_notification()}/retry"), only(200, *DISPATCH)),
    Row("outbox.Wordings", "GET", get(f"{V1}/message-templates"), only(200, *DISPATCH)),
    Row("outbox.Wording", "PUT", lambda w, r: Call(
        f"{V1}/message-templates/confirm/en",
        json={"subject": "Please confirm", "body": "Confirm report {{ tracking }}."}),
        only(200, "admin")),
    Row("outbox.Wording", "DELETE", lambda w, r: Call(
        f"{V1}/message-templates/{w.edited_wording()}"), only(200, "admin")),

    # -- photos ---------------------------------------------------------------------------------
    Row("photos.Photos", "POST", lambda w, r: Call(f"{V1}/photos", form={"photo": jpeg()}),
        everyone(201)),
    Row("photos.Photo", "GET", lambda w, r: Call(f"{V1}/photos/{w.photo()}"),
        only(200, *STAFF)),
    Row("photos.PhotoVariant", "GET", lambda w, r: Call(f"{V1}/photos/{w.photo()}/display"),
        everyone(200)),
    Row("photos.PhotoVariant", "GET", lambda w, r: Call(
        f"{V1}/photos/{w.photo()}/display", query={"unredacted": "true"}),
        only(200, *STAFF), case="unredacted"),
    Row("photos.DirectUploads", "POST", lambda w, r: Call(f"{V1}/photos/uploads", json={}),
        everyone(201)),
    # Whoever was handed the signed upload URL may use it (the phone that asked for it).
    Row("photos.LocalUpload", "POST", lambda w, r: (lambda u: Call(
        u["url"], form={**u["fields"], "file": jpeg()}))(w.direct_upload(sent=False)),
        everyone(204)),
    Row("photos.FinishUpload", "POST", lambda w, r: Call(
        f"{V1}/photos/uploads/finish", json={"key": w.direct_upload(sent=True)["key"]}),
        everyone(201)),
    Row("photos.HidePhoto", "POST", lambda w, r: Call(
        f"{V1}/photos/{w.photo()}/hide", json={"reason": "A face."}), only(200, *DISPATCH)),
    Row("photos.RedactPhoto", "POST", lambda w, r: Call(
        f"{V1}/photos/{w.photo()}/redact", json={"x": 0.1, "y": 0.1, "width": 0.2,
                                                  "height": 0.2}), only(200, *DISPATCH)),

    # -- Open311 ------------------------------------------------------------------------------
    Row("open311.discovery", "GET", get(f"{O311}/discovery.json"), everyone(200)),
    Row("open311.services", "GET", get(f"{O311}/services.xml"), everyone(200)),
    Row("open311.service_definition", "GET", get(f"{O311}/services/graffiti-removal.json"),
        everyone(200)),
    Row("open311.requests", "GET", get(f"{O311}/requests.json"), everyone(200)),
    # Only a key submits; a staff token is no key.
    Row("open311.requests", "POST", lambda w, r: Call(
        f"{O311}/requests.json", form=open311_form(w, r)),
        everyone(403) | {"api_client": 201}),
    Row("open311.one_request", "GET", lambda w, r: Call(
        f"{O311}/requests/{w.tracking}.json", query=w.with_key(r)), everyone(200)),
    Row("open311.one_request", "GET", lambda w, r: Call(
        f"{O311}/requests/{w.private_tracking}.json", query=w.with_key(r)), everyone(200),
        case="private service"),
    Row("open311.token", "GET", lambda w, r: Call(
        f"{O311}/tokens/{uuid.uuid4()}.json", query=w.with_key(r)), everyone(404)),
    Row("open311.unknown_path", "GET", get("/open311/"), everyone(404)),
    Row("open311.unknown_path", "GET", get(f"{O311}/nothing-here.json"), everyone(404),
        case="any path"),
]

# Open311 routes answer every method so a wrong one still gets an Open311 error document.
for _endpoint, _path, _allowed in [
        ("open311.discovery", f"{O311}/discovery.json", {"GET"}),
        ("open311.services", f"{O311}/services.json", {"GET"}),
        ("open311.service_definition", f"{O311}/services/graffiti-removal.json", {"GET"}),
        ("open311.requests", f"{O311}/requests.json", {"GET", "POST"}),
        ("open311.one_request", f"{O311}/requests/ABCD-EFGH.json", {"GET"}),
        ("open311.token", f"{O311}/tokens/abc.json", {"GET"})]:
    for _method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - _allowed:
        ROWS.append(Row(_endpoint, _method, lambda w, r, p=_path: Call(p, form={}),
                        everyone(405)))
for _method in ("POST", "PUT", "PATCH", "DELETE"):
    ROWS.append(Row("open311.unknown_path", _method,
                    lambda w, r: Call(f"{O311}/nothing-here.json", form={}), everyone(404)))
