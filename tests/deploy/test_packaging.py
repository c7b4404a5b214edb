"""serverless.yml packages offline with the Serverless Framework v3 CLI, and cfn-lint passes.

`sls package` needs no AWS account: dummy credentials satisfy the CLI, which never calls
AWS for packaging this service. The CLI comes from .ci/serverless (npm ci, as
`make serverless-cli` does); skipped only where npm itself is missing. The dependency
wheels come from PyPI (cached by the plugin after the first run).
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".ci" / "serverless"
SLS = TOOLS / "node_modules" / ".bin" / "sls"
REQUIREMENTS = ROOT / ".ci" / "lambda-requirements.txt"
UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda's limit for a function and its layers
PARAMS = {"subnetA": "subnet-0a1b2c3d4e5f60718", "subnetB": "subnet-0f1e2d3c4b5a60798",
          "securityGroupId": "sg-0a1b2c3d4e5f60718", "photoBucket": "frontdoor-ci-photos",
          "pwaOrigin": "https://311.example.org"}

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> Path:
    if not SLS.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TOOLS, check=True)
    REQUIREMENTS.write_text(subprocess.run(
        [sys.executable, ".ci/lambda_requirements.py", "--wheelhouse", ".ci/wheelhouse"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    out = tmp_path_factory.mktemp("sls")
    env = {**os.environ, "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off",
           "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-secret",
           "FRONTDOOR_PYTHON": sys.executable}
    env.pop("AWS_PROFILE", None)
    done = subprocess.run([str(SLS), "package", "--stage", "ci", "--package", str(out),
                           *(f"--param={k}={v}" for k, v in PARAMS.items())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_the_template_passes_cfn_lint(packaged):
    template = packaged / "cloudformation-template-update-stack.json"
    # W3005 (a DependsOn also implied by a reference) is in the framework's own output.
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run([str(cfn_lint), "--ignore-checks", "W3005", "--", str(template)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_template_holds_no_secret_and_least_privilege(packaged):
    template = json.loads((packaged / "cloudformation-template-update-stack.json").read_text())
    text = json.dumps(template)
    assert "postgresql://" not in text and "SECRET_KEY\"" not in text
    resources = template["Resources"]
    roles = {name: r for name, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert set(roles) == {"ApiRole", "PhotoRole", "ScheduledRole", "MigrateRole"}
    for role in roles.values():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                assert "*" not in json.dumps(statement["Action"]), statement
                assert statement["Resource"] != "*", statement
    functions = {r["Properties"]["Handler"]: r for r in resources.values()
                 if r["Type"] == "AWS::Lambda::Function"}
    assert set(functions) == {"backend/lambda_handlers.http",
                              "backend/lambda_handlers.photo_uploaded",
                              "backend/lambda_handlers.scheduled_command",
                              "backend/lambda_handlers.migrate"}
    for function in functions.values():
        assert function["Properties"]["Runtime"] == "python3.12"
    bucket = resources["PhotoBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Prefix") == "uploads/" and r["ExpirationInDays"] for r in rules)
    assert bucket["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == [PARAMS["pwaOrigin"]]


def test_the_artefact_holds_the_app_and_its_dependencies_only(packaged):
    artefact = packaged / "frontdoor.zip"
    with zipfile.ZipFile(artefact) as zipped:
        names = zipped.namelist()
        unzipped = sum(i.file_size for i in zipped.infolist())
    tops = {n.split("/")[0] for n in names}
    assert {"backend", "pwa", "flask", "sqlalchemy", "apig_wsgi", "psycopg_binary"} <= tops
    assert not tops & {"tests", ".venv", "node_modules", "instance", ".ci", ".git"}
    assert "backend/lambda_handlers.py" in names
    assert not any("__pycache__" in n for n in names)
    assert any(n.endswith("aarch64-linux-gnu.so") for n in names)  # built for Lambda's CPU
    assert unzipped < UNZIPPED_LIMIT
    print(f"\nartefact {artefact.name}: {artefact.stat().st_size / 1e6:.1f} MB zipped, "
          f"{unzipped / 1e6:.1f} MB unzipped, {len(names)} files")
