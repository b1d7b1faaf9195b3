import re
import time

import numpy as np
import pytest

from skill.audio import tones
from skill.audio.assemble import assemble
from skill.audio.build import BuildError, build, cue_file_name, cue_hash
from skill.audio.check import check
from skill.audio.encode import SAMPLE_RATE, decode_mp3
from skill.audio.engines import EngineUnavailable
from skill.audio.manifest import MANIFEST_NAME, load_manifest
from skill.audio.mp3check import scan_frames
from skill.cues import CueSpec

CUES = [
    CueSpec("prompt.welcome", "Welcome back."),
    CueSpec("step.upper_back.3", "Hug yourself.", hold_seconds=2, chime=True),
    CueSpec("faq.crack_safety", "A gentle crack is harmless."),
]


@pytest.fixture(scope="module")
def built_once(tmp_path_factory, espeak):
    out = tmp_path_factory.mktemp("built")
    report = build(CUES, out, espeak, progress=False)
    assert len(report.rendered) == len(CUES) and report.cues == len(CUES)
    return out


def mp3_names(directory):
    return sorted(p.name for p in directory.glob("*.mp3"))


def test_build_renders_every_cue_and_writes_the_manifest(built, espeak):
    manifest = load_manifest(built / MANIFEST_NAME)
    assert sorted(manifest) == sorted(f"en-US/{c.id}" for c in CUES)
    for cue in CUES:
        entry = manifest[f"en-US/{cue.id}"]
        assert entry.text == cue.text and entry.engine == espeak.fingerprint
        assert entry.hash == cue_hash(cue, espeak.fingerprint)
        assert entry.file == cue_file_name(cue.id, entry.hash)
        assert re.fullmatch(re.escape(cue.id.replace(".", "-")) + r"-[0-9a-f]{12}\.mp3", entry.file)
        scan = scan_frames((built / entry.file).read_bytes())
        assert entry.duration_seconds == pytest.approx(scan.duration_seconds, abs=1e-3)
    assert mp3_names(built) == sorted(manifest.files)
    assert check(CUES, built) == []


def test_noop_rebuild_renders_nothing_and_is_fast(built, counting_engine):
    manifest_before = (built / MANIFEST_NAME).stat().st_mtime_ns
    started = time.perf_counter()
    report = build(CUES, built, counting_engine, progress=False)
    assert time.perf_counter() - started < 0.5
    assert counting_engine.spoken == []
    assert report.rendered == [] and report.removed == [] and len(report.kept) == len(CUES)
    assert (built / MANIFEST_NAME).stat().st_mtime_ns == manifest_before  # not even rewritten
    assert report.summary().startswith("rendered 0, kept 3, removed 0 in ")
    assert report.summary().endswith(" s (3 cues of 1 locale(s) in 3 files)")


def test_changed_text_rerenders_only_that_cue_and_removes_its_old_file(built, counting_engine):
    old_file = load_manifest(built / MANIFEST_NAME)["en-US/prompt.welcome"].file
    changed = [CueSpec("prompt.welcome", "Welcome back, friend."), *CUES[1:]]
    report = build(changed, built, counting_engine, progress=False)
    assert counting_engine.spoken == ["Welcome back, friend."]
    new_file = load_manifest(built / MANIFEST_NAME)["en-US/prompt.welcome"].file
    assert report.rendered == [new_file] and report.removed == [old_file]
    assert not (built / old_file).exists()
    assert check(changed, built) == []


def test_removed_cue_loses_its_file(built, counting_engine):
    report = build(CUES[:2], built, counting_engine, progress=False)
    assert counting_engine.spoken == [] and len(report.removed) == 1
    assert sorted(load_manifest(built / MANIFEST_NAME)) == sorted(f"en-US/{c.id}" for c in CUES[:2])


def test_engine_failing_mid_build_leaves_the_previous_manifest(built, failing_engine):
    before = (built / MANIFEST_NAME).read_bytes()
    files_before = mp3_names(built)
    changed = [CueSpec(c.id, c.text + " Again.", c.hold_seconds, c.chime) for c in CUES]
    engine = failing_engine(ok_calls=1)
    with pytest.raises(EngineUnavailable):
        build(changed, built, engine, progress=False)
    assert (built / MANIFEST_NAME).read_bytes() == before
    assert set(files_before) <= set(mp3_names(built))  # the manifest's files are all still there
    assert not list(built.glob(".*.tmp"))
    # The one cue rendered before the failure is an orphan until the next build adopts it.
    assert len(mp3_names(built)) == len(files_before) + 1
    assert any("orphan file" in p for p in check(CUES, built))
    retry = failing_engine(ok_calls=99)
    report = build(changed, built, retry, progress=False)
    assert len(retry.spoken) == 2 and len(report.kept) == 1
    assert check(changed, built) == []


def test_broken_manifest_is_rebuilt_without_rendering_again(built, counting_engine):
    (built / MANIFEST_NAME).write_text("{ broken")
    [problem] = check(CUES, built)
    assert problem.startswith(f"{built / MANIFEST_NAME}: cannot read the manifest")
    report = build(CUES, built, counting_engine, progress=False)
    assert counting_engine.spoken == [] and len(report.kept) == len(CUES)
    assert check(CUES, built) == []


def test_check_reports_missing_stale_and_orphan_cues(built):
    (built / "stray-cue-000000000000.mp3").write_bytes(b"not audio")
    content = [
        CueSpec("prompt.welcome", "Welcome back!"),  # text changed: stale
        CueSpec("step.upper_back.3", "Hug yourself.", hold_seconds=3, chime=True),  # stale hold
        CueSpec("prompt.goodbye", "Goodbye."),  # never built: missing
    ]  # faq.crack_safety is no longer content: orphan entry
    problems = check(content, built)
    assert "cue 'en-US/prompt.welcome' is stale (its content changed)" in problems[0]
    assert "cue 'en-US/step.upper_back.3' is stale" in "\n".join(problems)
    assert any("cue 'en-US/prompt.goodbye' is missing" in p for p in problems)
    assert any(
        "cue 'en-US/faq.crack_safety' is in the manifest but not in the content" in p
        for p in problems
    )
    assert any(
        p.endswith("stray-cue-000000000000.mp3: not in the manifest (orphan file)")
        for p in problems
    )
    assert len(problems) == 5


def test_check_runs_mp3check_on_every_file_and_needs_a_manifest(built, tmp_path_factory):
    entry = load_manifest(built / MANIFEST_NAME)["en-US/prompt.welcome"]
    data = (built / entry.file).read_bytes()
    (built / entry.file).write_bytes(data[:-40])
    assert any(f"{entry.file}: truncated" in p for p in check(CUES, built))
    (built / entry.file).unlink()
    assert any("missing file for cue 'en-US/prompt.welcome'" in p for p in check(CUES, built))
    empty = tmp_path_factory.mktemp("empty")
    assert check(CUES, empty) == [
        f"{empty / MANIFEST_NAME}: no manifest; run: workout-planner audio build"
    ]


def test_hold_cue_is_longer_than_its_speech_by_about_the_hold(built, espeak):
    hold = load_manifest(built / MANIFEST_NAME)["en-US/step.upper_back.3"]
    plain_dir = built.parent / "plain"
    build([CueSpec("step.upper_back.3", "Hug yourself.")], plain_dir, espeak, progress=False)
    speech = load_manifest(plain_dir / MANIFEST_NAME)["en-US/step.upper_back.3"].duration_seconds
    chime_seconds = len(tones.chime()) / SAMPLE_RATE
    extra = hold.duration_seconds - speech - chime_seconds
    assert 2 <= extra <= 2 + 1.5  # 2 s of ticks, a short pause and the end tone
    pcm = decode_mp3((built / hold.file).read_bytes())
    end = pcm.samples[-int(0.8 * SAMPLE_RATE) :]
    assert _dominant_hz(end) == pytest.approx(523, abs=15)  # ends with the end tone


def test_chime_cue_starts_with_the_chime(built, espeak):
    cue = CUES[1]
    audio = assemble(cue, espeak.synthesize(cue.text))
    chime = tones.chime(SAMPLE_RATE)
    assert np.allclose(audio[: len(chime)], chime)
    entry = load_manifest(built / MANIFEST_NAME)[f"en-US/{cue.id}"]
    pcm = decode_mp3((built / entry.file).read_bytes())
    start = np.flatnonzero(np.abs(pcm.samples) > 0.01)[0]
    head = pcm.samples[start : start + int(0.15 * SAMPLE_RATE)]
    assert _dominant_hz(head) == pytest.approx(659, abs=15)  # the chime's first note


@pytest.mark.parametrize(
    ("cues", "message"),
    [
        ([CueSpec("a.b", "x"), CueSpec("a.b", "y")], "appears twice"),
        ([CueSpec("a/b", "x")], "ids are dotted words"),
        ([CueSpec("a-b", "x")], "ids are dotted words"),
        ([CueSpec("a.b", "  ")], "text is empty"),
        ([CueSpec("a.b", "x", hold_seconds=0)], "hold_seconds"),
    ],
)
def test_invalid_cues_are_refused_before_rendering(tmp_path, counting_engine, cues, message):
    with pytest.raises(BuildError, match=message):
        build(cues, tmp_path, counting_engine, progress=False)
    assert counting_engine.spoken == [] and not (tmp_path / MANIFEST_NAME).exists()


def test_no_progress_bar_when_not_a_terminal(tmp_path, espeak, capsys):
    build(CUES[:2], tmp_path, espeak, progress=True)
    assert capsys.readouterr().err == ""


def _dominant_hz(wave):
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave)), n=1 << 16))
    return float(np.argmax(spectrum) * SAMPLE_RATE / (1 << 16))
