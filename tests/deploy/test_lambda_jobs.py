"""The other Lambda entry points: S3 uploads, schedules, the migration, secrets from SSM."""

import io
import os
import re
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from PIL import Image
from sqlalchemy import create_engine, inspect

from backend import lambda_handlers

ROOT = Path(__file__).resolve().parents[2]


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads serverless.yml, keeping !Ref, !Sub, !GetAtt as plain values."""


_CloudFormationLoader.add_multi_constructor(
    "!", lambda loader, tag, node: loader.construct_scalar(node)
    if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node))


def serverless_config() -> dict:
    return yaml.load((ROOT / "serverless.yml").read_text(), Loader=_CloudFormationLoader)


# ---------------------------------------------------------------- S3 uploads

def test_s3_event_keys_are_url_decoded(s3_event):
    record = s3_event("frontdoor-prod-photos", "uploads/pothole+on+Main+St%282%29.jpg")
    assert lambda_handlers.upload_key(record["Records"][0]) == "uploads/pothole on Main St(2).jpg"


def test_only_object_created_records_are_taken(s3_event):
    record = s3_event("b", "uploads/x.jpg", event_name="ObjectRemoved:Delete")["Records"][0]
    with pytest.raises(ValueError, match="ObjectRemoved"):
        lambda_handlers.upload_key(record)


def _photo_service():
    try:
        from backend.services import photos
    except ImportError:
        return None
    return getattr(photos, "process_direct_upload", None)


@pytest.mark.skipif(_photo_service() is None,
                    reason="backend.services.photos.process_direct_upload is not there yet")
def test_an_uploaded_photo_is_processed_from_the_bucket(lambda_app, client, aws_env, bucket,
                                                       s3_event, monkeypatch):
    monkeypatch.setitem(lambda_app.config, "PHOTO_STORAGE", "s3")
    monkeypatch.setitem(lambda_app.config, "S3_BUCKET", bucket)
    monkeypatch.setitem(lambda_app.config, "S3_ENDPOINT_URL", aws_env)
    picture = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(picture, "JPEG")
    key = f"uploads/{uuid.uuid4().hex}.jpg"
    s3 = boto3.client("s3", endpoint_url=aws_env)
    s3.put_object(Bucket=bucket, Key=key, Body=picture.getvalue(), ContentType="image/jpeg")
    summary = lambda_handlers.photo_uploaded(s3_event(bucket, key), None)
    assert summary == {"processed": 1, "refused": 0, "failed": 0}
    stored = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert any(k.startswith("photos/") for k in stored), stored


# ---------------------------------------------------------------- schedules

def test_every_scheduled_command_exists(app):
    """Each schedule in serverless.yml names a `flask` command this app really has."""
    functions = serverless_config()["functions"]
    scheduled = {name: event["schedule"]["input"]["command"]
                 for name, spec in functions.items() for event in spec.get("events", [])
                 if "schedule" in event}
    assert scheduled, "serverless.yml schedules nothing"
    missing = {}
    for name, command in scheduled.items():
        group, _, sub = command.partition(" ")
        found = app.cli.commands.get(group)
        if found is None or (sub and sub not in getattr(found, "commands", {})):
            missing[name] = command
    assert not missing, f"scheduled commands this app does not have: {missing}"


def test_a_schedule_runs_its_command_like_the_cli(lambda_app, database_url, monkeypatch):
    answer = lambda_handlers.scheduled_command({"command": "db upgrade"}, None)
    assert answer == {"command": ["db", "upgrade"], "output": ["schema is up to date"]}


def test_a_schedule_without_a_command_is_refused(lambda_app):
    with pytest.raises(ValueError, match="command"):
        lambda_handlers.scheduled_command({}, None)


# ---------------------------------------------------------------- migration and secrets

def test_migrate_builds_a_fresh_database_and_is_idempotent(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/fresh.db"
    monkeypatch.setenv("DATABASE_URL", url)
    for _ in range(2):
        assert lambda_handlers.migrate({}, None) == {"upgraded_to": "head"}
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"alembic_version", "service_request", "service"} <= tables


def test_secrets_come_from_ssm_parameters(aws_env, tmp_path, monkeypatch):
    prefix = f"/frontdoor/test-{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{tmp_path}/from-ssm.db"
    ssm = boto3.client("ssm", endpoint_url=aws_env)
    ssm.put_parameter(Name=f"{prefix}/database-url", Value=url, Type="SecureString")
    ssm.put_parameter(Name=f"{prefix}/secret-key", Value="k" * 40, Type="SecureString")
    _unset(monkeypatch, "DATABASE_URL", "SECRET_KEY")
    monkeypatch.setenv("DATABASE_URL_SSM_PARAMETER", f"{prefix}/database-url")
    monkeypatch.setenv("SECRET_KEY_SSM_PARAMETER", f"{prefix}/secret-key")
    lambda_handlers.migrate({}, None)
    assert os.environ["DATABASE_URL"] == url and os.environ["SECRET_KEY"] == "k" * 40
    assert (tmp_path / "from-ssm.db").exists()


def test_a_missing_ssm_parameter_stops_the_cold_start(aws_env, monkeypatch):
    _unset(monkeypatch, "DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL_SSM_PARAMETER", "/frontdoor/nowhere/database-url")
    with pytest.raises(RuntimeError, match="/frontdoor/nowhere/database-url"):
        lambda_handlers.load_secrets()


def _unset(monkeypatch, *names: str) -> None:
    """Remove variables so that whatever the test sets is removed again afterwards."""
    for name in names:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_every_handler_in_serverless_yml_exists():
    for name, spec in serverless_config()["functions"].items():
        module, _, attribute = spec["handler"].rpartition(".")
        assert re.fullmatch(r"backend/[a-z_/]+", module), name
        assert (ROOT / f"{module}.py").is_file(), name
        assert callable(getattr(lambda_handlers, attribute, None)), name
