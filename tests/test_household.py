"""A household on one Echo, and disabling the skill: through the real, verified HTTP endpoint
with a real SQLite file (``app`` and ``signed_alexa`` in conftest)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from skill.envelopes import AlexaSession
from skill.persistence import hash_user_id
from tests.support.dialogue import Said
from tests.support.signed import SignedAlexa

ANNA = "amzn1.ask.person.ANNA-0001"
BEN = "amzn1.ask.person.BEN-0002"


@pytest.fixture
def account(signed_alexa: SignedAlexa) -> str:
    return signed_alexa.session.user_id


def as_person(signed: SignedAlexa, person: str | None) -> SignedAlexa:
    """The same account and Echo, with Alexa having recognised ``person`` (or no one)."""
    signed.session.restart()
    signed.session.person_id = person
    return signed


def say(signed: SignedAlexa, intent: str, **slots: Any) -> Said:
    return Said(signed.post(signed.session.intent(intent, **slots)))


def launch(signed: SignedAlexa) -> Said:
    return Said(signed.post(signed.session.launch()))


def reach_step_three(signed: SignedAlexa, screening: str) -> None:
    launch(signed)
    said = say(signed, "StartRoutineIntent")
    assert said.state == "screening"  # each person answers for themselves
    say(signed, "AMAZON.YesIntent" if screening == "yes" else "AMAZON.NoIntent")
    say(signed, "AMAZON.NextIntent")
    say(signed, "AMAZON.NextIntent")
    say(signed, "AMAZON.StopIntent")


def rows(app: Flask) -> list[str]:
    path = app.config["SETTINGS"].db_path
    with sqlite3.connect(path) as conn:
        return [key for (key,) in conn.execute("SELECT user_key FROM user_attributes")]


def test_two_people_on_one_account_keep_their_own_progress_and_answers(
    signed_alexa: SignedAlexa,
) -> None:
    reach_step_three(as_person(signed_alexa, ANNA), screening="no")
    ben = as_person(signed_alexa, BEN)
    said = launch(ben)
    assert "stopped at" not in said  # Anna's routine is not Ben's
    assert say(ben, "StartRoutineIntent").state == "screening"  # nor is her answer
    say(ben, "AMAZON.YesIntent")
    say(ben, "AMAZON.StopIntent")

    anna = as_person(signed_alexa, ANNA)
    assert "stopped at step three of the upper back routine" in launch(anna)
    say(anna, "AMAZON.NoIntent")
    assert say(anna, "StartRoutineIntent").state != "screening"  # she answered before


def test_without_a_person_id_nobody_else_is_seen_and_the_reverse(signed_alexa: SignedAlexa) -> None:
    reach_step_three(as_person(signed_alexa, ANNA), screening="no")
    someone = as_person(signed_alexa, None)
    assert "stopped at" not in launch(someone)
    assert say(someone, "StartRoutineIntent").state == "screening"
    say(someone, "AMAZON.NoIntent")
    say(someone, "AMAZON.NextIntent")
    say(someone, "AMAZON.StopIntent")
    # The account's own record (step two) never reaches Anna, nor hers (step three) the account.
    assert "step three" in launch(as_person(signed_alexa, ANNA))
    assert "step two" in launch(as_person(signed_alexa, None))


def skill_disabled(signed: SignedAlexa, *, age: timedelta = timedelta(0)) -> Any:
    envelope = signed.session.skill_disabled()
    stamp = (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    envelope["request"]["timestamp"] = stamp
    return signed.post(envelope)


def test_disabling_the_skill_forgets_every_person_on_the_account_and_no_one_else(
    signed_alexa: SignedAlexa, app: Flask, account: str
) -> None:
    for person in (ANNA, BEN, None):
        reach_step_three(as_person(signed_alexa, person), screening="no")
    neighbour = SignedAlexa(signed_alexa.client, signed_alexa.pki)
    reach_step_three(neighbour, screening="no")
    assert len(rows(app)) == 4

    # Skill events may be up to an hour old (a normal request only 150 seconds).
    reply = skill_disabled(as_person(signed_alexa, None), age=timedelta(minutes=50))
    assert "outputSpeech" not in reply.get("response", {})
    assert rows(app) == [hash_user_id(neighbour.session.user_id)]
    for person in (ANNA, BEN, None):
        assert "stopped at" not in launch(as_person(signed_alexa, person))


def test_an_old_ordinary_request_is_still_refused(signed_alexa: SignedAlexa) -> None:
    envelope = signed_alexa.session.launch()
    stamp = datetime.now(UTC) - timedelta(minutes=50)
    envelope["request"]["timestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(envelope).encode()
    response = signed_alexa.client.post(
        "/alexa",
        data=body,
        headers=signed_alexa.pki.signed_headers(body),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_skill_disabled_without_a_store_is_answered(dialogue: Any, alexa: AlexaSession) -> None:
    said = dialogue.send(alexa.skill_disabled())
    assert said.raw["version"] == "1.0" and "outputSpeech" not in said.response
