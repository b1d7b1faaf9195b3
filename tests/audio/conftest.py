"""Audio pipeline fixtures: real espeak-ng and Piper speech, real MP3 bytes, no network."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from skill.audio.encode import SAMPLE_RATE, mp3_bytes, resample
from skill.audio.engines import EngineUnavailable, EspeakEngine, Pcm
from skill.audio.piper_engine import PiperEngine


class CountingEngine:
    """Wraps an engine and records every text it is asked to speak."""

    def __init__(self, inner: EspeakEngine) -> None:
        self.inner = inner
        self.spoken: list[str] = []

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def synthesize(self, text: str) -> Pcm:
        self.spoken.append(text)
        return self.inner.synthesize(text)


class FailingEngine(CountingEngine):
    """Speaks ``ok_calls`` texts, then raises ``error`` (as gTTS does when Google drops out)."""

    def __init__(self, inner: EspeakEngine, ok_calls: int, error: Exception) -> None:
        super().__init__(inner)
        self.ok_calls, self.error = ok_calls, error

    def synthesize(self, text: str) -> Pcm:
        if len(self.spoken) >= self.ok_calls:
            raise self.error
        return super().synthesize(text)


@pytest.fixture
def built(built_once: Path, tmp_path: Path) -> Path:
    """A fresh copy of the test module's ``built_once`` output directory (rendered once)."""
    out = tmp_path / "audio"
    shutil.copytree(built_once, out)
    return out


@pytest.fixture(scope="session")
def espeak() -> EspeakEngine:
    return EspeakEngine()


@pytest.fixture
def counting_engine(espeak: EspeakEngine) -> CountingEngine:
    return CountingEngine(espeak)


@pytest.fixture
def failing_engine(espeak: EspeakEngine) -> Callable[..., FailingEngine]:
    def make(ok_calls: int, error: Exception | None = None) -> FailingEngine:
        error = error or EngineUnavailable("Cannot reach Google's text-to-speech service")
        return FailingEngine(espeak, ok_calls, error)

    return make


@pytest.fixture(scope="session")
def phrase(espeak: EspeakEngine) -> Pcm:
    """A real espeak-ng phrase (22050 Hz, as espeak-ng writes it)."""
    return espeak.synthesize("Roll your shoulders back, slowly.")


@pytest.fixture(scope="session")
def gtts_like_mp3(phrase: Pcm) -> bytes:
    """Real MP3 bytes shaped like gTTS's: MPEG-2 layer III, 32 kbps, 24 kHz, mono."""
    return mp3_bytes(0.5 * resample(phrase.samples, phrase.sample_rate), SAMPLE_RATE, 32)


@pytest.fixture(scope="session")
def mpeg1_mp3() -> bytes:
    """Real MP3 bytes Alexa refuses: MPEG-1 layer III, 128 kbps, 44.1 kHz."""
    t = np.arange(44100) / 44100
    return mp3_bytes(0.3 * np.sin(2 * np.pi * 440 * t), 44100, 128)


@pytest.fixture(scope="session")
def piper() -> PiperEngine:
    """The committed cues' engine: Piper with the packaged voice, loaded once for the session."""
    engine = PiperEngine()
    engine.load()
    return engine
