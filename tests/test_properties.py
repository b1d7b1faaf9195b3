"""Random conversations through the real skill: safety and validity hold whatever people say,
in every locale (each test runs once per bundled locale, checked against that locale's bundle).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.content import Content, bundled_locales, load_content
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.intents import INTENT_EVENTS
from skill.settings import Settings
from tests.support import budgets
from tests.support.dialogue import Dialogue, Said

SKILL = build_skill(settings=Settings())
LOCALES = bundled_locales()
#: Examples per locale and test: every locale is exercised on every run, each with 60% of what
#: en-US alone had (200, 150, 120): three times the examples in all, a few seconds more a run.
EXAMPLES = {"random": 120, "yes_no": 90, "one_shots": 72}
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


def valid(said: Said, *, launch: bool, locale: str) -> None:
    response = said.response
    assert "outputSpeech" in response and response["outputSpeech"]["ssml"].startswith("<speak>")
    assert len(response["outputSpeech"]["ssml"]) < 8000
    assert said.card.get("content")
    if not said.ended:
        assert said.reprompt, "an open session needs a reprompt"
    problem = budgets.over_budget(
        said.speech,
        launch=launch,
        first=budgets.first_launch(said.speech, locale),
        open_session=not said.ended,
    )
    assert problem is None, problem


#: What counts as deliberately beginning again after something hurt. Not "yes": a yes answers a
#: question, and nothing in the pain-stopped state asks whether to carry on.
DELIBERATE = {"LAUNCH", "StartRoutineIntent", "AMAZON.StartOverIntent"}


def said_any(said: Said, content: Content, *keys: str) -> bool:
    """Whether the reply says one wording of one of the prompts ``keys`` of ``content``."""
    return any(wording in said for key in keys for wording in content.prompts[key])


@pytest.mark.parametrize("locale", LOCALES)
@settings(
    max_examples=EXAMPLES["random"], deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(sequence=turns)
def test_random_conversations_stay_valid_and_safe(locale: str, sequence) -> None:
    content = load_content(locale)
    dialogue = Dialogue(SKILL, AlexaSession(locale=locale))
    dialogue.launch()
    blocked = False  # something hurt, and nobody has deliberately started again since
    for name, slots in sequence:
        said = dialogue.launch() if name == "LAUNCH" else dialogue.say(name, **slots)
        valid(said, launch=name == "LAUNCH", locale=locale)
        if name in ("ChestPainIntent", "RedFlagIntent"):
            # Whatever the state, the urgent advice names this locale's emergency number.
            assert content.facts.emergency_number_said in said.speech, said.speech
        if name == "PainIntent":
            assert said.state == "pain_stopped"
            assert said_any(said, content, "pain_stop", "pain_guidance"), said.speech
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


@pytest.mark.parametrize("locale", LOCALES)
@settings(
    max_examples=EXAMPLES["yes_no"], deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(sequence=turns)
def test_a_yes_or_no_answers_only_the_question_just_asked(locale: str, sequence) -> None:
    dialogue = Dialogue(SKILL, AlexaSession(locale=locale))
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


@pytest.mark.parametrize("locale", LOCALES)
@settings(
    max_examples=EXAMPLES["one_shots"], deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(sequence=turns, breaks=st.lists(st.integers(min_value=0, max_value=24), max_size=4))
def test_one_shots_and_new_sessions_stay_valid_and_safe(
    stored_skill, locale: str, sequence, breaks
) -> None:
    """Any turn may open a new session (a one-shot request); the store carries over."""
    content = load_content(locale)
    dialogue = Dialogue(stored_skill, AlexaSession(locale=locale))
    blocked = False
    for index, (name, slots) in enumerate(sequence):
        if index in breaks:
            dialogue.alexa.restart()  # the person comes back later with a one-shot request
        opening = dialogue.alexa.new
        said = dialogue.launch() if name == "LAUNCH" else dialogue.say(name, **slots)
        valid(said, launch=name == "LAUNCH", locale=locale)
        if name in ("PainIntent", "RedFlagIntent", "ChestPainIntent"):
            blocked = True
        elif name in DELIBERATE and not opening:
            blocked = False
        elif blocked:
            # After a pain stop, even a new session checks in before any routine goes on.
            assert said.state != "in_step", (name, said.speech)
            checked_in = not opening or said_any(said, content, "pain_checkin")
            blocked = not (said.state == "ready" and checked_in)
