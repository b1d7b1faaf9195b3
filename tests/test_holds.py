"""Holds are hands-free with or without hosted audio: whole routines, step by step, in SSML.

Without hosted cues a timed step speaks its instruction, then keeps the microphone closed with
SSML breaks (at most 10 s each) and short spoken counts, then the end of the hold and how to go
on. With hosted cues the step's own cue carries the countdown, so none of that is repeated.
"""

from __future__ import annotations

import re

import pytest

from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import Settings
from tests.support.dialogue import Dialogue

ROUTINES = ["upper_back", "stretching", "self_massage", "shoulder_release"]
BASE_URL = "https://cues.example.com/audio"
_BREAK = re.compile(r'<break time="(\d+)s"/>')


def ssml(said) -> str:
    return said.response["outputSpeech"]["ssml"]


def reprompt_ssml(said) -> str:
    return said.response["reprompt"]["outputSpeech"]["ssml"]


def step_replies(dialogue: Dialogue, routine: str) -> list:
    dialogue.launch()
    said = dialogue.say("StartRoutineIntent", routine=(routine, routine))
    replies = [dialogue.say("AMAZON.NoIntent")]
    while True:
        said = dialogue.say("AMAZON.NextIntent")
        if said.state != "in_step":
            return replies
        replies.append(said)


@pytest.mark.parametrize("routine", ROUTINES)
def test_without_hosted_audio_every_hold_is_silence_with_counts(content, routine: str) -> None:
    dialogue = Dialogue(build_skill(content=content, settings=Settings()), AlexaSession())
    replies = step_replies(dialogue, routine)
    steps = content.routine(routine).steps
    assert len(replies) == len(steps)
    taught = 0
    for step, said in zip(steps, replies, strict=True):
        text = ssml(said)
        breaks = [int(b) for b in _BREAK.findall(text)]
        assert all(1 <= b <= 10 for b in breaks)
        assert "<break" not in reprompt_ssml(said)  # the reprompt never talks over a hold
        assert len(text) < 8000 and sum(breaks) <= 240
        if not step.hold_seconds:
            assert breaks == [] and "more seconds" not in said
            continue
        assert sum(breaks) == step.hold_seconds
        # The instruction comes first, the silence after it, then the end and the question.
        assert text.index(step.say[:20]) < text.index("<break")
        tail = text[text.rindex("<break") :]
        assert re.search(r"(relax|release)", tail) and "next" in tail.lower()
        for left in range(15, step.hold_seconds, 15):
            assert f"{content.numbers.cardinal(left).capitalize()} more seconds." in said.speech
        taught += "Alexa, it hurts" in said
    assert taught == 1  # the first hold teaches the wake word, once


@pytest.mark.parametrize("routine", ROUTINES)
def test_with_hosted_audio_the_step_cue_carries_the_countdown(content, routine: str) -> None:
    settings = Settings(audio_base_url=BASE_URL)
    dialogue = Dialogue(build_skill(content=content, settings=settings), AlexaSession())
    replies = step_replies(dialogue, routine)
    for index, said in enumerate(replies):
        text = ssml(said)
        assert re.search(rf"/step-{routine}-{index + 1}-[0-9a-f]+\.mp3", text)  # its countdown
        assert "<break" not in text and "more seconds" not in said.speech
        assert not re.search(r"\b(And relax|Good, release|Now relax)\b", text)
