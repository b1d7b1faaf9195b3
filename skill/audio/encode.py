"""PCM to an Alexa-ready MP3: 24 kHz, -14 LUFS, true peak <= -2 dBFS, MPEG-2 layer III 48 kbps.

The MP3 codec moves peaks and loudness a little, so ``encode`` decodes its own output, measures
it exactly as the checker does, and corrects its aim when a limit is missed.

Changing what comes out of here? Bump ``skill.audio.versions.ENCODER``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import gcd
from typing import NamedTuple

import lameenc
import miniaudio
import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import butter, resample_poly, sosfiltfilt

from skill.audio.engines import Pcm
from skill.audio.loudness import (
    LUFS_TOLERANCE,
    MAX_TRUE_PEAK_DBFS,
    TARGET_LUFS,
    db_to_gain,
    integrated_loudness,
    true_peak_dbfs,
)

SAMPLE_RATE = 24000
BITRATE_KBPS = 48
LAME_QUALITY = 2

#: Stay this far inside the limits, so that other decoders' small differences stay compliant.
_LUFS_ACCEPT = LUFS_TOLERANCE - 0.4
_PEAK_ACCEPT_DBFS = MAX_TRUE_PEAK_DBFS - 0.1
#: Re-encode (up to three times) until the decoded loudness is this close to the target.
_LUFS_AIM = 0.2
_FIRST_CEILING_DBFS = MAX_TRUE_PEAK_DBFS - 1.0
#: Decoded cues measure about this much quieter than what went into LAME (measured, 88 cues).
_CODEC_LOUDNESS_LOSS_DB = 0.45
_MIN_SECONDS = 0.5
#: LAME low-passes 48 kbps mono near 7.5 kHz. Filtering first, before the limiter, stops the
#: codec's filter from raising the peaks the limiter just lowered (up to 2 dB, measured).
_LOWPASS = butter(8, 7000, fs=SAMPLE_RATE, output="sos")
#: Limiter smoothing, tried slowest (cleanest) first.
_LIMITER_WINDOWS_SECONDS = (0.010, 0.004, 0.0015)
#: At most this much gain beyond plain loudness normalisation goes into the limiter.
_MAX_LIMITER_GAIN_DB = 12.0


class EncodingError(RuntimeError):
    """The audio could not be made compliant (for example, it is silent)."""


class Encoded(NamedTuple):
    data: bytes
    duration_seconds: float
    lufs: float
    true_peak_dbfs: float


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    if rate == target:
        return np.asarray(samples, dtype=np.float64)
    divisor = gcd(rate, target)
    return resample_poly(np.asarray(samples, dtype=np.float64), target // divisor, rate // divisor)


def _peak_envelope(samples: np.ndarray) -> np.ndarray:
    """Per sample, the largest magnitude of the 4x-oversampled signal around it."""
    oversampled = np.abs(resample_poly(samples, 4, 1))[: 4 * len(samples)]
    padded = np.pad(oversampled, (0, 4 * len(samples) - len(oversampled)))
    return np.maximum(padded.reshape(-1, 4).max(axis=1), np.abs(samples))


def _limiter_gain(envelope: np.ndarray, ceiling: float, window_seconds: float) -> np.ndarray:
    """A smooth gain curve that brings every peak of ``envelope`` down to ``ceiling``.

    Widening the needed reduction by a minimum filter before averaging guarantees the gain at
    each peak is at most what that peak needs.
    """
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    window = max(1, int(window_seconds * SAMPLE_RATE))
    return uniform_filter1d(minimum_filter1d(needed, 2 * window + 1), window + 1)


def normalise(samples: np.ndarray, target_lufs: float, ceiling_dbfs: float) -> np.ndarray:
    """Amplify to ``target_lufs`` while a peak limiter holds the true peak under the ceiling.

    A slow limiter is cleanest, but cannot lift very peaky speech (espeak's short words) to the
    target: then a faster one, which also shapes peaks within a pitch period, takes over.
    """
    x = np.asarray(samples, dtype=np.float64)
    loudness = integrated_loudness(x, SAMPLE_RATE)
    if not np.isfinite(loudness):
        raise EncodingError("the audio is silent: nothing to normalise")
    envelope, ceiling = _peak_envelope(x), db_to_gain(ceiling_dbfs)
    for window in _LIMITER_WINDOWS_SECONDS:

        def render(gain_db: float, window: float = window) -> tuple[np.ndarray, float]:
            gain = db_to_gain(gain_db)
            y = gain * x * _limiter_gain(gain * envelope, ceiling, window)
            return y, integrated_loudness(y, SAMPLE_RATE)

        y, got = _search_gain(render, target_lufs, target_lufs - loudness)
        if abs(got - target_lufs) < 0.1:
            break
    return y


def _search_gain(
    render: Callable[[float], tuple[np.ndarray, float]], target: float, gain_db: float
) -> tuple[np.ndarray, float]:
    """Secant steps on gain (dB) until loudness(render(gain)) meets the target.

    Loudness rises monotonically with gain, but ever more slowly as the limiter works harder;
    the extra gain is capped so that a hopeless search does not lift the noise floor.
    """
    low, high = gain_db, gain_db + _MAX_LIMITER_GAIN_DB
    y, got = render(gain_db)
    slope = 1.0
    for _ in range(10):
        miss = target - got
        if abs(miss) < 0.05:
            break
        new_gain = min(high, max(low, gain_db + miss / slope))
        if new_gain == gain_db:
            break
        y_new, new = render(new_gain)
        slope = min(1.0, max(0.05, (new - got) / (new_gain - gain_db)))
        y, got, gain_db = y_new, new, new_gain
    return y, got


def mp3_bytes(
    samples: np.ndarray, sample_rate: int = SAMPLE_RATE, bitrate: int = BITRATE_KBPS
) -> bytes:
    """Encode mono float PCM with LAME, constant bitrate, no resampling."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_out_sample_rate(sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(LAME_QUALITY)
    pcm16 = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    return bytes(encoder.encode(pcm16.tobytes()) + encoder.flush())


def decode_mp3(data: bytes) -> Pcm:
    """Decode MP3 bytes at their own sample rate to mono float samples."""
    decoded = miniaudio.mp3_read_f32(data)
    samples = np.frombuffer(decoded.samples, dtype=np.float32)
    if decoded.nchannels > 1:
        samples = samples.reshape(-1, decoded.nchannels).mean(axis=1)
    return Pcm(samples, decoded.sample_rate)


def encode(samples: np.ndarray, sample_rate: int) -> Encoded:
    """Make compliant MP3 bytes from mono float PCM at any sample rate."""
    x = sosfiltfilt(_LOWPASS, resample(samples, sample_rate))
    if len(x) < _MIN_SECONDS * SAMPLE_RATE:
        # The loudness meter needs 400 ms; a little trailing silence is inaudible.
        x = np.concatenate([x, np.zeros(int(_MIN_SECONDS * SAMPLE_RATE) - len(x))])
    target, ceiling = TARGET_LUFS + _CODEC_LOUDNESS_LOSS_DB, _FIRST_CEILING_DBFS
    best: Encoded | None = None
    for _ in range(4):
        data = mp3_bytes(normalise(x, target, ceiling))
        decoded = decode_mp3(data)
        lufs = integrated_loudness(decoded.samples, decoded.sample_rate)
        peak = true_peak_dbfs(decoded.samples)
        result = Encoded(data, len(decoded.samples) / decoded.sample_rate, lufs, peak)
        compliant = abs(lufs - TARGET_LUFS) <= _LUFS_ACCEPT and peak <= _PEAK_ACCEPT_DBFS
        if compliant and (best is None or abs(lufs - TARGET_LUFS) < abs(best.lufs - TARGET_LUFS)):
            best = result
        if compliant and abs(lufs - TARGET_LUFS) <= _LUFS_AIM:
            break
        # Correct the aim by what the codec (and its delay, on short cues) changed; try again.
        target += TARGET_LUFS - lufs
        ceiling = min(MAX_TRUE_PEAK_DBFS, ceiling + (_PEAK_ACCEPT_DBFS - 0.2) - peak)
    if best is None:
        raise EncodingError(
            f"could not meet {TARGET_LUFS} LUFS and {MAX_TRUE_PEAK_DBFS} dBFS true peak "
            f"(last try: {lufs:.1f} LUFS, {peak:.1f} dBFS)"
        )
    return best
