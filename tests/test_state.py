"""Session state survives the round trip through Alexa, and garbage never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.state import ATTRIBUTE_KEY, SESSION_VERSION, Screening, SessionState, State


def test_round_trip_through_json() -> None:
    state = SessionState(
        state=State.ASIDE,
        routine_id="upper_back",
        step_index=2,
        faq_topic="benefits",
        screening=Screening.NO,
    )
    attributes = json.loads(json.dumps(state.to_attributes()))
    assert attributes[ATTRIBUTE_KEY]["version"] == SESSION_VERSION
    assert SessionState.from_attributes(attributes) == state


def good(**changes: object) -> dict:
    raw = SessionState(state=State.IN_STEP, routine_id="upper_back").to_attributes()
    raw[ATTRIBUTE_KEY].update(changes)
    return raw


@pytest.mark.parametrize(
    "attributes",
    [
        None,
        {},
        {"workoutPlanner": "in_step"},
        {"workoutPlanner": []},
        good(version=2),
        good(version="1"),
        good(state="dancing"),
        good(state=None),
        good(step_index=-1),
        good(step_index="2"),
        good(step_index=True),
        good(routine_id=5),
        good(screening="maybe"),
        good(faq_topic=["a"]),
    ],
)
def test_corrupt_attributes_recover_to_a_safe_state(attributes) -> None:
    state = SessionState.from_attributes(attributes)
    assert state.state is State.READY
    assert not state.in_routine


def test_a_good_screening_answer_survives_a_corrupt_step() -> None:
    state = SessionState.from_attributes(good(step_index="x", screening="yes"))
    assert state.screening is Screening.YES


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from([ATTRIBUTE_KEY, "other"]), json_values))
def test_from_attributes_never_raises(attributes) -> None:
    assert isinstance(SessionState.from_attributes(attributes), SessionState)
