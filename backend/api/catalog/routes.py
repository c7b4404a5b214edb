"""The service catalog over HTTP."""

from flask.views import MethodView

from backend.api.blueprint import Blueprint, current_user
from backend.api.catalog.schemas import ServiceCreateSchema, ServiceSchema, ServiceUpdateSchema
from backend.db import session
from backend.models import Role
from backend.services import catalog

blp = Blueprint("catalog", __name__, url_prefix="/api/v1/services",
                description="What residents can report, and what each report asks.")


@blp.route("")
class Services(MethodView):
    @blp.response(200, ServiceSchema(many=True))
    def get(self):
        """List the services open for reports (staff also see private ones)."""
        return catalog.list_services(session(), include_private=current_user() is not None)

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(ServiceCreateSchema)
    @blp.response(201, ServiceSchema)
    def post(self, fields):
        """Add a service to the catalog."""
        return catalog.create_service(session(), **fields)


@blp.route("/<code>")
class ServiceByCode(MethodView):
    @blp.response(200, ServiceSchema)
    def get(self, code):
        """One service with the questions a report of it asks."""
        return catalog.get_service(session(), code, include_private=current_user() is not None)

    @blp.requires_role(Role.ADMIN)
    @blp.arguments(ServiceUpdateSchema(partial=True))
    @blp.response(200, ServiceSchema)
    def patch(self, fields, code):
        """Change a service; sending attributes replaces all of them."""
        return catalog.update_service(session(), code, **fields)
