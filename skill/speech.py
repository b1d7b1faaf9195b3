"""Replies to SSML: pre-generated cues as ``<audio>`` when they are hosted, plain speech otherwise.

Alexa's limits hold for every response: at most five ``<audio>`` tags, 240 s of audio in the
speech and 90 s in the reprompt, and under 8,000 characters. A cue that would break a limit is
spoken as text instead, so the person hears the same words either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape  # light; xml.sax.saxutils pulls in urllib

from skill.reply import Line

MAX_AUDIO_TAGS = 5
MAX_SPEECH_AUDIO_SECONDS = 240.0
MAX_REPROMPT_AUDIO_SECONDS = 90.0
MAX_SSML_CHARS = 8000


@dataclass(frozen=True)
class HostedCue:
    file: str
    duration_seconds: float


class SpeechRenderer:
    """Renders lines to SSML. Without hosted cues (a local run) everything is spoken text."""

    def __init__(self, cues: Mapping[str, HostedCue] | None = None, base_url: str | None = None):
        self._cues = dict(cues or {}) if base_url else {}
        self._base_url = (base_url or "").rstrip("/")

    def cue_seconds(self, line: Line) -> float | None:
        """How long the line's hosted cue plays; None when the line is spoken as text."""
        cue = self._cues.get(line.cue) if line.cue else None
        return cue.duration_seconds if cue else None

    def ssml(self, lines: Iterable[Line], *, reprompt: bool = False) -> str:
        budget = MAX_REPROMPT_AUDIO_SECONDS if reprompt else MAX_SPEECH_AUDIO_SECONDS
        tags, seconds, parts = 0, 0.0, []
        for line in lines:
            cue = self._cues.get(line.cue) if line.cue else None
            if cue and tags < MAX_AUDIO_TAGS and seconds + cue.duration_seconds <= budget:
                tags, seconds = tags + 1, seconds + cue.duration_seconds
                parts.append(f'<audio src="{escape(f"{self._base_url}/{cue.file}")}"/>')
            else:
                parts.append(escape(line.text, quote=False))
        ssml = "<speak>" + " ".join(parts) + "</speak>"
        if len(ssml) > MAX_SSML_CHARS:  # content validation keeps this unreachable; be safe anyway
            raise ValueError(f"speech of {len(ssml)} characters exceeds Alexa's limit")
        return ssml
