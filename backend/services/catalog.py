"""The service catalog: listing, reading and editing what residents can report."""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import Datatype, Department, Service, ServiceAttribute
from backend.services import settings_cache

LIST_DATATYPES = {Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST}


def list_services(db: Session, *, include_private: bool = False) -> list[Service]:
    query = (select(Service).options(selectinload(Service.attributes))
             .where(Service.active.is_(True)).order_by(Service.group, Service.name))
    if not include_private:
        query = query.where(Service.public.is_(True))
    return list(db.scalars(query))


def get_service(db: Session, code: str, *, include_private: bool = True) -> Service:
    """The service with its questions and department, read in one query."""
    service = db.scalars(select(Service)
                         .options(joinedload(Service.attributes), joinedload(Service.department))
                         .where(Service.code == code)).unique().first()
    if service is None or not (include_private or service.public):
        raise NotFound("unknown_service", f"There is no service with code {code!r}.")
    return service


def service_for_report(db: Session, code: str) -> Service:
    """The service a new report names, with its questions and department, from what the
    process keeps while the settings stay the same (backend.services.settings_cache): the
    session gets its own copy, with no query. A write unit of work's call."""
    services = settings_cache.cached(db, "services_by_code", _every_service)
    if code not in services:
        raise NotFound("unknown_service", f"There is no service with code {code!r}.")
    return settings_cache.adopt(db, services[code])


def _every_service(loader: Session) -> dict[str, Service]:
    query = select(Service).options(selectinload(Service.attributes),
                                    joinedload(Service.department))
    return {service.code: service for service in loader.scalars(query)}


def create_service(db: Session, *, code: str, name: str, attributes=(),
                   department: str | None = None, **options) -> Service:
    if db.scalar(select(Service.id).where(Service.code == code)):
        raise Conflict("service_exists", f"A service with code {code!r} already exists.")
    service = Service(code=code, name=name, **options)
    service.department = _department(db, department)
    service.attributes = [_attribute(a, order) for order, a in enumerate(attributes, 1)]
    db.add(service)
    db.flush()
    return service


def update_service(db: Session, code: str, *, attributes=None,
                   department: str | None = None, **changes) -> Service:
    service = get_service(db, code)
    for name, value in changes.items():
        setattr(service, name, value)
    if department is not None:
        service.department = _department(db, department)
    if attributes is not None:
        service.attributes = [_attribute(a, order) for order, a in enumerate(attributes, 1)]
    db.flush()
    return service


def _department(db: Session, code: str | None) -> Department | None:
    if not code:
        return None
    found = db.scalar(select(Department).where(Department.code == code))
    if found is None:
        raise InvalidInput("unknown_department", f"There is no department {code!r}.")
    return found


def _attribute(fields: dict, order: int) -> ServiceAttribute:
    datatype = Datatype(fields["datatype"])
    values = list(fields.get("values") or [])
    if datatype in LIST_DATATYPES and not values:
        raise InvalidInput("invalid_attribute_definition",
                           f"Attribute {fields['code']!r} is a list and needs values.")
    keys = [v["key"] for v in values]
    if len(set(keys)) != len(keys):
        raise InvalidInput("invalid_attribute_definition",
                           f"Attribute {fields['code']!r} has repeated value keys.")
    return ServiceAttribute(**{**fields, "datatype": datatype, "values": values,
                               "order": fields.get("order") or order})
