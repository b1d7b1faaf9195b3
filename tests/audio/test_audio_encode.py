import numpy as np
import pytest

from skill.audio import tones
from skill.audio.encode import SAMPLE_RATE, EncodingError, decode_mp3, encode
from skill.audio.loudness import integrated_loudness, true_peak_dbfs
from skill.audio.mp3check import check_mp3_bytes, scan_frames


def assert_compliant(data: bytes) -> None:
    assert check_mp3_bytes(data, "cue.mp3") == []
    frames = scan_frames(data).frames
    assert frames and {(f.version, f.layer, f.bitrate_kbps, f.sample_rate) for f in frames} == {
        ("MPEG-2", 3, 48, 24000)
    }
    # LAME writes no Xing/Info header frame here (ffmpeg would, at another bitrate).
    assert b"Xing" not in data and b"Info" not in data[: frames[0].length]
    pcm = decode_mp3(data)
    assert abs(integrated_loudness(pcm.samples, pcm.sample_rate) + 14) <= 1
    assert true_peak_dbfs(pcm.samples) <= -2


def sine(freq: float, seconds: float, amplitude: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def test_real_espeak_phrase_encodes_compliant(phrase):
    assert phrase.sample_rate == 22050  # so the resampler is exercised
    encoded = encode(phrase.samples, phrase.sample_rate)
    assert_compliant(encoded.data)
    assert abs(encoded.lufs + 14) <= 0.6 and encoded.true_peak_dbfs <= -2.1
    speech_seconds = len(phrase.samples) / phrase.sample_rate
    assert speech_seconds - 0.1 <= encoded.duration_seconds <= speech_seconds + 0.2


def test_loud_square_wave_comes_out_compliant():
    square = np.sign(sine(220, 1.5, 1.0))
    assert true_peak_dbfs(square) > 0  # overshoots between samples
    assert_compliant(encode(square, SAMPLE_RATE).data)


def test_very_quiet_tone_comes_out_compliant():
    quiet = sine(440, 1.0, 10 ** (-60 / 20), rate=16000)
    assert integrated_loudness(quiet, 16000) < -60
    assert_compliant(encode(quiet, 16000).data)


def test_very_short_cue_is_padded_to_a_measurable_length():
    encoded = encode(sine(660, 0.1, 0.5), SAMPLE_RATE)
    assert_compliant(encoded.data)
    assert encoded.duration_seconds >= 0.5


def test_silence_cannot_be_normalised():
    with pytest.raises(EncodingError, match="silent"):
        encode(np.zeros(SAMPLE_RATE), SAMPLE_RATE)


@pytest.mark.parametrize("sound", [tones.chime, tones.tick, tones.end_tone])
def test_tones_start_and_end_at_zero_without_clicks(sound):
    wave = sound(SAMPLE_RATE)
    peak = np.max(np.abs(wave))
    assert abs(wave[0]) < 1e-3 * peak and abs(wave[-1]) < 1e-3 * peak
    # No jump larger than a full-scale sine at 2 kHz could make between two samples.
    assert np.max(np.abs(np.diff(wave))) < peak * 2 * np.pi * 2000 / SAMPLE_RATE


def dominant_hz(wave: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave)), n=1 << 16))
    return float(np.argmax(spectrum) * SAMPLE_RATE / (1 << 16))


def test_countdown_ticks_once_a_second_and_the_tones_differ():
    countdown = tones.countdown(4, SAMPLE_RATE)
    assert len(countdown) == 4 * SAMPLE_RATE
    envelope = np.convolve(np.abs(countdown), np.ones(240) / 240)[: len(countdown)]
    onsets = np.flatnonzero(np.diff((envelope > 1e-3).astype(int), prepend=0) == 1)
    assert len(onsets) == 4 and np.allclose(np.diff(onsets), SAMPLE_RATE, atol=2)
    chime = tones.chime(SAMPLE_RATE)
    tick, end = tones.tick(SAMPLE_RATE), tones.end_tone(SAMPLE_RATE)
    assert dominant_hz(chime[: int(0.15 * SAMPLE_RATE)]) == pytest.approx(659, abs=15)
    assert dominant_hz(tick) == pytest.approx(1200, abs=60)
    assert dominant_hz(end) == pytest.approx(523, abs=15)
    assert len(end) > 10 * len(tick)  # sustained, unlike a tick
