"""A skill response read the way a person hears and sees it: speech, reprompt, card, cues."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

_AUDIO = re.compile(r"""<audio\s+src\s*=\s*(["'])(.*?)\1\s*/?>(?:\s*</audio>)?""", re.S)
_TAG = re.compile(r"<[^>]+>")


def cue_name(url: str) -> str:
    """The file name a cue URL ends in (``https://x/audio/step-1.mp3`` -> ``step-1.mp3``)."""
    return PurePosixPath(urlparse(url).path).name or url


def _ssml(response: Mapping[str, Any] | None) -> str:
    speech = (response or {}).get("outputSpeech") or {}
    return str(speech.get("ssml") or speech.get("text") or "")


def plain(ssml: str, cue_texts: Mapping[str, str] | None = None) -> str:
    """SSML as text. Each ``<audio>`` is ``[cue: name]``, or the cue's words from ``cue_texts``
    (file name -> text) when given and known."""

    def cue(found: re.Match[str]) -> str:
        name = cue_name(html.unescape(found.group(2)))
        if cue_texts is not None and name in cue_texts:
            return f" {cue_texts[name]} "
        return f" [cue: {name}] "

    text = _TAG.sub(" ", _AUDIO.sub(cue, ssml))
    return " ".join(html.unescape(text).split())


@dataclass(frozen=True)
class Heard:
    """One reply. ``speech`` and ``reprompt`` show cues as ``[cue: name]``; ``words`` is
    everything said or shown, with cue words where known, for matching phrases against."""

    speech: str
    reprompt: str
    card_title: str
    card_text: str
    #: URLs of the cues the speech plays, in order.
    cues: tuple[str, ...]
    ended: bool
    words: str

    @classmethod
    def from_response(
        cls, envelope: Mapping[str, Any], cue_texts: Mapping[str, str] | None = None
    ) -> Heard:
        response = envelope.get("response") or {}
        speech_ssml = _ssml(response)
        reprompt_ssml = _ssml(response.get("reprompt"))
        card = response.get("card") or {}
        title = str(card.get("title") or "")
        text = str(card.get("content") or card.get("text") or "")
        words = " ".join(
            part
            for part in (
                plain(speech_ssml, cue_texts or {}),
                plain(reprompt_ssml, cue_texts or {}),
                title,
                text,
            )
            if part
        )
        return cls(
            speech=plain(speech_ssml),
            reprompt=plain(reprompt_ssml),
            card_title=title,
            card_text=text,
            cues=tuple(html.unescape(m.group(2)) for m in _AUDIO.finditer(speech_ssml)),
            # Alexa keeps the session open only on an explicit false.
            ended=response.get("shouldEndSession") is not False,
            words=words,
        )

    def contains(self, phrase: str) -> bool:
        """Case-insensitive, whitespace-forgiving: is ``phrase`` in what was said or shown?"""
        return " ".join(phrase.split()).casefold() in self.words.casefold()
