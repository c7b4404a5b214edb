"""The API fuzzed against its own OpenAPI document (schemathesis), signed in, on both
databases: no answer is a 500, and every answer matches what the document says of it
(status code, content type, headers, body schema).

The suite runs a bounded, repeatable number of examples per operation; `make fuzz` runs
many more, freshly random (FUZZ_EXAMPLES sets how many).
"""

import os
import tempfile
from functools import cache
from pathlib import Path

import pytest
import schemathesis
import schemathesis.checks
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import delete, func, select

from backend import create_app, db
from backend.config import Config
from backend.db import Base
from tests.conftest import SESSION_TABLES
from tests.hardening.conftest import GRAFFITI

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 6))
RANDOM = "FUZZ_EXAMPLES" in os.environ  # the long run explores; the suite repeats itself
SPEC = "/api/openapi.json"
# Signing out everywhere would revoke the token the rest of the run signs in with.
SKIPPED = {("POST", "/api/v1/auth/logout-everywhere")}
CREW_PATHS = ("/api/v1/crew/", "/api/v1/sync")
# What the document promises. (A valid-looking request may still be refused for a domain
# reason — an unknown tracking number, a point outside the city — so acceptance of
# schema-valid data is not among them.)
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance"]

# Hypothesis keeps a cache; not in the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "frontdoor-hypothesis")


def documented_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation the document describes (read without a database)."""
    app = create_app(Config(DATABASE_URL="sqlite://", TESTING=True), commands=False)
    try:
        paths = app.test_client().get(SPEC).json["paths"]
    finally:
        app.extensions["frontdoor.db"]["engine"].dispose()
    methods = {"get", "post", "put", "patch", "delete"}
    return sorted((method.upper(), path) for path, item in paths.items()
                  for method in item if method in methods)


@cache
def loaded_schema(app):
    return schemathesis.openapi.from_wsgi(SPEC, app)


# Catalog tables live for the whole session; what a fuzzed admin adds to them is taken out
# again, so later tests meet the demo catalog (users and tokens stay: the run signs in).
CATALOG_TABLES = ("routing_rule", "service_attribute", "service", "crew", "department")


@pytest.fixture
def catalog_left_as_found(app, client):
    with app.app_context():
        db_session = db.session()
        marks = {name: db_session.scalar(select(func.max(Base.metadata.tables[name].c.id)))
                 for name in CATALOG_TABLES}
        db.close_session()
    yield
    with app.app_context():
        db_session = db.session()
        for table in reversed(Base.metadata.sorted_tables):  # what may point at new entries
            if table.name not in SESSION_TABLES and table.name not in CATALOG_TABLES:
                db_session.execute(delete(table))
        for name in CATALOG_TABLES:
            table = Base.metadata.tables[name]
            db_session.execute(delete(table).where(table.c.id > (marks[name] or 0)))
        db_session.commit()
        db.close_session()


@pytest.mark.parametrize("method, path", [op for op in documented_operations()
                                          if op not in SKIPPED],
                         ids=lambda value: value)
def test_api_matches_its_document(method, path, app, client, staff, catalog_left_as_found):
    client.post("/api/v1/requests", json=GRAFFITI)  # something for lists and lookups to find
    operation = loaded_schema(app)[path][method]
    role = "crew_own" if path.startswith(CREW_PATHS) else "admin"
    headers = staff.headers(role)

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=[
            getattr(schemathesis.checks, name) for name in CHECKS])

    answers_as_documented()
