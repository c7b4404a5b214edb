"""Routing rules: staff read them, admins change them; a preview shows where a report goes."""

from flask.views import MethodView

from backend.api.blueprint import Blueprint
from backend.api.routing.schemas import (
    RoutingDecisionQuerySchema,
    RoutingDecisionSchema,
    RoutingRuleCreateSchema,
    RoutingRuleSchema,
    RoutingRuleUpdateSchema,
)
from backend.db import session
from backend.geo.distance import validate_point
from backend.models import Role
from backend.services import catalog, routing, zones

blp = Blueprint("routing", __name__, url_prefix="/api/v1/routing-rules",
                description="Which department or crew each report goes to, by service and zone.")

STAFF = (Role.DISPATCHER, Role.ADMIN)


def _rule_fields(fields: dict) -> dict:
    """The body's {"zone": {"kind", "code"}} as the service's zone_kind / zone_code."""
    if "zone" in fields:
        zone = fields.pop("zone")
        fields["zone_kind"] = zone["kind"] if zone else None
        fields["zone_code"] = zone["code"] if zone else None
    return fields


@blp.route("")
class RoutingRules(MethodView):
    @blp.requires_role(*STAFF)
    @blp.response(200, RoutingRuleSchema(many=True))
    def get(self):
        """Every rule, lowest priority number first."""
        return routing.list_rules(session())

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(RoutingRuleCreateSchema)
    @blp.response(201, RoutingRuleSchema)
    def post(self, fields):
        """Add a rule: a service and/or a zone, to a department and/or a crew."""
        return routing.create_rule(session(), **_rule_fields(fields))


@blp.route("/<int:rule_id>")
class RoutingRuleById(MethodView):
    @blp.requires_role(*STAFF)
    @blp.response(200, RoutingRuleSchema)
    def get(self, rule_id):
        """One rule."""
        return routing.get_rule(session(), rule_id)

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(RoutingRuleUpdateSchema(partial=True))
    @blp.response(200, RoutingRuleSchema)
    def patch(self, fields, rule_id):
        """Change a rule; a field sent as null is cleared."""
        return routing.update_rule(session(), rule_id, **_rule_fields(fields))

    @blp.requires_role(Role.ADMIN)
    @blp.response(204)
    def delete(self, rule_id):
        """Remove a rule (requests already routed keep their department)."""
        routing.delete_rule(session(), rule_id)


@blp.route("/decision")
class RoutingDecision(MethodView):
    @blp.requires_role(*STAFF)
    @blp.arguments(RoutingDecisionQuerySchema, location="query")
    @blp.response(200, RoutingDecisionSchema)
    def get(self, args):
        """Where a report of this service at this point would go, and which rule says so."""
        db = session()
        lon, lat = validate_point(args["lon"], args["lat"])
        service = catalog.get_service(db, args["service"])
        return routing.decide(db, service, zones.zones_at(db, lon, lat))
