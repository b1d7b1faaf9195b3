"""PiperEngine with the real packaged voice: deterministic, paced and hashed by its settings."""

from importlib import metadata

import numpy as np
import pytest

from skill.audio import piper_engine
from skill.audio.assemble import trim_silence
from skill.audio.build import build, cue_hash
from skill.audio.check import check
from skill.audio.encode import encode, resample
from skill.audio.engines import EngineUnavailable
from skill.audio.manifest import MANIFEST_NAME, load_manifest
from skill.audio.piper_engine import PiperEngine, PiperSettings
from skill.cues import CueSpec

PHRASE = "Roll your shoulders back, slowly."


def speech_seconds(pcm):
    return len(trim_silence(resample(pcm.samples, pcm.sample_rate))) / 24000


def test_piper_is_deterministic_down_to_the_mp3_bytes(piper):
    first, again = piper.synthesize(PHRASE), piper.synthesize(PHRASE)
    assert first.sample_rate == 22050 and np.array_equal(first.samples, again.samples)
    assert 1.0 < speech_seconds(first) < 5.0 and np.max(np.abs(first.samples)) > 0.05
    assert encode(*first).data == encode(*again).data


def test_fingerprint_names_versions_voice_and_settings_without_loading_the_voice():
    engine = PiperEngine()
    fingerprint = engine.fingerprint
    assert fingerprint.startswith(
        f"piper-tts {metadata.version('piper-tts')} "
        f"onnxruntime {metadata.version('onnxruntime')} voice=en_US-joe-medium sha256="
    )
    assert fingerprint.endswith(
        "length_scale=1.25 noise_scale=0 noise_w_scale=0 sentence_silence=0.3 pace=140-180wpm"
    )
    assert not engine.loaded  # the no-op rebuild never pays for the model
    for changed in (
        PiperSettings(length_scale=1.1),
        PiperSettings(noise_scale=0.3),
        PiperSettings(noise_w_scale=0.3),
        PiperSettings(sentence_silence=0.5),
        PiperSettings(pace=(130.0, 170.0)),
    ):
        other = PiperEngine(settings=changed).fingerprint
        assert other != fingerprint
        assert cue_hash(CueSpec("a.b", "Hi."), other) != cue_hash(
            CueSpec("a.b", "Hi."), fingerprint
        )


def test_a_voice_given_by_path_is_named_and_hashed_by_its_file(tmp_path):
    packaged = PiperEngine()
    model, digest = packaged.model_and_digest()
    copy = tmp_path / "en_US-joe-copy.onnx"
    copy.symlink_to(model)
    by_path = PiperEngine(copy).fingerprint
    assert f"voice=en_US-joe-copy sha256={digest[:16]} " in by_path  # same bytes, same digest
    with pytest.raises(EngineUnavailable, match="no such Piper voice"):
        PiperEngine(tmp_path / "absent.onnx").fingerprint  # noqa: B018


def test_length_scale_sets_the_pace(piper):
    calm, brisk = (speech_seconds(piper.render(PHRASE, scale)) for scale in (1.25, 1.0))
    assert 1.08 < calm / brisk < 1.35  # phonemes stretch; pauses between words less so


def test_a_line_the_voice_hurries_is_rendered_again_at_a_calm_pace(piper):
    text = "We're not in a routine right now."  # 7 words
    hurried = piper.render(text, piper.settings.length_scale)
    assert 7 / speech_seconds(hurried) * 60 > 185
    calm = piper.synthesize(text)
    assert 140 <= 7 / speech_seconds(calm) * 60 <= 180
    assert np.array_equal(calm.samples, piper.synthesize(text).samples)  # still deterministic
    single = piper.synthesize("three")  # counts are too short to pace
    assert np.array_equal(single.samples, piper.render("three", 1.25).samples)


def test_sentences_are_joined_with_the_sentence_silence(piper):
    two = piper.synthesize("Breathe in. Breathe out.")
    quiet = np.abs(two.samples) < 1e-3
    runs, longest = 0, 0
    for is_quiet in quiet:
        runs = runs + 1 if is_quiet else 0
        longest = max(longest, runs)
    assert longest >= 0.3 * two.sample_rate


def test_missing_extra_says_how_to_install_it(monkeypatch):
    def absent(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(piper_engine.metadata, "distribution", absent)
    with pytest.raises(EngineUnavailable, match=r"make audio.*pip install -e '\.\[voice\]'"):
        PiperEngine().fingerprint  # noqa: B018


def test_parallel_piper_build_matches_the_serial_one_byte_for_byte(tmp_path, piper):
    cues = [
        CueSpec("prompt.welcome", "Welcome back."),
        CueSpec("step.neck.1", "Nod, slowly.", hold_seconds=2, chime=True),
        CueSpec("faq.pop", "A pop is only gas."),
    ]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    build(cues, serial, piper, progress=False, jobs=1)
    report = build(cues, parallel, piper, progress=False, jobs=2)
    assert (serial / MANIFEST_NAME).read_bytes() == (parallel / MANIFEST_NAME).read_bytes()
    manifest = load_manifest(parallel / MANIFEST_NAME)
    assert report.rendered == [manifest[f"en-US/{cue.id}"].file for cue in cues]
    for entry in load_manifest(parallel / MANIFEST_NAME).values():
        assert entry.engine == piper.fingerprint
        assert (serial / entry.file).read_bytes() == (parallel / entry.file).read_bytes()
    assert check(cues, parallel) == []
