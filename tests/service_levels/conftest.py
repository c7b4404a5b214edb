"""Service levels seeded from the demo spec, per test (the tables are emptied after each)."""

import json

import pytest

from backend import db
from backend.cli import DEMO_SERVICE_LEVELS
from backend.services import service_levels


@pytest.fixture
def demo_levels(app, client):
    """The demo city's calendars and targets (LA office hours are the default calendar)."""
    with app.app_context():
        service_levels.seed(db.session(), json.loads(DEMO_SERVICE_LEVELS.read_text()))
        db.session().commit()
        db.close_session()
