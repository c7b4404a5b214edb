"""GET /healthz and GET /readyz: against the real database, a photo folder and S3 over HTTP."""

import pytest

from backend import create_app
from backend.config import Config


@pytest.fixture
def make_app(database_url, tmp_path):
    """make_app(**settings) → a test client of a fresh app with those settings."""
    made = []

    def make(**settings):
        config = Config(**{"DATABASE_URL": database_url, "PHOTO_DIR": str(tmp_path / "photos"),
                           "TESTING": True, **settings})
        made.append(create_app(config, commands=False))
        return made[-1].test_client()

    yield make
    for app in made:
        app.extensions["frontdoor.db"]["engine"].dispose()


def test_liveness_needs_nothing_but_the_process(make_app):
    client = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing")
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_ready_when_database_and_photo_folder_work(client, dialect):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "ready"
    assert answer.json["checks"]["database"]["ok"] is True
    assert answer.json["checks"]["database"]["dialect"] == dialect
    assert answer.json["checks"]["storage"] == {**answer.json["checks"]["storage"], "ok": True,
                                                "backend": "local"}


def test_not_ready_without_the_database_and_no_secret_shown(make_app):
    url = "postgresql://frontdoor:s3cret-password@127.0.0.1:1/frontdoor"
    answer = make_app(DATABASE_URL=url).get("/readyz")
    assert answer.status_code == 503
    assert answer.json["code"] == "not_ready"
    assert answer.json["checks"]["database"]["ok"] is False
    assert answer.json["checks"]["storage"]["ok"] is True
    assert "s3cret" not in answer.get_data(as_text=True)


def test_not_ready_when_the_photo_folder_cannot_be_written(make_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the photo folder should be")
    answer = make_app(PHOTO_DIR=str(blocker)).get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["storage"]["ok"] is False
    assert answer.json["checks"]["database"]["ok"] is True


def test_ready_with_s3_storage_and_the_probe_leaves_nothing(make_app, aws_env, bucket):
    import boto3

    client = make_app(PHOTO_STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=aws_env)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["checks"]["storage"]["backend"] == "s3"
    listing = boto3.client("s3", endpoint_url=aws_env).list_objects_v2(Bucket=bucket)
    assert listing.get("KeyCount", 0) == 0


def test_not_ready_when_the_bucket_is_missing(make_app, aws_env):
    client = make_app(PHOTO_STORAGE="s3", S3_BUCKET="frontdoor-no-such-bucket",
                      S3_ENDPOINT_URL=aws_env)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["storage"] == {**answer.json["checks"]["storage"], "ok": False,
                                                "error": "NoSuchBucket"}
