"""The store as a choice: one URL parser for ``serve --store`` and Lambda, and the stores it opens
(SQLite on a real file, DynamoDB on moto)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from skill.envelopes import AlexaSession
from skill.persistence import hash_user_id
from skill.persistence.url import (
    StoreUrl,
    StoreUrlError,
    lambda_store_url,
    parse_store_url,
)
from skill.settings import Settings
from skill.web import serve as serve_module
from skill.web.flask_app import create_app
from tests.support.aws import fake_dynamodb, progress_table

TABLE = "workout-planner-shared"
REGION = "eu-west-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqlite:///var/progress.sqlite3", StoreUrl("sqlite", path=Path("var/progress.sqlite3"))),
        ("sqlite:////srv/wp/p.sqlite3", StoreUrl("sqlite", path=Path("/srv/wp/p.sqlite3"))),
        ("dynamodb://progress", StoreUrl("dynamodb", table="progress")),
        (
            "dynamodb://wp-progress.prod?region=eu-west-1",
            StoreUrl("dynamodb", table="wp-progress.prod", region="eu-west-1"),
        ),
        (" dynamodb://progress/ ", StoreUrl("dynamodb", table="progress")),
    ],
)
def test_store_urls_that_name_a_store(text, expected):
    assert parse_store_url(text) == expected
    assert parse_store_url(str(expected)) == expected  # str() gives a URL that parses back


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "unknown store"),
        ("/var/progress.sqlite3", "unknown store"),
        ("postgres://db/progress", "unknown store"),
        ("sqlite://", "sqlite:///<file>"),
        ("sqlite:///", "sqlite:///<file>"),
        ("sqlite://host/progress.sqlite3", "sqlite:///<file>"),
        ("sqlite:///p.sqlite3?mode=ro", "no ?options"),
        ("dynamodb://", "table name"),
        ("dynamodb://ab", "table name"),
        ("dynamodb://bad name", "table name"),
        ("dynamodb://key:secret@progress", "dynamodb://<table>"),
        ("dynamodb://progress/extra", "dynamodb://<table>"),
        ("dynamodb://progress?endpoint=http://x", "unknown DynamoDB store option(s): endpoint"),
        ("dynamodb://progress?region=Mars", "region must be"),
        ("dynamodb://progress?region=eu-west-1&region=us-east-1", "region must be"),
    ],
)
def test_store_urls_that_name_no_store_say_why(text, reason):
    with pytest.raises(StoreUrlError, match=re.escape(reason)):
        parse_store_url(text)


def test_errors_never_echo_credentials():
    with pytest.raises(StoreUrlError) as caught:
        parse_store_url("dynamodb://AKIAEXAMPLE:s3cr3t@progress")
    assert "s3cr3t" not in str(caught.value)


def test_lambda_takes_the_store_url_else_the_table():
    assert lambda_store_url({"WORKOUT_PLANNER_STORE": "sqlite:////tmp/p.db"}) == (
        "sqlite:////tmp/p.db"
    )
    assert lambda_store_url({"DYNAMODB_TABLE": "progress"}) == "dynamodb://progress"
    with pytest.raises(StoreUrlError, match="WORKOUT_PLANNER_STORE"):
        lambda_store_url({})


# -- serve --store -----------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch) -> list[Any]:
    """What serve would hand gunicorn, instead of starting it."""
    runs: list[Any] = []
    monkeypatch.setattr(serve_module._Gunicorn, "run", lambda self: runs.append(self.settings))
    for name in ("WORKOUT_PLANNER_STORE", "WORKOUT_PLANNER_DB", "ALEXA_SKILL_ID"):
        monkeypatch.delenv(name, raising=False)
    return runs


def test_serve_store_sqlite_creates_the_file_before_starting(started, tmp_path):
    db = tmp_path / "nested" / "progress.sqlite3"
    result = CliRunner().invoke(serve_module.serve, ["--no-verify", "--store", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    assert db.exists()
    (settings,) = started
    assert parse_store_url(settings.store_url) == StoreUrl("sqlite", path=db)


def test_serve_db_is_short_for_a_sqlite_store(started, tmp_path):
    db = tmp_path / "progress.sqlite3"
    result = CliRunner().invoke(serve_module.serve, ["--no-verify", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert parse_store_url(started[0].store_url) == StoreUrl("sqlite", path=db)


def test_serve_store_comes_from_the_environment_too(started, aws):
    result = CliRunner().invoke(
        serve_module.serve,
        ["--no-verify"],
        env={"WORKOUT_PLANNER_STORE": f"dynamodb://{TABLE}?region={REGION}"},
    )
    assert result.exit_code == 0, result.output
    assert started[0].store_url == f"dynamodb://{TABLE}?region={REGION}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "mysql://x"], "unknown store"),
        (["--store", "dynamodb://x"], "table name"),
        (["--store", "sqlite:///a.db", "--db", "b.db"], "not both"),
    ],
)
def test_serve_refuses_a_bad_store_before_starting(started, args, message):
    result = CliRunner().invoke(serve_module.serve, ["--no-verify", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert started == []


def test_serve_store_with_an_unwritable_sqlite_path_fails_clearly(started, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(
        serve_module.serve, ["--no-verify", "--store", f"sqlite:///{blocker}/p.sqlite3"]
    )
    assert result.exit_code == 1 and "cannot open the store" in result.output
    assert started == []


# -- servers sharing one DynamoDB table --------------------------------------------------------


@pytest.fixture
def aws(monkeypatch):
    with fake_dynamodb(monkeypatch, REGION, region_in_environment=False) as dynamodb:
        yield progress_table(dynamodb, TABLE)


def post(client, envelope: dict[str, Any], alexa: AlexaSession) -> dict[str, Any]:
    response = client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
    assert response.status_code == 200, response.get_json()
    reply: dict[str, Any] = response.get_json()
    alexa.absorb(reply)
    return reply


def test_two_servers_share_one_table_and_a_person_resumes_on_either(aws):
    url = f"dynamodb://{TABLE}?region={REGION}"
    settings = Settings(skill_id=AlexaSession().skill_id, verify_signatures=False, store_url=url)
    one, two = (create_app({"SETTINGS": settings}).test_client() for _ in range(2))
    alexa = AlexaSession()
    post(one, alexa.launch(), alexa)
    for intent in (
        "StartRoutineIntent",
        "AMAZON.NoIntent",
        "AMAZON.NextIntent",
        "AMAZON.StopIntent",
    ):
        post(one, alexa.intent(intent), alexa)
    reply = post(two, alexa.launch(), alexa)
    assert "stopped at step two" in reply["response"]["outputSpeech"]["ssml"]
    (item,) = aws.scan()["Items"]
    assert item["id"] == hash_user_id(alexa.user_id)
