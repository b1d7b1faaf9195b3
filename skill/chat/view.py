"""A skill response as a person hears and sees it: speech, reprompt, card, cues, screen."""

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


def plain(
    ssml: str,
    cue_texts: Mapping[str, str] | None = None,
    cue_ids: Mapping[str, str] | None = None,
) -> str:
    """SSML as text. Each ``<audio>`` is ``[cue: id]``, its cue id in the reply's locale from
    ``cue_ids`` (file name -> ``en-GB/prompt.x``) or else its file name; or the cue's words from
    ``cue_texts`` (file name -> text) when given and known."""

    def cue(found: re.Match[str]) -> str:
        name = cue_name(html.unescape(found.group(2)))
        if cue_texts is not None and name in cue_texts:
            return f" {cue_texts[name]} "
        return f" [cue: {(cue_ids or {}).get(name, name)}] "

    text = _TAG.sub(" ", _AUDIO.sub(cue, ssml))
    return " ".join(html.unescape(text).split())


@dataclass(frozen=True)
class Target:
    """Something on the screen a person can touch, and the arguments its touch sends."""

    name: str
    label: str
    arguments: tuple[str, ...]

    def matches(self, wanted: str) -> bool:
        wanted = " ".join(wanted.split()).casefold()
        return wanted in (self.name.casefold(), self.label.casefold())


@dataclass(frozen=True)
class Shown:
    """What a screen shows for a reply (read from its RenderDocument's data) and offers to touch."""

    document: str
    lines: tuple[str, ...]
    targets: tuple[Target, ...]

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> Shown | None:
        for directive in response.get("directives") or []:
            if directive.get("type") == "Alexa.Presentation.APL.RenderDocument":
                data = (directive.get("datasources") or {}).get("screen") or {}
                token = str(directive.get("token") or "")
                return cls(token.rsplit(".", 1)[-1], _shown_lines(data), _targets(data))
        return None

    def target(self, wanted: str) -> Target | None:
        return next((t for t in self.targets if t.matches(wanted)), None)


def _shown_lines(data: Mapping[str, Any]) -> tuple[str, ...]:
    lines = [str(data[key]) for key in ("title", "subtitle", "heading") if data.get(key)]
    progress = data.get("progress") or {}
    if progress:
        lines.append(f"progress: {progress.get('value')}/{progress.get('total')}")
    countdown = data.get("countdown") or {}
    if countdown.get("seconds"):
        seconds, after = int(countdown["seconds"]), int(countdown.get("startAfterMs") or 0)
        lines.append(
            f"countdown: {seconds // 60}:{seconds % 60:02d}, from {after / 1000:.1f} s "
            f"({countdown.get('label')})"
        )
    lines.extend(
        str(data[key]) for key in ("body", "note", "numberLabel", "number") if data.get(key)
    )
    return tuple(lines)


def _targets(data: Mapping[str, Any]) -> tuple[Target, ...]:
    pain = data.get("pain") or {}
    found = [*(data.get("items") or []), *(data.get("targets") or [])]
    if pain.get("shown"):
        found.append(pain)
    return tuple(
        Target(str(t["name"]), str(t["label"]), (str(t["event"]), str(t.get("value") or "")))
        for t in found
    )


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
    #: What the screen shows, when the device has one and the reply carries a document.
    shown: Shown | None = None
    #: What the console calls each cue the speech plays: its cue id in the reply's locale
    #: (``en-GB/prompt.chest_pain``) where the manifest names it, else its file name.
    cue_names: tuple[str, ...] = ()

    @classmethod
    def from_response(
        cls,
        envelope: Mapping[str, Any],
        cue_texts: Mapping[str, str] | None = None,
        cue_ids: Mapping[str, str] | None = None,
    ) -> Heard:
        response = envelope.get("response") or {}
        speech_ssml = _ssml(response)
        reprompt_ssml = _ssml(response.get("reprompt"))
        card = response.get("card") or {}
        shown = Shown.from_response(response)
        on_screen = [*shown.lines, *(f"[touch {t.name}]" for t in shown.targets)] if shown else []
        title = str(card.get("title") or "")
        text = str(card.get("content") or card.get("text") or "")
        words = " ".join(
            part
            for part in (
                plain(speech_ssml, cue_texts or {}),
                plain(reprompt_ssml, cue_texts or {}),
                title,
                text,
                *on_screen,
            )
            if part
        )
        cues = tuple(html.unescape(m.group(2)) for m in _AUDIO.finditer(speech_ssml))
        names = tuple(cue_name(url) for url in cues)
        return cls(
            speech=plain(speech_ssml, cue_ids=cue_ids),
            reprompt=plain(reprompt_ssml, cue_ids=cue_ids),
            card_title=title,
            card_text=text,
            cues=cues,
            # Alexa keeps the session open only on an explicit false.
            ended=response.get("shouldEndSession") is not False,
            words=words,
            shown=shown,
            cue_names=tuple((cue_ids or {}).get(name, name) for name in names),
        )

    def contains(self, phrase: str) -> bool:
        """Case-insensitive, whitespace-forgiving: is ``phrase`` in what was said or shown?"""
        return " ".join(phrase.split()).casefold() in self.words.casefold()
