"""SQLAlchemy mapped classes. Models never commit: services add, the request commits."""

from backend.models.apikey import ApiKey
from backend.models.catalog import (
    Datatype,
    Department,
    Priority,
    Service,
    ServiceAttribute,
    ServiceType,
)
from backend.models.map_cell import MapCell
from backend.models.media import Media, MediaKind
from backend.models.message_template import MessageTemplate
from backend.models.notify import DeliveryStatus, Notification, NotifyChannel, Subscription
from backend.models.open311 import Open311Submission
from backend.models.people import AuthToken, Crew, Role, User
from backend.models.request import (
    OPEN_STATUSES,
    Channel,
    Event,
    LocationSource,
    ReporterContact,
    ServiceRequest,
    Status,
)
from backend.models.request_metric import EVERYWHERE, MetricHour, RequestMetric
from backend.models.routing import Address, AddressStreet, RoutingRule
from backend.models.service_level import ServiceLevel, SlaEscalation, WorkCalendar
from backend.models.work import (
    OPEN_WORK,
    ClientAction,
    CrewPosition,
    SyncCounter,
    WorkChange,
    WorkOrder,
    WorkStatus,
)
from backend.models.zone import RequestZone, Zone

__all__ = [
    "OPEN_STATUSES", "AuthToken", "Channel", "Crew", "Datatype", "Department", "Event",
    "LocationSource", "Media", "MediaKind", "Priority", "ReporterContact", "RequestZone",
    "Role", "Service", "ServiceAttribute", "ServiceRequest", "ServiceType", "Status", "User",
    "Zone", "ApiKey", "Open311Submission", "DeliveryStatus", "Notification", "NotifyChannel",
    "Subscription", "Address", "AddressStreet", "RoutingRule",
    "OPEN_WORK", "ClientAction", "CrewPosition", "SyncCounter", "WorkChange", "WorkOrder",
    "WorkStatus",
    "MapCell",
    "EVERYWHERE", "MetricHour", "RequestMetric",
    "MessageTemplate",
    "ServiceLevel", "SlaEscalation", "WorkCalendar",
]
