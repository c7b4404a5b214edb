"""Address autocomplete (for call-takers and residents) and the nearest address to a pin."""

from flask.views import MethodView

from backend.api.addresses.schemas import (
    AddressQuerySchema,
    AddressSuggestionSchema,
    NearestAddressQuerySchema,
    NearestAddressSchema,
)
from backend.api.blueprint import Blueprint
from backend.db import session
from backend.services import addresses

blp = Blueprint("addresses", __name__, url_prefix="/api/v1/addresses",
                description="The city's address points: type-ahead and reverse lookup.")


@blp.route("")
class Addresses(MethodView):
    @blp.arguments(AddressQuerySchema, location="query")
    @blp.response(200, AddressSuggestionSchema(many=True))
    def get(self, args):
        """Addresses starting with what was typed; near spellings of the street count too."""
        return addresses.autocomplete(session(), args["q"], limit=args["limit"])


@blp.route("/nearest")
class NearestAddress(MethodView):
    @blp.arguments(NearestAddressQuerySchema, location="query")
    @blp.response(200, NearestAddressSchema)
    def get(self, args):
        """The address nearest to a point, with its distance in metres."""
        return addresses.nearest(session(), args["lon"], args["lat"],
                                 max_distance_m=args["max_distance_m"])
