"""The whole product through the web stack: signed requests, verification, the skill, SQLite."""

from __future__ import annotations

import re

from tests.support.signed import SignedAlexa


def spoken(reply: dict) -> str:
    return re.sub(r"<[^>]+>", "", reply["response"]["outputSpeech"]["ssml"])


def test_a_routine_over_verified_http_is_remembered_next_session(signed_alexa: SignedAlexa):
    alexa = signed_alexa.session
    assert "Welcome to Workout Planner" in spoken(signed_alexa.post(alexa.launch()))
    signed_alexa.post(alexa.intent("StartRoutineIntent", routine=("upper back", "upper_back")))
    assert "Step one of five" in spoken(signed_alexa.post(alexa.intent("AMAZON.NoIntent")))
    assert "Step two of five" in spoken(signed_alexa.post(alexa.intent("AMAZON.NextIntent")))
    reply = signed_alexa.post(alexa.intent("FaqIntent", topic=("risks", "risks")))
    assert "Say next for step three" in spoken(reply)
    signed_alexa.post(alexa.intent("AMAZON.StopIntent"))

    reply = signed_alexa.post(alexa.launch())
    assert "stopped at step two of the upper back routine" in spoken(reply)
    assert "Step two of five" in spoken(signed_alexa.post(alexa.intent("AMAZON.YesIntent")))
    reply = signed_alexa.post(alexa.intent("PainIntent"))
    assert "healthcare professional" in spoken(reply)
    assert "won't carry on" in spoken(signed_alexa.post(alexa.intent("AMAZON.NextIntent")))


def test_health_and_an_unsigned_request(client) -> None:
    assert client.get("/healthz").status_code == 200
    response = client.post("/alexa", json={"version": "1.0", "request": {"type": "LaunchRequest"}})
    assert response.status_code == 400 and "error" in response.get_json()
