"""The Lambda entry point against a moto DynamoDB: real envelopes in, responses and progress out."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from ask_sdk_core.exceptions import AskSdkException

from skill.envelopes import AlexaSession
from skill.persistence import hash_user_id
from tests.support.aws import fake_dynamodb, progress_table

MODULE = "skill.lambda_handler"
SKILL_ID = "amzn1.ask.skill.7d9a6a2e-1c1b-4a43-9e0e-2f3c5a8d4b10"
OTHER_SKILL_ID = "amzn1.ask.skill.00000000-dead-beef-0000-000000000000"
USER_ID = "amzn1.ask.account.AEXAMPLEUSERID7Q4FJ3ZK"
TABLE = "workout-planner-test-progress"
REGION = "us-east-1"


def launch_request(skill_id: str = SKILL_ID) -> dict[str, Any]:
    """A LaunchRequest as the Alexa service sends it to the function."""
    application = {"applicationId": skill_id}
    user = {"userId": USER_ID}
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": "amzn1.echo-api.session.0f8a1c9e-3b5d-4e2a-9c7f-6d1b2a3c4e5f",
            "application": application,
            "attributes": {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {
                    "deviceId": "amzn1.ask.device.AEXAMPLEDEVICEID",
                    "supportedInterfaces": {},
                },
                "apiEndpoint": "https://api.amazonalexa.com",
                "apiAccessToken": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl",
            },
            "Viewport": {"experiences": [], "shape": "ROUND"},
        },
        "request": {
            "type": "LaunchRequest",
            "requestId": "amzn1.echo-api.request.5c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
            "timestamp": AlexaSession().launch()["request"]["timestamp"],  # now, in Alexa's format
            "locale": "en-US",
            "shouldLinkResultBeReturned": False,
        },
    }


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with fake_dynamodb(monkeypatch, REGION) as dynamodb:
        yield progress_table(dynamodb, TABLE)


def _import_fresh() -> ModuleType:
    # The module builds its skill at import (the cold start): import it anew for each case.
    sys.modules.pop(MODULE, None)
    return importlib.import_module(MODULE)


@pytest.fixture
def lambda_handler(table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("DYNAMODB_TABLE", TABLE)
    monkeypatch.delenv("AUDIO_BASE_URL", raising=False)
    yield _import_fresh()
    sys.modules.pop(MODULE, None)


def test_import_without_a_skill_id_fails_clearly(table, monkeypatch):
    monkeypatch.delenv("ALEXA_SKILL_ID", raising=False)
    monkeypatch.setenv("DYNAMODB_TABLE", TABLE)
    try:
        with pytest.raises(RuntimeError, match="ALEXA_SKILL_ID is not set"):
            _import_fresh()
    finally:
        sys.modules.pop(MODULE, None)


def test_launch_gets_a_spoken_welcome_that_keeps_the_session_open(lambda_handler):
    reply = lambda_handler.handler(launch_request(), None)
    json.dumps(reply)  # what Lambda returns to Alexa must be plain JSON
    assert reply["version"] == "1.0"
    response = reply["response"]
    assert response["outputSpeech"]["type"] == "SSML"
    assert "Workout Planner" in response["outputSpeech"]["ssml"]
    assert response["shouldEndSession"] is False
    assert response["reprompt"]["outputSpeech"]["ssml"]


def test_cues_play_from_the_bucket_url_serverless_sets(lambda_handler, monkeypatch):
    # serverless.yml: AUDIO_BASE_URL = https://<bucket RegionalDomainName>/audio, and the MP3s
    # are uploaded under audio/; the zip carries audio/manifest.json to name them.
    base = "https://workout-planner-audiobucket-1a2b3c.s3.us-east-1.amazonaws.com/audio"
    monkeypatch.setenv("AUDIO_BASE_URL", base)
    ssml = _import_fresh().handler(launch_request(), None)["response"]["outputSpeech"]["ssml"]
    assert f'<audio src="{base}/' in ssml


def test_an_echo_show_gets_its_screen_and_its_touches_heard(lambda_handler):
    """The APL documents ship with the function, and a touch goes through the same skill."""
    request = launch_request()
    request["context"]["System"]["device"]["supportedInterfaces"] = {
        "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}
    }
    reply = lambda_handler.handler(request, None)
    (directive,) = reply["response"]["directives"]
    assert directive["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert directive["document"]["import"] == [{"name": "alexa-layouts", "version": "1.7.0"}]
    request["session"] |= {"new": False, "attributes": reply["sessionAttributes"]}
    request["request"] |= {
        "type": "Alexa.Presentation.APL.UserEvent",
        "arguments": ["start_routine", "shoulder_release"],
        "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
    }
    touched = lambda_handler.handler(request, None)
    assert "osteoporosis" in touched["response"]["outputSpeech"]["ssml"]


def test_a_request_for_another_skill_is_refused(lambda_handler, table):
    with pytest.raises(AskSdkException, match="Skill ID Verification failed"):
        lambda_handler.handler(launch_request(OTHER_SKILL_ID), None)
    assert table.scan()["Items"] == []


def test_progress_is_kept_in_the_table(lambda_handler, table):
    alexa = AlexaSession(skill_id=SKILL_ID, user_id=USER_ID)
    for envelope in (
        alexa.launch(),
        alexa.intent("StartRoutineIntent", routine=("upper back", "upper_back")),
        alexa.intent("AMAZON.NoIntent"),  # the one-time screening question
        alexa.intent("AMAZON.NextIntent"),
    ):
        alexa.absorb(lambda_handler.handler(envelope, None))

    (item,) = table.scan()["Items"]
    # The person is keyed by a hash of the Alexa user id; the id itself is never stored.
    assert item["id"] == hash_user_id(USER_ID)
    assert item["attributes"]
    assert USER_ID not in json.dumps(item, default=str)


def test_lambda_logs_are_structured_json() -> None:
    """As on Lambda, where the runtime has put a handler on the root logger before import."""
    import json
    import subprocess
    import sys

    code = (
        "import logging\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "import skill.lambda_handler\n"
        "logging.getLogger('skill.probe').warning('probe', extra={'outcome': 'ok'})\n"
    )
    env = {
        **os.environ,
        "ALEXA_SKILL_ID": SKILL_ID,
        "DYNAMODB_TABLE": "progress",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["msg"] == "probe" and line["outcome"] == "ok"


def test_the_store_url_names_the_table_as_serve_does(table, monkeypatch):
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.delenv("DYNAMODB_TABLE", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # the URL carries it
    monkeypatch.setenv("WORKOUT_PLANNER_STORE", f"dynamodb://{TABLE}?region={REGION}")
    try:
        module = _import_fresh()
        module.handler(launch_request(), None)
    finally:
        sys.modules.pop(MODULE, None)
    assert [item["id"] for item in table.scan()["Items"]] == [hash_user_id(USER_ID)]


def test_import_without_any_store_fails_clearly(table, monkeypatch):
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.delenv("DYNAMODB_TABLE", raising=False)
    monkeypatch.delenv("WORKOUT_PLANNER_STORE", raising=False)
    try:
        with pytest.raises(ValueError, match="WORKOUT_PLANNER_STORE"):
            _import_fresh()
    finally:
        sys.modules.pop(MODULE, None)


def test_skill_disabled_through_the_function_forgets_the_account(lambda_handler, table):
    alexa = AlexaSession(skill_id=SKILL_ID, user_id=USER_ID)
    for person in (None, "amzn1.ask.person.ANNA"):
        alexa.person_id = person
        alexa.absorb(lambda_handler.handler(alexa.launch(), None))
    assert len([i for i in table.scan()["Items"] if "#" not in i["id"]]) == 2
    reply = lambda_handler.handler(alexa.skill_disabled(), None)
    assert "outputSpeech" not in reply["response"]
    assert table.scan()["Items"] == []


def test_each_invocation_prints_its_counts_as_emf_lines(lambda_handler, capsys):
    capsys.readouterr()
    lambda_handler.handler(launch_request(), None)
    documents = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    requests = [d for d in documents if "requests" in d]
    assert [(d["type"], d["outcome"], d["requests"]) for d in requests] == [
        ("LaunchRequest", "ok", 1)
    ]
    assert requests[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["type", "outcome"]]
    assert USER_ID not in json.dumps(documents)
