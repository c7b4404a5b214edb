"""Fixtures shared by every test: one suite, run on SQLite and on PostgreSQL.

app → client build on a database that is created for the session (schema by
Alembic, demo catalog, staff and zones loaded once), and emptied of requests
after every test.
"""

import os
import uuid

import psycopg
import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from backend import create_app, db, demo, schema
from backend.config import Config
from backend.db import Base

PG_ADMIN_URL = os.environ.get("FRONTDOOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Loaded once per session; every other table is emptied after each test.
SESSION_TABLES = {"department", "service", "service_attribute", "crew", "user_account",
                  "auth_token", "zone"}
PASSWORDS = {"admin": "frontdoor-admin", "dispatcher": "frontdoor-dispatch",
             "crew": "frontdoor-crew", "crew2": "frontdoor-crew"}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"
        return
    name = f"frontdoor_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    schema.upgrade(database_url)
    # Rate limits are off here (every test client is 127.0.0.1); tests/hardening turns them on.
    app = create_app(Config(DATABASE_URL=database_url, TESTING=True, RATELIMIT_ENABLED=False,
                            PHOTO_DIR=str(tmp_path_factory.mktemp("photos"))))
    with app.app_context():
        session = db.session()
        demo.load_catalog(session, say=lambda _: None)
        demo.load_zones(session, say=lambda _: None)
        session.commit()
        db.close_session()
    yield app
    app.extensions["frontdoor.db"]["engine"].dispose()


@pytest.fixture
def client(app):
    yield app.test_client()
    with app.app_context():
        session = db.session()
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in SESSION_TABLES:
                session.execute(delete(table))
        session.commit()


@pytest.fixture
def db_session(app):
    """A session of its own, for reading what the API wrote and for service-level tests.
    (Not the request's session: an outer app context would make requests share it.)"""
    with Session(app.extensions["frontdoor.db"]["engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def tokens(app):
    """Bearer tokens of the demo staff, signed in once per session."""
    client = app.test_client()
    found = {}
    for username, password in PASSWORDS.items():
        answer = client.post("/api/v1/auth/login", json={"username": username,
                                                         "password": password})
        assert answer.status_code == 201, answer.json
        found[username] = answer.json["token"]
    return found


@pytest.fixture
def auth(tokens):
    """auth("dispatcher") → headers for that demo account."""
    return lambda username: {"Authorization": f"Bearer {tokens[username]}"}


@pytest.fixture
def dialect(app):
    with app.app_context():
        return db.engine().dialect.name


def count_rows(session, model) -> int:
    return session.execute(text(f"SELECT count(*) FROM {model.__tablename__}")).scalar_one()


# ---------------------------------------------------------------- S3 over HTTP
# A real S3-protocol server (moto's) on a free loopback port, for the photo storage,
# the Lambda upload handler and SSM; started only by the tests that ask for it.

@pytest.fixture(scope="session")
def aws_endpoint():
    """moto's server (S3, SSM) on a free loopback port, over real HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(aws_endpoint, monkeypatch):
    """boto3 in this process talks to the test server, with throwaway credentials."""
    for name, value in {"AWS_ENDPOINT_URL": aws_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    return aws_endpoint


@pytest.fixture
def bucket(aws_env):
    import boto3

    s3 = boto3.client("s3", endpoint_url=aws_env)
    name = f"frontdoor-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)
