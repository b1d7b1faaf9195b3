"""One cue's audio before encoding: [chime] + speech + [countdown ticks + end tone].

Changing what comes out of here? Bump ``skill.audio.versions.ASSEMBLY``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skill.audio import tones
from skill.audio.encode import SAMPLE_RATE, normalise, resample
from skill.audio.engines import Pcm
from skill.audio.loudness import db_to_gain
from skill.cues import CueSpec

#: Engines pad speech with silence; keep this much of it at each end.
_KEEP_SILENCE_SECONDS = 0.05
_SILENCE_BELOW_DB = -45.0
#: -14 LUFS under a -2 dBFS true peak leaves 12 dB; 1.5 dB of it go to the codec's overshoot.
_SPEECH_MAX_PEAK_TO_LOUDNESS_DB = 10.5
#: Between the last word and the first countdown tick.
_PAUSE_BEFORE_HOLD_SECONDS = 0.4
#: Counts are spoken a little below the speech, calm over the ticks; each fits in its second.
_COUNT_GAIN_DB = -3.0
_COUNT_MAX_SECONDS = 0.9
_COUNT_FADE_SECONDS = 0.03


def trim_silence(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Cut leading and trailing near-silence (relative to the loudest sample)."""
    level = np.abs(samples)
    peak = float(level.max()) if len(level) else 0.0
    if peak == 0.0:
        return samples
    loud = np.flatnonzero(level > peak * db_to_gain(_SILENCE_BELOW_DB))
    keep = int(_KEEP_SILENCE_SECONDS * sample_rate)
    return samples[max(0, loud[0] - keep) : loud[-1] + 1 + keep]


def counted_hold(seconds: int, counts: Sequence[Pcm]) -> np.ndarray:
    """The hold's ticks, the last ``len(counts)`` of them each with its count spoken over it.

    Each count starts on its tick and fits within its second, a little softer than the speech;
    the cue's loudness and true peak are settled afterwards, over the whole cue, by the encoder.
    """
    hold = tones.countdown(seconds, SAMPLE_RATE).astype(np.float64)
    gain = db_to_gain(_COUNT_GAIN_DB)
    fit = int(_COUNT_MAX_SECONDS * SAMPLE_RATE)
    for second, pcm in enumerate(counts, start=seconds - len(counts)):
        word = gain * speech_at_reference_level(pcm, pad=False)[:fit]
        fade = min(len(word), int(_COUNT_FADE_SECONDS * SAMPLE_RATE))
        word[len(word) - fade :] *= np.linspace(1.0, 0.0, fade)  # a cut word ends without a click
        start = second * SAMPLE_RATE
        hold[start : start + len(word)] += word
    return hold


def speech_at_reference_level(pcm: Pcm, *, pad: bool = True) -> np.ndarray:
    """The speech at 24 kHz, trimmed, at ``tones.SPEECH_LUFS`` with its peaks limited.

    Limiting the speech alone, here, is what lets the whole cue reach -14 LUFS under a -2 dBFS
    true peak with little further limiting; and the tones balance against a known level.
    """
    speech = trim_silence(resample(pcm.samples, pcm.sample_rate))
    short = len(speech)
    if short < SAMPLE_RATE // 2:  # the loudness meter needs more than 400 ms
        speech = np.pad(speech, (0, SAMPLE_RATE // 2 - short))
    ceiling = tones.SPEECH_LUFS + _SPEECH_MAX_PEAK_TO_LOUDNESS_DB
    levelled = normalise(speech, tones.SPEECH_LUFS, ceiling)
    return levelled if pad else levelled[:short]


def assemble(cue: CueSpec, speech: Pcm, counts: Sequence[Pcm] = ()) -> np.ndarray:
    """The cue's full audio at 24 kHz (float64), ready for :func:`skill.audio.encode.encode`.

    ``counts`` are the spoken ``cue.counts``, in order.
    """
    parts = [tones.chime(SAMPLE_RATE)] if cue.chime else []
    parts.append(speech_at_reference_level(speech))
    if cue.hold_seconds:
        parts += [
            tones.silence(_PAUSE_BEFORE_HOLD_SECONDS, SAMPLE_RATE),
            counted_hold(cue.hold_seconds, counts),
            tones.end_tone(SAMPLE_RATE),
        ]
    return np.concatenate([np.asarray(part, dtype=np.float64) for part in parts])
