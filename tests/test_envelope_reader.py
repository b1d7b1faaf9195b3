"""The fast envelope reader builds exactly what the SDK's DefaultSerializer builds."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.envelope_reader import ModelReader
from skill.envelopes import SCREEN_VIEWPORT, AlexaSession
from skill.factory import EnvelopeSerializer

ENVELOPE = "ask_sdk_model.request_envelope.RequestEnvelope"


def _alexa() -> AlexaSession:
    alexa = AlexaSession(person_id="amzn1.ask.person.P1")
    alexa.attributes = {"workoutPlanner": {"version": 1, "state": "in_step", "step_index": 2}}
    return alexa


def _rich(envelope: dict[str, Any]) -> dict[str, Any]:
    """With what real devices add: screens, APL, a viewport, an access token, unknown fields."""
    rich = copy.deepcopy(envelope)
    system = rich["context"]["System"]
    system["device"]["supportedInterfaces"] = {
        "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}},
        "AudioPlayer": {},
    }
    system["apiAccessToken"] = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2ln"
    system["unit"] = {"unitId": "amzn1.ask.unit.A", "persistentUnitId": "amzn1.alexa.unit.B"}
    rich["context"]["Viewport"] = copy.deepcopy(SCREEN_VIEWPORT)
    rich["context"]["Alexa.Presentation.APL"] = {"token": "step", "version": "1.9"}
    rich["request"]["shouldLinkResultBeReturned"] = False
    rich["somethingNew"] = {"added": "by a later Alexa"}
    return rich


def _cases() -> list[tuple[str, dict[str, Any]]]:
    alexa = _alexa()
    intent = alexa.intent("StartRoutineIntent", routine=("upper back", "upper_back"))
    unresolved = alexa.intent("FaqIntent", topic="cracking")
    ended = alexa.session_ended("ERROR")
    ended["request"]["error"] = {"type": "INVALID_RESPONSE", "message": "bad SSML"}
    can_fulfill = alexa.envelope(
        {"type": "CanFulfillIntentRequest", "intent": intent["request"]["intent"]}
    )
    user_event = alexa.envelope(
        {"type": "Alexa.Presentation.APL.UserEvent", "token": "step", "arguments": ["next", 2]}
    )
    exception = alexa.envelope(
        {
            "type": "System.ExceptionEncountered",
            "error": {"type": "INVALID_RESPONSE", "message": "x"},
            "cause": {"requestId": "amzn1.echo-api.request.1"},
        }
    )
    odd_time = alexa.launch()
    odd_time["request"]["timestamp"] = "2025-03-14 09:30:00.123456+01:00"
    return [
        ("launch", alexa.launch()),
        ("intent with a resolved slot", intent),
        ("intent with an unresolved slot", unresolved),
        ("session ended with an error", ended),
        ("skill disabled", alexa.skill_disabled()),
        ("can fulfill", can_fulfill),
        ("APL user event", user_event),
        ("exception encountered", exception),
        ("a timestamp dateutil reads", odd_time),
        ("a device with a screen", _rich(intent)),
    ]


@pytest.mark.parametrize(("name", "envelope"), _cases(), ids=[n for n, _ in _cases()])
def test_reads_every_request_as_the_sdk_does(name, envelope):
    expected = DefaultSerializer().deserialize(json.dumps(envelope), ENVELOPE)
    fast = EnvelopeSerializer().from_dict(envelope)
    assert isinstance(fast, RequestEnvelope)
    assert fast == expected
    assert type(fast.request) is type(expected.request)
    # And what goes back out (e.g. session attributes) is the same.
    assert DefaultSerializer().serialize(fast) == DefaultSerializer().serialize(expected)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["request"].update(type="NoSuchRequest"),
        lambda e: e["request"].update(timestamp="not a time"),
        lambda e: e.update(context=["not", "an", "object"]),
        lambda e: e["request"].update(locale={"not": "a string"}) or e["request"].pop("type"),
    ],
)
def test_what_the_sdk_refuses_is_refused_the_same_way(mutate):
    envelope = _alexa().launch()
    mutate(envelope)
    with pytest.raises(SerializationException):
        DefaultSerializer().deserialize(json.dumps(envelope), ENVELOPE)
    with pytest.raises(SerializationException):
        EnvelopeSerializer().from_dict(envelope)


def test_plans_are_built_once_per_type():
    reader = ModelReader()
    envelope = _alexa().launch()
    reader.read(envelope, ENVELOPE)
    plans = len(reader._readers)
    reader.read(_alexa().intent("AMAZON.NextIntent"), ENVELOPE)
    reader.read(envelope, ENVELOPE)
    assert len(reader._readers) >= plans  # an intent adds its own types; a launch adds none
    again = len(reader._readers)
    reader.read(envelope, ENVELOPE)
    assert len(reader._readers) == again


def test_the_factory_no_longer_overrides_sdk_internals():
    names = [name for name in vars(EnvelopeSerializer) if name.startswith("_DefaultSerializer")]
    assert names == []


def test_responses_are_written_as_the_sdk_writes_them(content):
    """Every reply of a few whole conversations, screens and cards included."""
    from skill.factory import build_skill

    alexa = AlexaSession()
    fast, sdk = EnvelopeSerializer(), DefaultSerializer()
    turns = [
        ("launch", {}),
        ("StartRoutineIntent", {"routine": ("upper back", "upper_back")}),
        ("AMAZON.NoIntent", {}),
        ("AMAZON.NextIntent", {}),
        ("FaqIntent", {"topic": ("is it safe to crack my back", "crack_safety")}),
        ("AMAZON.NextIntent", {}),
        ("PainIntent", {}),
        ("AMAZON.StopIntent", {}),
    ]
    built = build_skill(content=content)
    for screen in (False, True):
        alexa = AlexaSession(screen=screen)
        for name, slots in turns:
            envelope = alexa.launch() if name == "launch" else alexa.intent(name, **slots)
            response = built.invoke(request_envelope=fast.from_dict(envelope), context=None)
            written = fast.serialize(response)
            assert written == sdk.serialize(response)
            assert json.dumps(written)  # plain JSON
            alexa.absorb(written)
