"""What the skill says back: pure data, rendered to SSML by ``skill.speech``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One thing said: its text, and the id of its pre-generated cue when it has one."""

    text: str
    cue: str | None = None
    #: Silence after the text (a hold), in whole seconds.
    pause_seconds: int = 0
    #: Part of this cue's audio (a hold's spoken count): said only when that cue is not played.
    within_cue: str | None = None


@dataclass(frozen=True)
class Card:
    title: str
    text: str


@dataclass(frozen=True)
class Reply:
    speech: tuple[Line, ...]
    #: Said if the person says nothing; required whenever the session stays open.
    reprompt: tuple[Line, ...] = ()
    card: Card | None = None
    end_session: bool = False

    def __post_init__(self) -> None:
        if not self.end_session and not self.reprompt:
            raise ValueError("a reply that keeps the session open needs a reprompt")
