"""One-shot requests ("Alexa, ask workout planner to ..."): a session that starts with an intent
reads the store exactly as a launch does. Every intent is tried as a one-shot, for a person
with a routine to pick up, a person whose last routine stopped for pain, and a new person."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.envelopes import AlexaSession, SlotValue
from skill.factory import build_skill
from skill.intents import INTENT_EVENTS
from skill.machine.events import Event
from skill.settings import Settings
from tests.support.dialogue import Dialogue, Said

SLOTS: dict[str, dict[str, SlotValue]] = {
    "StartRoutineIntent": {"routine": ("stretching", "stretching")},
    "FaqIntent": {"topic": ("what makes the popping sound", "popping_sound")},
}
INTENTS = sorted(INTENT_EVENTS)
SAFETY = {"PainIntent", "RedFlagIntent", "ChestPainIntent"}
LEAVING = {"AMAZON.StopIntent", "AMAZON.CancelIntent"}
#: What a one-shot after a pain stop may do without checking in first.
#: Intents that update the screening answer (the answer said in words is one too).
SCREENING_WORDS = {Event.UPDATE_SCREENING, Event.HAVE_CONDITION, Event.NO_CONDITION}
UPDATES = {name for name, event in INTENT_EVENTS.items() if event in SCREENING_WORDS}
NO_CHECK_IN = SAFETY | LEAVING | {"DeleteDataIntent"} | UPDATES


@pytest.fixture
def person(tmp_path: Path) -> Dialogue:
    return Dialogue(build_skill(settings=Settings(db_path=tmp_path / "p.sqlite3")), AlexaSession())


def one_shot(person: Dialogue, intent: str) -> Said:
    person.alexa.restart()  # a new session, opened by the request itself
    return person.say(intent, **SLOTS.get(intent, {}))


def valid(said: Said) -> None:
    assert said.speech and said.card.get("content")
    assert said.ended or said.reprompt


@pytest.mark.parametrize("intent", INTENTS)
def test_a_one_shot_honours_the_screening_answer_and_keeps_the_unfinished_routine(
    person: Dialogue, intent: str
) -> None:
    person.start(screening="no")
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.StopIntent")  # stored: screened "no", upper back unfinished at step two

    said = one_shot(person, intent)
    valid(said)
    if intent not in UPDATES:
        assert "osteoporosis" not in said, "the stored screening answer was asked again"
    if intent == "StartRoutineIntent":
        assert "step one of six" in said  # the stretching routine, at once
        return
    if intent == "AMAZON.StartOverIntent":
        assert "step one of five" in said  # the stored routine, from the top, on purpose
        return
    if intent in ("AMAZON.ResumeIntent", "AMAZON.NextIntent"):
        assert "step two of five" in said  # picks up the stored routine
    if intent in ("AMAZON.YesIntent", "AMAZON.NoIntent"):
        assert said.state == "resume_offer" and "stopped at step two" in said  # nothing asked yet
    if intent in SAFETY:
        return  # a pain stop drops the routine on purpose, so "resume" never walks back into it
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    assert "stopped at step two of the upper back routine" in person.launch(), (
        f"{intent} as a one-shot cleared the stored routine"
    )


@pytest.mark.parametrize("intent", INTENTS)
def test_a_one_shot_after_a_pain_stop_checks_in_first(person: Dialogue, intent: str) -> None:
    person.start(screening="no")
    person.say("PainIntent")
    person.say("AMAZON.StopIntent")

    said = one_shot(person, intent)
    valid(said)
    assert said.state != "in_step"
    if intent in NO_CHECK_IN:
        return
    assert "Last time something hurt" in said and "healthcare professional" in said
    assert said.state == "ready"
    # Checked in, as a launch would; the next session does not ask again.
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    assert "Last time something hurt" not in person.launch()


@pytest.mark.parametrize("intent", INTENTS)
def test_a_one_shot_from_a_new_person_is_screened_before_any_routine(
    person: Dialogue, intent: str
) -> None:
    said = one_shot(person, intent)
    valid(said)
    assert said.state != "in_step"
    if intent == "StartRoutineIntent":
        assert "osteoporosis" in said and said.state == "screening"
        said = person.say("AMAZON.NoIntent")
        assert "step one of six" in said


def test_a_one_shot_start_from_someone_with_a_spine_condition_starts_only_what_suits(
    person: Dialogue,
) -> None:
    person.start("upper_back", screening="yes")
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    said = person.say("StartRoutineIntent")  # "ask workout planner to start"
    assert "step one of four" in said and "shoulder release" in said
    said = one_shot(person, "StartRoutineIntent")  # the stretching routine, by name
    assert "won't guide it" in said and "shoulder release routine?" in said
    assert "step one of four" in person.say("AMAZON.YesIntent")
