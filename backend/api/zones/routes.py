"""The city's zones (neighbourhoods, districts …): a list to filter by, one zone's outline."""

from flask.views import MethodView

from backend.api.blueprint import Blueprint
from backend.api.zones.schemas import ZoneOutlineSchema, ZoneQuerySchema, ZoneSchema
from backend.db import session
from backend.services import zones

blp = Blueprint("zones", __name__, url_prefix="/api/v1/zones",
                description="Named areas of the city: neighbourhoods, districts, the boundary.")


@blp.route("")
class Zones(MethodView):
    @blp.arguments(ZoneQuerySchema, location="query")
    @blp.response(200, ZoneSchema(many=True))
    def get(self, args):
        """Every zone (or every zone of one kind), by kind and name, with its bounding box."""
        return zones.list_zones(session(), args["kind"])


@blp.route("/<int:zone_id>")
class ZoneById(MethodView):
    @blp.response(200, ZoneOutlineSchema)
    def get(self, zone_id):
        """One zone with its outline."""
        return zones.get_zone(session(), zone_id)
