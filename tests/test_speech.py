"""Rendering replies to SSML within Alexa's limits."""

from __future__ import annotations

import re

import pytest

from skill.reply import Line
from skill.speech import HostedCue, SpeechRenderer

CUES = {f"en-US/c{i}": HostedCue(f"c{i}-abc.mp3", 60.0) for i in range(10)}
BASE = "https://cdn.example.com/audio"


def test_without_hosting_everything_is_spoken_text() -> None:
    ssml = SpeechRenderer(CUES, None).ssml([Line("Hello & welcome <friend>", "c0")])
    assert ssml == "<speak>Hello &amp; welcome &lt;friend&gt;</speak>"


def test_hosted_cues_play_as_audio() -> None:
    ssml = SpeechRenderer(CUES, BASE).ssml([Line("one", "c0"), Line("dynamic text")])
    assert ssml == f'<speak><audio src="{BASE}/c0-abc.mp3"/> dynamic text</speak>'


def test_at_most_five_audio_tags_then_text() -> None:
    lines = [Line(f"line {i}", f"c{i}") for i in range(7)]
    ssml = SpeechRenderer({k: HostedCue(v.file, 1.0) for k, v in CUES.items()}, BASE).ssml(lines)
    assert ssml.count("<audio") == 5 and "line 5" in ssml and "line 6" in ssml


@pytest.mark.parametrize(("reprompt", "budget"), [(False, 240), (True, 90)])
def test_audio_seconds_stay_within_budget(reprompt: bool, budget: int) -> None:
    lines = [Line(f"line {i}", f"c{i}") for i in range(5)]
    ssml = SpeechRenderer(CUES, BASE).ssml(lines, reprompt=reprompt)
    assert len(re.findall("<audio", ssml)) * 60 <= budget
    assert "line 4" in ssml  # the rest is still said


def test_overlong_speech_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        SpeechRenderer().ssml([Line("x" * 8000)])


def test_a_cue_that_says_other_words_is_not_played() -> None:
    """A file rendered for other words (another locale's, or stale) never stands in for a line."""
    cues = {"en-US/prompt.chest_pain": HostedCue("chest.mp3", 3.0, "Call nine one one right away.")}
    renderer = SpeechRenderer(cues, BASE)
    assert "<audio" in renderer.ssml([Line("Call nine one one right away.", "prompt.chest_pain")])
    british = renderer.ssml([Line("Call nine nine nine right away.", "prompt.chest_pain")])
    assert "<audio" not in british and "Call nine nine nine right away." in british


def test_each_locale_plays_its_own_cue_ids() -> None:
    """A reply in en-GB plays en-GB's cue ids: its own file, or the base's where they share one."""
    chest_us = HostedCue("chest.mp3", 3.0, "Call nine one one right away.")
    welcome = HostedCue("welcome.mp3", 2.0, "Welcome.")
    cues = {
        "en-US/prompt.chest_pain": chest_us,
        "en-GB/prompt.chest_pain": HostedCue("chest-gb.mp3", 3.0, "Call nine nine nine now."),
        "en-US/prompt.welcome": welcome,
        "en-GB/prompt.welcome": welcome,
        "en-US/prompt.goodbye": HostedCue("bye.mp3", 1.0, "Bye."),
    }
    renderer = SpeechRenderer(cues, BASE)
    british = renderer.for_locale("en-GB")
    gb = british.ssml([Line("Call nine nine nine now.", "prompt.chest_pain")])
    assert gb == f'<speak><audio src="{BASE}/chest-gb.mp3"/></speak>'
    assert "welcome.mp3" in british.ssml([Line("Welcome.", "prompt.welcome")])
    # en-GB lists no prompt.goodbye: it is spoken, never borrowed from another locale's ids.
    assert british.ssml([Line("Bye.", "prompt.goodbye")]) == "<speak>Bye.</speak>"
    us = renderer.for_locale("en-US").ssml(
        [Line("Call nine one one right away.", "prompt.chest_pain")]
    )
    assert "chest.mp3" in us and "chest-gb" not in us
    assert (
        renderer.ssml([Line("Bye.", "prompt.goodbye")])
        == f'<speak><audio src="{BASE}/bye.mp3"/></speak>'
    )
    assert british.cue_seconds(Line("Call nine one one right away.", "prompt.chest_pain")) is None
