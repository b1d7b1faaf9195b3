"""The non-speech sounds of a cue, synthesised in code (nothing to download).

Every sound starts and ends at zero through raised-cosine or exponential envelopes, so joining
them to speech or silence makes no click. The whole cue is loudness-normalised afterwards, so only
the balance against speech matters: the build brings speech to ``SPEECH_LUFS`` and these levels
keep every tone a little softer than the voice.

Changing a sound? Bump ``skill.audio.versions.TONES`` so the cues using it are re-rendered.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 24000
#: The build brings speech to this loudness before joining it to the tones.
SPEECH_LUFS = -20.0
#: Peak levels, chosen by measurement: chime about -24 LUFS, end tone about -23 LUFS.
_CHIME_PEAK, _TICK_PEAK, _END_PEAK = 0.28, 0.05, 0.18


def _rise(n_samples: int) -> np.ndarray:
    """A raised-cosine ramp from 0 towards 1."""
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n_samples) / max(n_samples, 1))


def _fade(n_samples: int, sample_rate: int, attack: float, release: float) -> np.ndarray:
    """An envelope that rises over ``attack`` seconds and falls to zero over ``release``."""
    env = np.ones(n_samples)
    a = min(int(attack * sample_rate), n_samples // 2)
    r = min(int(release * sample_rate), n_samples // 2)
    env[:a] *= _rise(a)
    env[n_samples - r :] *= _rise(r)[::-1]
    return env


def _bell(freq: float, seconds: float, sample_rate: int, decay: float) -> np.ndarray:
    """A soft bell: a sine with a quieter octave partial, exponential decay, faded ends."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(2 * np.pi * 2 * freq * t)
    tone *= np.exp(-t / decay) / 1.25
    return tone * _fade(len(t), sample_rate, attack=0.006, release=0.05)


def _at_peak(sound: np.ndarray, peak: float) -> np.ndarray:
    return (peak * sound / np.max(np.abs(sound))).astype(np.float32)


def silence(seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    return np.zeros(round(seconds * sample_rate), dtype=np.float32)


def chime(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Two rising notes (E5 then A5) and a short pause: a new step begins."""
    first = _bell(659.25, 0.45, sample_rate, decay=0.15)
    second = _bell(880.0, 0.6, sample_rate, decay=0.2)
    offset = int(0.16 * sample_rate)
    out = np.zeros(offset + len(second) + int(0.2 * sample_rate))
    out[: len(first)] += first
    out[offset : offset + len(second)] += second
    return _at_peak(out, _CHIME_PEAK)


def tick(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A soft, short woodblock-like tick (60 ms)."""
    return _at_peak(_bell(1200.0, 0.06, sample_rate, decay=0.015), _TICK_PEAK)


def countdown(seconds: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One tick at the start of each second; exactly ``seconds`` long."""
    second = np.zeros(sample_rate, dtype=np.float32)
    one_tick = tick(sample_rate)
    second[: len(one_tick)] = one_tick
    return np.tile(second, seconds)


def end_tone(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A low, sustained major third (C5 + E5, 0.9 s): unlike the ticks and the chime."""
    t = np.arange(int(0.9 * sample_rate)) / sample_rate
    tone = np.sin(2 * np.pi * 523.25 * t) + 0.8 * np.sin(2 * np.pi * 659.25 * t)
    tone *= _fade(len(t), sample_rate, attack=0.03, release=0.4)
    return _at_peak(tone, _END_PEAK)
