"""Speech engines: text in, mono float PCM out.

``EspeakEngine`` runs the Debian ``espeak-ng`` program and works offline (robotic but
deterministic). ``GttsEngine`` asks Google Translate's TTS endpoint through gTTS and needs the
internet. Each engine's ``fingerprint`` names everything that shapes its output, so the build
re-renders a cue when the engine or its settings change.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:  # numpy is imported where audio is made: a no-op build never loads it
    import numpy as np

OFFLINE_HINT = "To render offline, use espeak-ng: workout-planner audio build --engine espeak"


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (no network, program missing); the message says what to do."""


class Pcm(NamedTuple):
    #: Mono float32 samples in [-1, 1].
    samples: np.ndarray
    sample_rate: int


class Engine(Protocol):
    @property
    def fingerprint(self) -> str: ...

    def synthesize(self, text: str) -> Pcm: ...


class EspeakEngine:
    """espeak-ng with a fixed voice, speed and pitch; the same text always gives the same PCM."""

    def __init__(
        self, voice: str = "en-us", speed: int = 150, pitch: int = 45, program: str = "espeak-ng"
    ) -> None:
        self.voice, self.speed, self.pitch, self.program = voice, speed, pitch, program

    def _run(self, args: list[str], text: str = "") -> bytes:
        path = shutil.which(self.program)
        if path is None:
            raise EngineUnavailable(
                f"{self.program} is not installed. Install it with: apt-get install espeak-ng"
            )
        done = subprocess.run(
            [path, *args], input=text.encode("utf-8"), capture_output=True, timeout=60
        )
        if done.returncode != 0:
            error = done.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"{self.program} failed ({done.returncode}): {error}")
        return done.stdout

    @cached_property
    def fingerprint(self) -> str:
        # The program's version is part of it: another release may pronounce differently.
        version = self._run(["--version"]).decode("utf-8", "replace").split("Data at")[0].strip()
        return f"{version} voice={self.voice} speed={self.speed} pitch={self.pitch}"

    def synthesize(self, text: str) -> Pcm:
        # --stdin reads the whole text at once (and keeps a leading "-" from being an option).
        args = [
            "--stdin",
            "--stdout",
            "-v",
            self.voice,
            "-s",
            str(self.speed),
            "-p",
            str(self.pitch),
        ]
        return wav_to_pcm(self._run(args, text))


def wav_to_pcm(data: bytes) -> Pcm:
    """Parse 16-bit PCM WAV bytes into mono float samples.

    espeak-ng streams to stdout, so its header claims a huge length; read what is there.
    """
    import numpy as np

    with wave.open(io.BytesIO(data)) as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit WAV, got {8 * wav.getsampwidth()}-bit")
        channels, rate = wav.getnchannels(), wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    samples = np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.float32)
    samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    return Pcm(samples / 32768.0, rate)


class GttsEngine:
    """Google Translate's voice via gTTS (MP3, 32 kbps): needs to reach translate.google.<tld>."""

    def __init__(self, lang: str = "en", tld: str = "com", timeout: float = 20.0) -> None:
        from gtts.lang import tts_langs  # a static table: no network

        if lang not in tts_langs():
            raise ValueError(f"gTTS does not support language {lang!r}")
        self.lang, self.tld, self.timeout = lang, tld, timeout

    @property
    def fingerprint(self) -> str:
        return f"gtts lang={self.lang} tld={self.tld}"

    def synthesize(self, text: str) -> Pcm:
        import miniaudio
        import numpy as np
        import requests
        from gtts import gTTS, gTTSError

        buffer = io.BytesIO()
        tts = gTTS(text, lang=self.lang, tld=self.tld, lang_check=False, timeout=self.timeout)
        try:
            tts.write_to_fp(buffer)
        except (gTTSError, requests.RequestException) as exc:
            host = f"translate.google.{self.tld}"
            if getattr(exc, "rsp", None) is None:
                reason = f"Cannot reach Google's text-to-speech service ({host}): no connection"
            else:
                reason = f"Google's text-to-speech service ({host}) refused the request: {exc}"
            raise EngineUnavailable(
                f"{reason}. gTTS needs internet access. {OFFLINE_HINT}"
            ) from exc
        try:
            decoded = miniaudio.mp3_read_f32(buffer.getvalue())
        except miniaudio.DecodeError as exc:
            raise RuntimeError(f"gTTS returned audio that is not a readable MP3: {exc}") from exc
        samples = np.frombuffer(decoded.samples, dtype=np.float32)
        if decoded.nchannels > 1:
            samples = samples.reshape(-1, decoded.nchannels).mean(axis=1)
        return Pcm(samples.astype(np.float32), decoded.sample_rate)
