"""Exports of requests for analysis (dispatchers and administrators), streamed.

``X-Total-Count`` says how many rows will follow (counted just before the stream starts), so
a client can show progress. No reporter contact is ever exported.
"""

from flask import Response, stream_with_context
from flask.views import MethodView

from backend.api.blueprint import Blueprint
from backend.api.metrics.routes import filters_from
from backend.api.metrics.schemas import RequestFilterArgs
from backend.db import session
from backend.models import Role
from backend.services import exports

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
                description="Requests as CSV or GeoJSON, with the metrics' filters.")
STAFF = (Role.DISPATCHER, Role.ADMIN)


def _stream(args: dict, writer, mimetype: str, filename: str) -> Response:
    f = filters_from(args, default_days=None)  # no period given: everything
    db = session()
    total = exports.count(db, f)

    def body():
        try:
            yield from writer(db, f)
        finally:
            db.close()  # the stream outlives the view: give its connection back here

    body = stream_with_context(body())
    return Response(body, mimetype=mimetype, headers={
        "X-Total-Count": str(total),
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@blp.route("/requests.csv")
class CsvExport(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(RequestFilterArgs, location="query")
    @blp.doc(responses={"200": {"description": "CSV with a header line; X-Total-Count rows.",
                                "content": {"text/csv": {}}}})
    def get(self, args):
        """The filtered requests as CSV (all of them when no period is given)."""
        return _stream(args, exports.csv_stream, "text/csv", "requests.csv")


@blp.route("/requests.geojson")
class GeoJsonExport(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(RequestFilterArgs, location="query")
    @blp.doc(responses={"200": {"description": "A GeoJSON FeatureCollection of Points.",
                                "content": {"application/geo+json": {}}}})
    def get(self, args):
        """The filtered requests as GeoJSON (all of them when no period is given)."""
        return _stream(args, exports.geojson_stream, "application/geo+json",
                       "requests.geojson")
