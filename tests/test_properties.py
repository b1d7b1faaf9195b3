"""Random conversations through the real skill: safety and validity hold whatever people say."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.intents import INTENT_EVENTS
from skill.settings import Settings
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


def valid(said: Said) -> None:
    response = said.response
    assert "outputSpeech" in response and response["outputSpeech"]["ssml"].startswith("<speak>")
    assert len(response["outputSpeech"]["ssml"]) < 8000
    assert said.card.get("content")
    if not said.ended:
        assert said.reprompt, "an open session needs a reprompt"


#: What counts as deliberately beginning again after something hurt.
DELIBERATE = {"LAUNCH", "StartRoutineIntent", "AMAZON.StartOverIntent", "AMAZON.YesIntent"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_random_conversations_stay_valid_and_safe(sequence) -> None:
    dialogue = Dialogue(SKILL, AlexaSession())
    dialogue.launch()
    blocked = False  # something hurt, and nobody has deliberately started again since
    for name, slots in sequence:
        said = dialogue.launch() if name == "LAUNCH" else dialogue.say(name, **slots)
        valid(said)
        if name == "PainIntent":
            assert said.state == "pain_stopped"
            assert "healthcare professional" in said.speech
            blocked = True
        elif name in DELIBERATE or said.ended:
            blocked = False
        elif blocked:
            assert said.state != "in_step", "the routine must not continue after pain"
