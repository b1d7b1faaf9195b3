"""The Lambda deployment: what `serverless package` really builds (its lock: tests/test_lock.py).

The packaging tests run the pinned Serverless Framework v3 from node_modules offline (dummy AWS
credentials); its first run pip-installs the hashed requirements.txt from PyPI for the Lambda
runtime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVERLESS = ROOT / "node_modules" / ".bin" / "serverless"
SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"
STAGE = "ci"
#: The first run downloads wheels; later runs use the plugin's cache and take seconds.
TIMEOUT = 900


# --- the real `serverless package` -------------------------------------------------------------


def _run_serverless(*args: str, out: Path) -> subprocess.CompletedProcess[str]:
    if not SERVERLESS.exists():
        pytest.fail(
            f"{SERVERLESS.relative_to(ROOT)} is missing: run the setup first "
            "(`make setup`, or `npm ci` in the repository root)."
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
        # The plugin's pip: this interpreter has one; the wheels are picked for the Lambda.
        SLS_PYTHON=sys.executable,
    )
    command = [str(SERVERLESS), "package", "--stage", STAGE, "--package", str(out), *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serverless") / "package"
    proc = _run_serverless(f"--param=skillId={SKILL_ID}", out=out)
    assert proc.returncode == 0, f"serverless package failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "cloudformation-template-update-stack.json").read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return template["Resources"]


@pytest.fixture(scope="module")
def zip_names(packaged: Path) -> set[str]:
    with zipfile.ZipFile(packaged / "workout-planner.zip") as archive:
        return set(archive.namelist())


def _one(resources: dict[str, dict[str, Any]], kind: str) -> tuple[str, dict[str, Any]]:
    found = [(name, res) for name, res in resources.items() if res["Type"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {[name for name, _ in found]}"
    return found[0]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _bucket(resources: dict[str, dict[str, Any]]) -> str:
    # The deployment bucket is the framework's own; the audio bucket is ours.
    names = [
        name
        for name, res in resources.items()
        if res["Type"] == "AWS::S3::Bucket" and name != "ServerlessDeploymentBucket"
    ]
    assert len(names) == 1, names
    return names[0]


@pytest.mark.slow
def test_packaging_without_a_skill_id_fails(tmp_path):
    proc = _run_serverless(out=tmp_path / "package")
    assert proc.returncode != 0
    assert "skillId" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_function_and_its_environment(resources):
    table, _ = _one(resources, "AWS::DynamoDB::Table")
    _, function = _one(resources, "AWS::Lambda::Function")
    props = function["Properties"]
    assert props["Handler"] == "skill/lambda_handler.handler"
    assert props["Runtime"] == "python3.12"
    env = props["Environment"]["Variables"]
    assert env["ALEXA_SKILL_ID"] == SKILL_ID
    assert env["DYNAMODB_TABLE"] == {"Ref": table}
    joined = env["AUDIO_BASE_URL"]["Fn::Join"][1]
    assert joined[0] == "https://"
    assert {"Fn::GetAtt": [_bucket(resources), "RegionalDomainName"]} in joined


@pytest.mark.slow
def test_only_this_skill_may_invoke_the_function(resources):
    function, _ = _one(resources, "AWS::Lambda::Function")
    _, permission = _one(resources, "AWS::Lambda::Permission")
    props = permission["Properties"]
    assert props["Principal"] == "alexa-appkit.amazon.com"
    assert props["EventSourceToken"] == SKILL_ID
    assert props["Action"] == "lambda:InvokeFunction"
    assert props["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]}


@pytest.mark.slow
def test_outputs_name_the_skill_endpoint_and_the_cue_bucket(template, resources):
    function, _ = _one(resources, "AWS::Lambda::Function")
    outputs = template["Outputs"]
    # Unqualified: the alexaSkill permission covers the function, not its versions.
    assert outputs["SkillFunctionArn"]["Value"] == {"Fn::GetAtt": [function, "Arn"]}
    assert outputs["AudioBucketName"]["Value"] == {"Ref": _bucket(resources)}


@pytest.mark.slow
def test_progress_table(resources):
    _, table = _one(resources, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]


@pytest.mark.slow
def test_role_may_only_read_write_delete_items_of_that_table(resources):
    table, _ = _one(resources, "AWS::DynamoDB::Table")
    _, role = _one(resources, "AWS::IAM::Role")
    statements = [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    # Besides the framework's own CloudWatch Logs grants, exactly one statement.
    ours = [s for s in statements if not all(a.startswith("logs:") for a in _listed(s["Action"]))]
    assert len(ours) == 1, ours
    (statement,) = ours
    assert statement["Effect"] == "Allow"
    assert sorted(_listed(statement["Action"])) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert _listed(statement["Resource"]) == [{"Fn::GetAtt": [table, "Arn"]}]


@pytest.mark.slow
def test_audio_bucket_is_public_read_only_over_https(resources):
    bucket = _bucket(resources)
    block = resources[bucket]["Properties"]["PublicAccessBlockConfiguration"]
    # ACLs can never make anything public; the policy may.
    assert block["BlockPublicAcls"] is True
    assert block["IgnorePublicAcls"] is True
    assert block["BlockPublicPolicy"] is False
    assert block["RestrictPublicBuckets"] is False

    (policy,) = [
        res
        for res in resources.values()
        if res["Type"] == "AWS::S3::BucketPolicy" and res["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows, "no public read grant"
    for allow in allows:
        assert _listed(allow["Action"]) == ["s3:GetObject"]
        assert "/audio/*" in json.dumps(allow["Resource"])
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(
        d.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        and _listed(d["Action"]) == ["s3:*"]
        and d["Principal"] == "*"
        for d in denies
    ), "plain-HTTP access is not denied"


@pytest.mark.slow
def test_zip_carries_the_skill_and_its_runtime_dependencies(zip_names):
    expected = {
        "skill/lambda_handler.py",
        "audio/manifest.json",
        *(f"skill/content/{p.name}" for p in (ROOT / "skill" / "content").glob("*.yaml")),
        *(f"skill/apl/{p.name}" for p in (ROOT / "skill" / "apl").glob("*.json")),
    }
    assert expected <= zip_names, sorted(expected - zip_names)
    for package in ("ask_sdk_core/", "ask_sdk_model/", "ask_sdk_dynamodb/", "yaml/"):
        assert any(n.startswith(package) for n in zip_names), package


@pytest.mark.slow
def test_zip_leaves_out_development_files(zip_names):
    unwanted = ("tests/", "docs/", "bench/", "node_modules/", ".venv/", "flask/", "boto3/")
    unwanted += ("botocore/", "gunicorn/")
    assert not [n for n in zip_names if n.startswith(unwanted)]
    assert not [n for n in zip_names if n.endswith(".mp3") or "__pycache__/" in n]
