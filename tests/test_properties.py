"""Random conversations through the real skill: safety and validity hold whatever people say."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.intents import INTENT_EVENTS
from skill.settings import Settings
from tests.support import budgets
from tests.support.dialogue import Dialogue, Said

SKILL = build_skill(settings=Settings())
INTENTS = [*sorted(INTENT_EVENTS), "UnknownIntent"]
SLOTS = {
    "StartRoutineIntent": st.sampled_from(
        [
            {},
            {"routine": ("upper back", "upper_back")},
            {"routine": ("stretch", "stretching")},
            {"routine": "nonsense"},
            {"routine": ("shoulders", "shoulder_release")},
        ]
    ),
    "FaqIntent": st.sampled_from(
        [{}, {"topic": ("benefits", "benefits")}, {"topic": "crack my back"}, {"topic": "zzz"}]
    ),
}
turns = st.lists(
    st.sampled_from([*INTENTS, "LAUNCH"]).flatmap(
        lambda name: st.tuples(st.just(name), SLOTS.get(name, st.just({})))
    ),
    min_size=1,
    max_size=25,
)


def valid(said: Said, *, launch: bool) -> None:
    response = said.response
    assert "outputSpeech" in response and response["outputSpeech"]["ssml"].startswith("<speak>")
    assert len(response["outputSpeech"]["ssml"]) < 8000
    assert said.card.get("content")
    if not said.ended:
        assert said.reprompt, "an open session needs a reprompt"
    problem = budgets.over_budget(
        said.speech,
        launch=launch,
        first="not a substitute" in said.speech,
        open_session=not said.ended,
    )
    assert problem is None, problem


#: What counts as deliberately beginning again after something hurt. Not "yes": a yes answers a
#: question, and nothing in the pain-stopped state asks whether to carry on.
DELIBERATE = {"LAUNCH", "StartRoutineIntent", "AMAZON.StartOverIntent"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_random_conversations_stay_valid_and_safe(sequence) -> None:
    dialogue = Dialogue(SKILL, AlexaSession())
    dialogue.launch()
    blocked = False  # something hurt, and nobody has deliberately started again since
    for name, slots in sequence:
        said = dialogue.launch() if name == "LAUNCH" else dialogue.say(name, **slots)
        valid(said, launch=name == "LAUNCH")
        if name == "PainIntent":
            assert said.state == "pain_stopped"
            assert "healthcare professional" in said.speech
            blocked = True
        elif name in DELIBERATE or said.ended:
            blocked = False
        elif blocked:
            assert said.state != "in_step", "the routine must not continue after pain"
            # Back at the menu, the person has chosen something else: what it offers is new.
            blocked = said.state != "ready"


QUESTIONS = {"screening", "confirm_delete", "resume_offer", "finished"}


def _attributes(said: Said) -> dict:
    return (said.raw.get("sessionAttributes") or {}).get("workoutPlanner", {})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_a_yes_or_no_answers_only_the_question_just_asked(sequence) -> None:
    dialogue = Dialogue(SKILL, AlexaSession())
    last = dialogue.launch()
    for name, slots in [*sequence, ("AMAZON.YesIntent", {})]:
        said = dialogue.launch() if name == "LAUNCH" else dialogue.say(name, **slots)
        before = _attributes(last)
        asked = before.get("state") in QUESTIONS or before.get("offered_routine_id")
        if name in ("AMAZON.YesIntent", "AMAZON.NoIntent") and not last.ended and not asked:
            assert said.state == before.get("state"), "a yes or no that answered nothing moved on"
            assert _attributes(said).get("screening") == before.get("screening")
        last = said


@pytest.fixture(scope="module")
def stored_skill(tmp_path_factory):
    """The skill with a real SQLite store: what one session leaves, the next one reads."""
    path = tmp_path_factory.mktemp("store") / "progress.sqlite3"
    return build_skill(settings=Settings(db_path=path))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns, st.lists(st.integers(min_value=0, max_value=24), max_size=4))
def test_one_shots_and_new_sessions_stay_valid_and_safe(stored_skill, sequence, breaks) -> None:
    """Any turn may open a new session (a one-shot request); the store carries over."""
    dialogue = Dialogue(stored_skill, AlexaSession())
    blocked = False
    for index, (name, slots) in enumerate(sequence):
        if index in breaks:
            dialogue.alexa.restart()  # the person comes back later with a one-shot request
        opening = dialogue.alexa.new
        said = dialogue.launch() if name == "LAUNCH" else dialogue.say(name, **slots)
        valid(said, launch=name == "LAUNCH")
        if name in ("PainIntent", "RedFlagIntent", "ChestPainIntent"):
            blocked = True
        elif name in DELIBERATE and not opening:
            blocked = False
        elif blocked:
            # After a pain stop, even a new session checks in before any routine goes on.
            assert said.state != "in_step", (name, said.speech)
            checked_in = not opening or "Last time something hurt" in said
            blocked = not (said.state == "ready" and checked_in)
