import numpy as np
import pytest

from skill.audio.encode import encode
from skill.audio.engines import EngineUnavailable, EspeakEngine


def test_espeak_is_deterministic_down_to_the_mp3_bytes(espeak, phrase):
    again = espeak.synthesize("Roll your shoulders back, slowly.")
    assert again.sample_rate == phrase.sample_rate and np.array_equal(again.samples, phrase.samples)
    assert encode(*phrase).data == encode(*again).data


def test_espeak_fingerprint_carries_version_voice_speed_and_pitch(espeak):
    assert espeak.fingerprint.startswith("eSpeak NG text-to-speech: ")
    assert espeak.fingerprint.endswith("voice=en-us speed=150 pitch=45")
    assert EspeakEngine(speed=170).fingerprint != espeak.fingerprint


def test_text_starting_with_a_dash_is_spoken_not_parsed_as_an_option(espeak):
    pcm = espeak.synthesize("-v is not an option here")
    assert len(pcm.samples) > pcm.sample_rate and np.max(np.abs(pcm.samples)) > 0.05


def test_missing_program_is_engine_unavailable():
    with pytest.raises(EngineUnavailable, match="apt-get install espeak-ng"):
        EspeakEngine(program="espeak-ng-not-installed").synthesize("Hello.")
