"""The committed cues match the content and Alexa's rules, and every reply of every whole
routine stays within Alexa's response limits when it plays them."""

from __future__ import annotations

import json
import logging
import re

import pytest

from skill.audio.check import check
from skill.audio.cli import locale_cues
from skill.audio.manifest import load_manifest
from skill.audio.piper_engine import PiperEngine
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import DEFAULT_AUDIO_DIR, Settings
from tests.support.dialogue import Dialogue, Said

BASE_URL = "https://cues.example.com/audio"


LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]


def other_locales_cues() -> dict[str, list]:
    return {locale: cues for locale, (cues, _) in locale_cues().items() if locale != "en-US"}


def test_committed_audio_passes_audio_check_in_every_locale(content) -> None:
    assert check(content.cue_specs(), DEFAULT_AUDIO_DIR, other_locales_cues()) == []


def test_every_locale_lists_every_cue_and_shares_the_files_of_equal_texts(content) -> None:
    manifest = load_manifest(DEFAULT_AUDIO_DIR / "manifest.json")
    bundles = locale_cues()
    assert sorted(bundles) == sorted(LOCALES)
    assert set(manifest) == {
        f"{loc}/{cue.id}" for loc, (cues, _) in bundles.items() for cue in cues
    }
    base = {cue.id: cue for cue in content.cue_specs()}
    own = 0
    for locale, (cues, _) in bundles.items():
        for cue in cues:
            shares = manifest.cues[f"{locale}/{cue.id}"] == manifest.cues[f"en-US/{cue.id}"]
            assert shares == (base[cue.id] == cue), f"{locale}/{cue.id}"
            own += not shares
    assert own > 0 and len(manifest.files) == len(base) + own
    gb, us = manifest["en-GB/prompt.chest_pain"], manifest["en-US/prompt.chest_pain"]
    assert gb.file != us.file and "nine nine nine" in gb.text


def test_every_committed_cue_is_piper_as_make_audio_renders_it() -> None:
    """So `make audio` after a content change re-renders only the cues whose text changed."""
    manifest = load_manifest(DEFAULT_AUDIO_DIR / "manifest.json")
    voice = PiperEngine().fingerprint
    assert {described.engine for described in manifest.files.values()} == {voice}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_plays_its_own_emergency_cue(locale) -> None:
    from skill.content import load_content

    local = load_content(locale)
    manifest = load_manifest(DEFAULT_AUDIO_DIR / "manifest.json")
    entry = manifest[f"{locale}/prompt.chest_pain"]
    assert entry.text == local.prompt("chest_pain").text
    skill = build_skill(settings=Settings(audio_base_url=BASE_URL))
    dialogue = Dialogue(skill, AlexaSession(locale=locale))
    said = dialogue.say("ChestPainIntent")
    assert f'<audio src="{BASE_URL}/{entry.file}"/>' in said.response["outputSpeech"]["ssml"]


def test_an_old_manifest_is_refused_and_replies_speak_their_words(tmp_path, caplog) -> None:
    """Version 1 keyed en-US's cues without a locale: the skill names it and speaks text."""
    entry = {"file": "prompt-chest_pain-2dff2e5798c5.mp3", "text": "x", "duration_seconds": 5}
    old = {"version": 1, "cues": {"prompt.chest_pain": entry}}
    (tmp_path / "manifest.json").write_text(json.dumps(old), encoding="utf-8")
    settings = Settings(audio_base_url=BASE_URL, audio_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="skill.factory"):
        skill = build_skill(settings=settings)
    [record] = [
        r for r in caplog.records if r.getMessage() == "audio manifest unusable; speaking text"
    ]
    assert record.error.startswith(
        f"{tmp_path / 'manifest.json'}: field 'version' must be 2, got 1 "
    )
    said = Dialogue(skill, AlexaSession(locale="en-GB")).say("ChestPainIntent")
    ssml = said.response["outputSpeech"]["ssml"]
    assert "<audio" not in ssml and "nine nine nine" in ssml


def within_limits(said: Said, durations: dict[str, float]) -> set[str]:
    """The reply keeps Alexa's limits; returns the cue files it plays."""
    played = set()
    assert len(json.dumps(said.raw).encode()) <= 120 * 1024
    for key, budget in (("outputSpeech", 240.0), ("reprompt", 90.0)):
        node = said.response.get(key, {})
        ssml = node.get("ssml") or node.get("outputSpeech", {}).get("ssml") or ""
        assert len(ssml) < 8000
        files = re.findall(r'<audio src="' + re.escape(BASE_URL) + r'/([^"]+)"', ssml)
        assert len(files) <= 5
        assert sum(durations[f] for f in files) <= budget
        played.update(files)
    return played


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "routine", ["upper_back", "stretching", "self_massage", "shoulder_release"]
)
def test_every_reply_of_a_whole_routine_plays_cues_within_limits(locale, routine) -> None:
    from skill.content import load_content

    manifest = load_manifest(DEFAULT_AUDIO_DIR / "manifest.json")
    durations = {name: described.duration_seconds for name, described in manifest.files.items()}
    hosted = Dialogue(
        build_skill(settings=Settings(audio_base_url=BASE_URL)), AlexaSession(locale=locale)
    )
    replies = [hosted.launch(), hosted.say("StartRoutineIntent", routine=(routine, routine))]
    replies.append(hosted.say("AMAZON.NoIntent"))
    replies.append(hosted.say("FaqIntent", topic=("see a doctor", "see_doctor")))
    for _ in load_content(locale).routine(routine).steps:
        replies.append(hosted.say("FaqIntent", topic=("risks", "risks")))
        replies.append(hosted.say("AMAZON.RepeatIntent"))
        replies.append(hosted.say("AMAZON.HelpIntent"))
        replies.append(hosted.say("AMAZON.NextIntent"))
    replies.append(hosted.say("PainIntent"))
    replies.append(hosted.say("AMAZON.StopIntent"))
    played = set()
    for said in replies:
        played |= within_limits(said, durations)
    step_reply = replies[2].response["outputSpeech"]["ssml"]
    assert step_reply.count("<audio") >= 2  # the intro and the step play as cues
    # Only this locale's cue ids play: its own files where it words a line its own way.
    mine = {name for key, name in manifest.cues.items() if key.startswith(f"{locale}/")}
    assert played <= mine
    doctor = manifest[f"{locale}/faq.see_doctor"].file
    assert doctor in played and (doctor == manifest["en-US/faq.see_doctor"].file) == (
        locale == "en-US"
    )
