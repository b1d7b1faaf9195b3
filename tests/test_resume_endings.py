"""Resume survives every way a session can end, while the store writes only what matters.

Through the real skill and a real SQLite file: the step lives in the session attributes between
durable writes, and whichever way the session ends (stop, cancel, a timeout after the reprompt,
another skill, an error) the next launch offers to pick up exactly there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.writes import CountingAdapter, whole_routine
from skill.content import Content
from skill.envelopes import AlexaSession
from skill.factory import build_skill, sqlite_adapter
from skill.keeper import MEMORY_KEY
from skill.settings import Settings
from tests.support.dialogue import Dialogue, Said


def _ended(reason: str, error: dict[str, str] | None = None) -> Callable[[Dialogue], Any]:
    def end(person: Dialogue) -> Any:
        envelope = person.alexa.session_ended(reason)
        if error:
            envelope["request"]["error"] = error
        said = person.send(envelope)
        assert "outputSpeech" not in said.response  # a SessionEndedRequest gets no speech
        return said

    return end


ENDINGS: dict[str, Callable[[Dialogue], Any]] = {
    "stop": lambda person: person.say("AMAZON.StopIntent"),
    "cancel": lambda person: person.say("AMAZON.CancelIntent"),
    "timeout after the reprompt": _ended("EXCEEDED_MAX_REPROMPTS"),
    "another skill, or the person leaving": _ended("USER_INITIATED"),
    "an error": _ended("ERROR", {"type": "INVALID_RESPONSE", "message": "speech too long"}),
    "pause, then stop": lambda person: (
        person.say("AMAZON.PauseIntent"),
        person.say("AMAZON.StopIntent"),
    ),
    "pause, then silence": lambda person: (
        person.say("AMAZON.PauseIntent"),
        _ended("EXCEEDED_MAX_REPROMPTS")(person),
    ),
}


@pytest.fixture
def store(tmp_path: Path) -> CountingAdapter:
    return CountingAdapter(sqlite_adapter(tmp_path / "progress.sqlite3"))


@pytest.fixture
def person(store: CountingAdapter) -> Dialogue:
    return Dialogue(build_skill(persistence=store, settings=Settings()), AlexaSession())


@pytest.mark.parametrize("ending", list(ENDINGS), ids=list(ENDINGS))
def test_resume_after_every_way_a_session_ends(person, store, ending):
    person.start()
    writes = store.writes
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.NextIntent")
    assert store.writes == writes  # steps live in the session until it ends
    ENDINGS[ending](person)
    assert store.writes == writes + 1  # ...and the end is written once
    said = person.launch()
    assert "stopped at step three of the upper back routine" in said
    assert "step three of five" in person.say("AMAZON.YesIntent")


def test_turns_in_the_middle_of_a_routine_read_nothing_from_the_store(person, store):
    person.start()
    reads = store.reads
    for intent in ("AMAZON.NextIntent", "AMAZON.RepeatIntent", "AMAZON.HelpIntent"):
        person.say(intent)
    assert store.reads == reads  # what the store remembers rides in the session attributes
    assert MEMORY_KEY in person.alexa.attributes


@pytest.mark.parametrize("odd", ["garbage", {"known": "yes"}, {}, None, [1, 2]])
def test_odd_carried_memory_is_read_again_from_the_store(person, store, odd):
    person.start()
    person.say("AMAZON.NextIntent")
    person.alexa.attributes[MEMORY_KEY] = odd
    reads = store.reads
    said = person.say("AMAZON.NextIntent")
    assert "step three" in said and store.reads == reads + 1


def test_an_ending_outside_a_routine_writes_nothing(person, store):
    person.launch()
    writes = store.writes
    _ended("EXCEEDED_MAX_REPROMPTS")(person)
    person.launch()
    person.say("AMAZON.StopIntent")
    assert store.writes == writes


def test_a_whole_routine_writes_only_the_moments_that_decide_the_next_session(person, store):
    whole_routine(person)  # first visit: known from now on, the screening answer, the finish
    assert store.writes == 3
    whole_routine(person)  # the same day: the finish alone
    assert store.writes == 4


# -- in every state of a routine, every ending --------------------------------------------------

MOVES = st.sampled_from(
    [
        "AMAZON.NextIntent",
        "AMAZON.PreviousIntent",
        "AMAZON.RepeatIntent",
        "AMAZON.PauseIntent",
        "AMAZON.ResumeIntent",
        "AMAZON.HelpIntent",
        "AMAZON.FallbackIntent",
        "FaqIntent",
    ]
)


FAQ_SLOTS = {"topic": ("is it safe to crack my back", "crack_safety")}


def _step_of(said: Said) -> tuple[str | None, int]:
    state = (said.raw.get("sessionAttributes") or {}).get("workoutPlanner", {})
    return state.get("routine_id"), state.get("step_index", 0)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=st.lists(MOVES, max_size=8), ending=st.sampled_from(list(ENDINGS)))
def test_wherever_a_routine_stands_every_ending_resumes_there(
    tmp_path_factory, content: Content, moves, ending
):
    store = sqlite_adapter(tmp_path_factory.mktemp("db") / "progress.sqlite3")
    person = Dialogue(build_skill(persistence=store, settings=Settings()), AlexaSession())
    said = person.start()
    routine = content.routine(_step_of(said)[0])
    assert routine is not None
    for move in moves:
        if move == "AMAZON.NextIntent" and _step_of(said)[1] == len(routine.steps) - 1:
            move = "AMAZON.RepeatIntent"  # finishing is not leaving
        slots = (
            {"topic": ("is it safe to crack my back", "crack_safety")}
            if move == "FaqIntent"
            else {}
        )
        said = person.say(move, **slots)
    _, step = _step_of(said)
    ENDINGS[ending](person)
    offer = person.launch()
    number = content.numbers.cardinal(step + 1)
    assert f"stopped at step {number} of the {routine.name} routine" in offer
