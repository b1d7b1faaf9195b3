"""Every word a person hears or sees comes from the content, none from the code.

The test bundle is the real content with every spoken and shown text in capitals (placeholders
kept). Whatever a conversation reaches, through real envelopes and a real store, no speech,
reprompt, card or screen then carries a lower-case letter: one could only have come from code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.content import Content
from skill.content.loader import load_content_from
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.intents import INTENT_EVENTS
from skill.settings import Settings
from tests.support.content import copy_content, edit_yaml
from tests.support.dialogue import Dialogue, Said

_PLACEHOLDER = re.compile(r"(\{\w*\})")
_LOWER = re.compile(r"[a-z]")
#: Screen data that are ids and events (what a touch sends back), not words.
_NOT_WORDS = {"name", "event", "value"}
SLOTS: dict[str, dict[str, Any]] = {
    "StartRoutineIntent": {"routine": ("upper back", "upper_back")},
    "FaqIntent": {"topic": ("is it safe to crack my back", "crack_safety")},
}
INTENTS = sorted(INTENT_EVENTS)


def shout(text: str) -> str:
    """``text`` in capitals, its ``{placeholders}`` as they were."""
    return "".join(
        part if _PLACEHOLDER.fullmatch(part) else part.upper() for part in _PLACEHOLDER.split(text)
    )


def _shout_all(data: Any) -> Any:
    if isinstance(data, str):
        return shout(data)
    if isinstance(data, list):
        return [_shout_all(item) for item in data]
    if isinstance(data, dict):
        return {key: _shout_all(value) for key, value in data.items()}
    return data


def _shout_fields(entry: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in entry:
            entry[field] = shout(entry[field])


def _routines(data: dict[str, Any]) -> None:
    for routine in data["routines"]:
        _shout_fields(routine, ("name", "summary"))
        for step in routine["steps"]:
            _shout_fields(step, ("title", "say", "card", "easier"))


def _faq(data: dict[str, Any]) -> None:
    for entry in data["faq"]:
        _shout_fields(entry, ("name", "answer"))


def _texts(data: dict[str, Any]) -> None:
    for section in ("prompts", "templates", "labels"):
        if section in data:
            data[section] = _shout_all(data[section])


def _numbers(data: dict[str, Any]) -> None:
    data.update(_shout_all(data))


def _facts(data: dict[str, Any]) -> None:
    _shout_fields(data["facts"], ("emergency_number_said", "urgent_route_said"))


@pytest.fixture(scope="module")
def shouting(tmp_path_factory: pytest.TempPathFactory) -> Content:
    target = copy_content(tmp_path_factory.mktemp("shouting"))
    for name, change in (
        ("routines.yaml", _routines),
        ("faq.yaml", _faq),
        ("prompts.yaml", _texts),
        ("screen.yaml", _texts),
        ("numbers.yaml", _numbers),
        ("locales/en-US.yaml", _facts),
    ):
        edit_yaml(target, name, change)
    return load_content_from(target, "en-US")


def _shown(data: Any, key: str = "") -> Iterator[str]:
    """Every string a screen's data show (ids and events left out)."""
    if isinstance(data, str) and key not in _NOT_WORDS:
        yield data
    elif isinstance(data, list):
        for item in data:
            yield from _shown(item)
    elif isinstance(data, dict):
        for name, value in data.items():
            yield from _shown(value, name)


def words_from_code(said: Said) -> list[str]:
    """What this response says or shows in lower case."""
    texts = [said.speech, said.reprompt, said.card.get("title", ""), said.card.get("content", "")]
    for directive in said.response.get("directives", []):
        texts.extend(_shown(directive.get("datasources", {})))
    return [text for text in texts if _LOWER.search(text)]


class Person(Dialogue):
    """A dialogue that fails on the first word from the code."""

    def send(self, envelope: dict[str, Any]) -> Said:
        said = super().send(envelope)
        assert words_from_code(said) == [], envelope["request"]
        return said


def person(content: Content, store: Path, *, screen: bool = True) -> Person:
    skill = build_skill(content=content, settings=Settings(db_path=store))
    return Person(skill, AlexaSession(screen=screen))


def test_the_shouting_bundle_is_all_capitals(shouting: Content) -> None:
    assert shouting.prompts["disclaimer"][0].isupper()
    assert shouting.numbers.cardinal(45) == "FORTY-FIVE"
    assert shouting.default_routine.steps[0].say.isupper()


def test_a_whole_routine_with_every_aside_and_ending_speaks_only_content(
    shouting: Content, tmp_path: Path
) -> None:
    alexa = person(shouting, tmp_path / "p.sqlite3")
    alexa.launch()
    for intent in ("AMAZON.HelpIntent", "FaqIntent", "ListRoutinesIntent", "ThanksIntent"):
        alexa.say(intent, **SLOTS.get(intent, {}))
    for _ in range(3):
        alexa.say("AMAZON.FallbackIntent")
    said = alexa.start("upper_back", screening="no")
    assert said.state == "in_step"
    for intent in (
        "StepInfoIntent",
        "AMAZON.RepeatIntent",
        "TooHardIntent",
        "AMAZON.RepeatIntent",
        "FaqIntent",
        "ListRoutinesIntent",
        "AMAZON.ResumeIntent",
        "AMAZON.NextIntent",
        "AMAZON.PauseIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.ResumeIntent",
        "AMAZON.PreviousIntent",
        "AMAZON.PreviousIntent",
        "AMAZON.StartOverIntent",
        "AMAZON.NoIntent",
    ):
        alexa.say(intent, **SLOTS.get(intent, {}))
    while said.state != "finished":
        said = alexa.say("AMAZON.NextIntent")
    alexa.say("AMAZON.RepeatIntent")
    alexa.say("AMAZON.YesIntent")  # again
    alexa.say("AMAZON.NextIntent")
    alexa.say("AMAZON.StopIntent")
    alexa.alexa.restart()
    alexa.launch()  # the offer to pick up where they left
    alexa.say("AMAZON.NoIntent")
    alexa.say("DeleteDataIntent")
    alexa.say("AMAZON.NoIntent")
    alexa.say("HaveConditionIntent")
    alexa.say("AMAZON.YesIntent")
    alexa.say("StartRoutineIntent", routine=("upper back", "upper_back"))
    alexa.say("PainIntent")
    alexa.say("AMAZON.RepeatIntent")
    alexa.say("AMAZON.NextIntent")
    alexa.say("AMAZON.StopIntent")
    alexa.alexa.restart()
    alexa.launch()  # the check-in after pain
    alexa.say("RedFlagIntent")
    alexa.alexa.restart()
    alexa.say("ChestPainIntent")


@pytest.mark.parametrize("intent", INTENTS)
def test_a_new_persons_one_shot_speaks_only_content(
    shouting: Content, tmp_path: Path, intent: str
) -> None:
    person(shouting, tmp_path / "p.sqlite3").say(intent, **SLOTS.get(intent, {}))


def test_another_language_gets_the_apology_from_the_content(shouting: Content, tmp_path) -> None:
    alexa = person(shouting, tmp_path / "p.sqlite3")
    alexa.alexa.locale = "de-DE"
    said = alexa.launch()
    assert said.ended and said.speech == shouting.prompts["language_unsupported"][0]


class BrokenStore:
    """A store that fails on every read: the apology is what the person hears."""

    def memory(self, handler_input: Any) -> Any:
        raise RuntimeError("the store is down")

    def remember(self, handler_input: Any, outcome: Any) -> None:
        raise RuntimeError("the store is down")

    def apply(self, handler_input: Any, effects: Any, session: Any) -> None:
        raise RuntimeError("the store is down")


def test_the_apology_comes_from_the_content(shouting: Content) -> None:
    skill = build_skill(content=shouting, settings=Settings(), keeper=BrokenStore())
    said = Person(skill, AlexaSession(screen=True)).launch()
    assert said.speech == shouting.prompts["apology"][0] and said.reprompt


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(INTENTS), st.booleans()),
        min_size=1,
        max_size=20,
    )
)
def test_any_conversation_speaks_only_content(shouting: Content, turns) -> None:
    alexa = Person(build_skill(content=shouting, settings=Settings()), AlexaSession(screen=True))
    alexa.launch()
    for intent, new_session in turns:
        if alexa.last is not None and (alexa.last.ended or new_session):
            alexa.alexa.restart()  # a later one-shot
        alexa.say(intent, **SLOTS.get(intent, {}))


def test_an_overlay_sets_the_punctuation_the_code_used_to(tmp_path: Path) -> None:
    """List commas, a question's card title and heading, the paused step's subtitle."""
    target = copy_content(tmp_path)

    def change(data: dict[str, Any]) -> None:
        data["templates"] = {"choices_next": "{items} ; {next}", "faq_card": "Q: {name}"}
        data["screen"] = {"step_paused": "{number}/{count} (paused)", "faq_heading": "{name}!"}

    edit_yaml(target, "locales/en-GB.yaml", change)
    britain = load_content_from(target, "en-GB")
    assert (
        "upper back ; stretching ; self massage, or shoulder release" in britain.prompts["menu"][0]
    )
    entry = britain.faq_entry("popping_sound")
    assert entry is not None and britain.faq_card_title(entry) == f"Q: {entry.name}"

    skill = build_skill(content=britain, settings=Settings(db_path=tmp_path / "p.sqlite3"))
    alexa = Dialogue(skill, AlexaSession(locale="en-GB", screen=True))
    alexa.start("upper_back")
    paused = alexa.say("AMAZON.PauseIntent").response["directives"][0]["datasources"]["screen"]
    assert paused["subtitle"] == "1/5 (paused)"
    said = alexa.say("FaqIntent", topic=("what makes the popping sound", "popping_sound"))
    assert said.card["title"] == f"Q: {entry.name}"
    heading = said.response["directives"][0]["datasources"]["screen"]["heading"]
    assert heading == entry.name[:1].upper() + entry.name[1:] + "!"
