"""Requests near a point, in a box, and clustered for a map view.

The answers are built as plain dicts from the columns a map needs, without ORM objects or
marshmallow (the schemas document them): a 50-item list through either would cost more
than the query behind it.
"""

import gzip

from flask import jsonify, request
from flask.views import MethodView
from sqlalchemy import select

from backend.api.blueprint import Blueprint, current_user
from backend.api.map.schemas import (
    ClusterArgsSchema,
    FeatureCollectionSchema,
    InBoxArgsSchema,
    InBoxPageSchema,
    NearbyArgsSchema,
    NearbyPageSchema,
)
from backend.db import read_only, session
from backend.errors import InvalidInput
from backend.models import Role, Service
from backend.services import clusters, nearby

GZIP_FROM_BYTES = 4096

blp = Blueprint("map", __name__, url_prefix="/api/v1",
                description="Requests on the map: nearby, in a box, clustered.")


@blp.route("/requests/nearby")
class NearbyRequests(MethodView):
    @blp.arguments(NearbyArgsSchema(), location="query")
    @blp.doc(responses={"200": {"description": "Nearest first.", "content": {
        "application/json": {"schema": NearbyPageSchema}}}})
    def get(self, args):
        """Requests within ``radius`` metres of a point, nearest first, with distances.
        Open ones unless ``status=all``; signed-out callers see public services only."""
        db = read_only(session())
        # Signed-out callers with no service named: public services, chosen in the query.
        public_only = "service" not in args and current_user() is None
        hits = nearby.nearby_request_ids(
            db, args["lon"], args["lat"], args["radius"], limit=args["limit"],
            open_only=args["status"] == "open", public_only=public_only,
            service_ids=None if public_only else _service_ids(db, args))
        found = nearby.map_summaries(db, [i for i, _ in hits])
        return jsonify(items=[{**found[i], "distance_m": round(d, 1)}
                              for i, d in hits if i in found])


@blp.route("/requests/in-box")
class RequestsInBox(MethodView):
    @blp.arguments(InBoxArgsSchema(), location="query")
    @blp.doc(responses={"200": {"description": "By id.", "content": {
        "application/json": {"schema": InBoxPageSchema}}}})
    def get(self, args):
        """Requests inside ``bbox`` (min_lon,min_lat,max_lon,max_lat; a box crossing the
        antimeridian has min_lon > max_lon), at most ``limit``."""
        db = session()
        ids = nearby.request_ids_in_box(db, args["bbox"], open_only=args["status"] == "open",
                                        service_ids=_service_ids(db, args), limit=args["limit"])
        found = nearby.map_summaries(db, ids)
        return jsonify(items=[found[i] for i in ids if i in found])


@blp.route("/map/clusters")
class MapClusters(MethodView):
    @blp.requires_role(Role.DISPATCHER, Role.ADMIN, Role.CREW)
    @blp.arguments(ClusterArgsSchema(), location="query")
    @blp.doc(responses={"200": {"description": "GeoJSON FeatureCollection.", "content": {
        "application/geo+json": {"schema": FeatureCollectionSchema}}}})
    def get(self, args):
        """Clusters (count, mean position, counts by status and priority) where requests
        are dense, single requests where sparse, on a grid fixed to the world, so panning
        never moves a cluster."""
        db = session()
        filters = clusters.MapFilters(
            statuses=args.get("status"), service_ids=_service_ids(db, args),
            priorities=tuple(args["priority"]) if "priority" in args else None,
            zone_id=args.get("zone"))
        response = jsonify(clusters.map_clusters(db, args["bbox"], args["zoom"], filters))
        response.mimetype = "application/geo+json"
        return _compressed(response)


def _compressed(response):
    """gzip a large answer for clients that take it (every browser does): a screenful of
    clusters is ~100 KB of JSON and ~15 KB gzipped, at ~1 ms of CPU (level 1)."""
    response.vary.add("Accept-Encoding")
    body = response.get_data()
    if len(body) < GZIP_FROM_BYTES or "gzip" not in request.accept_encodings:
        return response
    response.set_data(gzip.compress(body, compresslevel=1))
    response.headers["Content-Encoding"] = "gzip"
    return response


def _service_ids(db, args) -> tuple[int, ...] | None:
    """Ids of the services asked for; signed-out callers are held to public services."""
    staff = current_user() is not None
    codes = args.get("service")
    if codes is None and staff:
        return None
    query = _EVERY_SERVICE if staff else _PUBLIC_SERVICES
    known = {i: code for i, code in db.connection().execute(query)}
    if codes is None:
        return tuple(known)
    by_code = {code: i for i, code in known.items()}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise InvalidInput("unknown_service", f"No service has code {unknown[0]!r}.",
                           field="service")
    return tuple(by_code[c] for c in codes)


_service = Service.__table__.c  # table columns: a plain read, no ORM layer
_EVERY_SERVICE = select(_service.id, _service.code)
_PUBLIC_SERVICES = _EVERY_SERVICE.where(_service.public.is_(True))
