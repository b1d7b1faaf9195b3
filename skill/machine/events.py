"""The machine's vocabulary: events in, outcomes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from skill.content import Content
from skill.reply import Reply
from skill.state import Memory, SessionState


class Event(StrEnum):
    LAUNCH = "launch"
    START_ROUTINE = "start_routine"
    LIST_ROUTINES = "list_routines"
    NEXT = "next"
    PREVIOUS = "previous"
    REPEAT = "repeat"
    START_OVER = "start_over"
    PAUSE = "pause"
    RESUME = "resume"
    YES = "yes"
    NO = "no"
    HELP = "help"
    STOP = "stop"
    CANCEL = "cancel"
    FALLBACK = "fallback"
    NAVIGATE_HOME = "navigate_home"
    PAIN = "pain"
    RED_FLAG = "red_flag"
    CHEST_PAIN = "chest_pain"
    FAQ = "faq"
    UPDATE_SCREENING = "update_screening"
    DELETE_DATA = "delete_data"


class Effect(StrEnum):
    """What the adapter must remember beyond the session: the store's business."""

    ROUTINE_FINISHED = "routine_finished"
    PAIN_STOP = "pain_stop"
    PAIN_CHECKED_IN = "pain_checked_in"
    DELETE_DATA = "delete_data"


@dataclass(frozen=True)
class Turn:
    """One thing the person did, with its slot values resolved to content ids."""

    event: Event
    #: START_ROUTINE: the routine id; ``None`` for the default; "" when said but not recognised.
    routine: str | None = None
    #: FAQ: the topic id; ``None`` when not recognised.
    topic: str | None = None
    memory: Memory = field(default_factory=Memory)


@dataclass(frozen=True)
class Ctx:
    """What a guard or an action sees."""

    session: SessionState
    turn: Turn
    content: Content


@dataclass(frozen=True)
class Outcome:
    session: SessionState
    reply: Reply
    effects: frozenset[Effect] = frozenset()
