"""Replies to SSML: pre-generated cues as ``<audio>`` when they are hosted, plain speech otherwise.

Alexa's limits hold for every response (Amazon's "Speech Synthesis Markup Language (SSML)
Reference"): at most five ``<audio>`` tags, 240 s of audio and breaks in the speech and 90 s in
the reprompt, breaks of at most 10 s each, and under 8,000 characters. A cue that would break a
limit is spoken as text instead, so the person hears the same words either way.

A hold without hosted audio is silence: ``<break>`` tags between short spoken counts, so the
microphone stays closed until the hold is over. A hosted step cue carries its own countdown, so
the lines that belong to it (``Line.within_cue``) are left out when it plays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape  # light; xml.sax.saxutils pulls in urllib

from skill.audio.manifest import cue_key  # stdlib only
from skill.content.model import DEFAULT_LOCALE
from skill.reply import Line

MAX_AUDIO_TAGS = 5
MAX_SPEECH_AUDIO_SECONDS = 240.0
MAX_REPROMPT_AUDIO_SECONDS = 90.0
MAX_SSML_CHARS = 8000
MAX_BREAK_SECONDS = 10


@dataclass(frozen=True)
class HostedCue:
    file: str
    duration_seconds: float
    #: The words the file says; when known, a line plays the file only if it says the same.
    text: str | None = None


class SpeechRenderer:
    """Renders lines to SSML. Without hosted cues (a local run) everything is spoken text."""

    def __init__(
        self,
        cues: Mapping[str, HostedCue] | None = None,
        base_url: str | None = None,
        locale: str = DEFAULT_LOCALE,
    ):
        #: Keyed as in the manifest, by locale: ``en-US/prompt.x``, ``en-GB/prompt.x``.
        self._cues = dict(cues or {}) if base_url else {}
        self._base_url = (base_url or "").rstrip("/")
        self._locale = locale

    def for_locale(self, locale: str) -> SpeechRenderer:
        """The same cues, played for ``locale``: the cue ids of that locale."""
        view = SpeechRenderer(locale=locale)
        view._cues, view._base_url = self._cues, self._base_url
        return view

    def _cue(self, line: Line) -> HostedCue | None:
        """The line's hosted cue in this locale, if the file says the line's words."""
        if not line.cue:
            return None
        cue = self._cues.get(cue_key(self._locale, line.cue))
        return cue if cue and cue.text in (None, line.text) else None

    def cue_seconds(self, line: Line) -> float | None:
        """How long the line's hosted cue plays; None when the line is spoken as text."""
        cue = self._cue(line)
        return cue.duration_seconds if cue else None

    def ssml(self, lines: Iterable[Line], *, reprompt: bool = False) -> str:
        budget = MAX_REPROMPT_AUDIO_SECONDS if reprompt else MAX_SPEECH_AUDIO_SECONDS
        lines = list(lines)
        tags, seconds = 0, 0.0
        played: dict[int, HostedCue] = {}
        for index, line in enumerate(lines):
            cue = self._cue(line)
            if cue and tags < MAX_AUDIO_TAGS and seconds + cue.duration_seconds <= budget:
                tags, seconds = tags + 1, seconds + cue.duration_seconds
                played[index] = cue
        playing = {lines[index].cue for index in played}
        parts = []
        for index, line in enumerate(lines):
            if line.within_cue is not None and line.within_cue in playing:
                continue
            if index in played:
                parts.append(f'<audio src="{escape(f"{self._base_url}/{played[index].file}")}"/>')
            elif line.text:
                parts.append(escape(line.text, quote=False))
            pause = min(line.pause_seconds, int(budget - seconds))
            seconds += max(pause, 0)
            while pause > 0:
                chunk = min(pause, MAX_BREAK_SECONDS)
                parts.append(f'<break time="{chunk}s"/>')
                pause -= chunk
        ssml = "<speak>" + " ".join(parts) + "</speak>"
        if len(ssml) > MAX_SSML_CHARS:  # content validation keeps this unreachable; be safe anyway
            raise ValueError(f"speech of {len(ssml)} characters exceeds Alexa's limit")
        return ssml
