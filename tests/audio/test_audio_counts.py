"""Spoken counts over a hold's last ticks ("three, two, one"), within Alexa's loudness rules."""

import numpy as np
import pytest

from skill.audio import tones
from skill.audio.assemble import counted_hold
from skill.audio.build import BuildError, build, cue_hash
from skill.audio.check import check
from skill.audio.encode import SAMPLE_RATE, decode_mp3
from skill.audio.manifest import MANIFEST_NAME, load_manifest
from skill.cues import CueSpec

COUNTS = ("three", "two", "one")
HOLD = CueSpec("step.neck.2", "Hold it there.", hold_seconds=5, chime=True, counts=COUNTS)


def rms(samples):
    return float(np.sqrt(np.mean(np.square(samples))))


def test_counts_sound_over_the_last_ticks_only(espeak):
    hold = counted_hold(5, [espeak.synthesize(word) for word in COUNTS])
    plain = tones.countdown(5, SAMPLE_RATE)
    assert len(hold) == len(plain) == 5 * SAMPLE_RATE  # the hold keeps its length
    seconds = hold.reshape(5, SAMPLE_RATE)
    assert np.allclose(seconds[:2], plain.reshape(5, SAMPLE_RATE)[:2])  # ticks alone at first
    for second in (2, 3, 4):  # each count starts on its tick and is far louder than a tick
        assert rms(seconds[second]) > 4 * rms(plain[:SAMPLE_RATE])
        assert np.abs(seconds[second][: SAMPLE_RATE // 10]).max() > 0.05
        assert np.abs(seconds[second][-SAMPLE_RATE // 20 :]).max() < 0.01  # and ends within it


def test_counted_hold_cue_meets_the_rules_and_ends_with_the_end_tone(tmp_path, counting_engine):
    plain = CueSpec(HOLD.id, HOLD.text, HOLD.hold_seconds, chime=True)
    assert cue_hash(HOLD, "x") != cue_hash(plain, "x")  # counts are part of the hash
    other = CueSpec("step.neck.3", "And again.", hold_seconds=4, counts=COUNTS)
    report = build([HOLD, other, CueSpec("prompt.hi", "Hi.")], tmp_path, counting_engine)
    assert len(report.rendered) == 3
    # Every count word is spoken once per build, however many holds use it.
    assert sorted(counting_engine.spoken) == sorted([*COUNTS, HOLD.text, other.text, "Hi."])
    assert check([HOLD, other, CueSpec("prompt.hi", "Hi.")], tmp_path) == []  # -14 LUFS, -2 dBTP
    entry = load_manifest(tmp_path / MANIFEST_NAME)[f"en-US/{HOLD.id}"]
    pcm = decode_mp3((tmp_path / entry.file).read_bytes())
    end_tone = len(tones.end_tone()) + int(0.05 * SAMPLE_RATE)
    last_second = pcm.samples[-end_tone - SAMPLE_RATE : -end_tone]
    first_tick_second = pcm.samples[-end_tone - 5 * SAMPLE_RATE : -end_tone - 4 * SAMPLE_RATE]
    assert rms(last_second) > 4 * rms(first_tick_second)  # "one" is heard at the end


@pytest.mark.parametrize(
    ("cue", "message"),
    [
        (CueSpec("a.b", "x", counts=("one",)), "counts need a hold"),
        (CueSpec("a.b", "x", hold_seconds=2, counts=("two", "one")), "counts need a hold"),
        (CueSpec("a.b", "x", hold_seconds=5, counts=(" ",)), "a count is empty"),
    ],
)
def test_bad_counts_are_refused_before_rendering(tmp_path, counting_engine, cue, message):
    with pytest.raises(BuildError, match=message):
        build([cue], tmp_path, counting_engine, progress=False)
    assert counting_engine.spoken == []


@pytest.mark.parametrize(
    ("hold", "counts"),
    [(None, ()), (1, ()), (2, ("one",)), (3, ("two", "one")), (30, COUNTS)],
)
def test_the_content_counts_the_last_seconds_of_every_hold(content, hold, counts):
    assert content.spoken_counts(hold) == counts


def test_every_hold_in_the_content_is_counted(content):
    holds = [cue for cue in content.cue_specs() if cue.hold_seconds]
    assert holds and all(cue.counts == COUNTS for cue in holds)
    assert all(not cue.counts for cue in content.cue_specs() if not cue.hold_seconds)
