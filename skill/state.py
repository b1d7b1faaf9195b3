"""The conversation's typed session state, kept in Alexa's session attributes between turns.

One dataclass with ``to_attributes()`` / ``from_attributes()`` and a version field: handlers never
touch attribute keys by hand. Unknown, corrupt or future attributes recover to a safe state
(the menu) instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

SESSION_VERSION = 1
#: The one key the state lives under, so other attributes (e.g. the SDK's) never collide.
ATTRIBUTE_KEY = "workoutPlanner"


class State(StrEnum):
    READY = "ready"  # the menu: launched, nothing in progress
    RESUME_OFFER = "resume_offer"  # offered to pick up an unfinished routine
    SCREENING = "screening"  # asked about osteoporosis or a spine condition
    IN_STEP = "in_step"
    PAUSED = "paused"
    ASIDE = "aside"  # answered a question mid-routine; "next" picks up at the same step
    PAIN_STOPPED = "pain_stopped"
    FINISHED = "finished"
    CONFIRM_DELETE = "confirm_delete"
    ENDED = "ended"  # the session is over


class Screening(StrEnum):
    """The answer to "do you have osteoporosis or a spine condition?"."""

    YES = "yes"
    NO = "no"


class Aside(StrEnum):
    """What was said in the ASIDE state, for "repeat"."""

    FAQ = "faq"
    STEP_INFO = "step_info"
    EASIER = "easier"
    MENU = "menu"


#: States that ask a question: the skill stays in one only while its last reply asked it.
QUESTION_STATES = frozenset(
    {State.SCREENING, State.CONFIRM_DELETE, State.RESUME_OFFER, State.FINISHED}
)

#: States in which a routine is under way: "it hurts" there stops that routine.
ROUTINE_STATES = frozenset({State.IN_STEP, State.PAUSED, State.ASIDE})


@dataclass(frozen=True)
class SessionState:
    version: int = SESSION_VERSION
    state: State = State.READY
    routine_id: str | None = None
    step_index: int = 0
    #: The routine asked for before the screening question, started once it is answered.
    pending_routine_id: str | None = None
    #: The last question answered, for "repeat".
    faq_topic: str | None = None
    screening: Screening | None = None
    #: This run of the routine was already counted as finished ("back" then "next" again).
    finish_counted: bool = False
    #: Turns so far this session: chooses between wordings, so replies vary but repeat in tests.
    turn: int = 0
    #: Turns in a row that were not understood: the fallback escalates.
    misses: int = 0
    #: The routine the last reply offered: a "yes" starts it.
    offered_routine_id: str | None = None
    #: What the last aside said (ASIDE state), for "repeat".
    aside: Aside | None = None
    #: A hold was spoken this session: the first one teaches the wake word.
    held: bool = False

    @property
    def in_routine(self) -> bool:
        return self.state in ROUTINE_STATES and self.routine_id is not None

    def to_attributes(self) -> dict[str, Any]:
        values = ((name, getattr(self, name)) for name in _SESSION_FIELDS)
        # Plain JSON values: enums as their strings.
        return {ATTRIBUTE_KEY: {k: v.value if isinstance(v, StrEnum) else v for k, v in values}}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any] | None) -> SessionState:
        """Read the state back; anything unreadable falls back to the menu, never raises."""
        raw = attributes.get(ATTRIBUTE_KEY) if isinstance(attributes, Mapping) else None
        if not isinstance(raw, Mapping) or raw.get("version") != SESSION_VERSION:
            return cls()
        try:
            state = State(str(raw.get("state")))
            screening = Screening(raw["screening"]) if raw.get("screening") else None
            aside = Aside(raw["aside"]) if raw.get("aside") else None
        except (ValueError, TypeError):
            return cls()
        counts = [raw.get(key, 0) for key in ("step_index", "turn", "misses")]
        if not all(_count(value) for value in counts):
            return cls(screening=screening)
        step_index, turn, misses = counts
        counted = raw.get("finish_counted", False) is True
        routine_id, pending, topic, offered = (
            raw.get(key)
            for key in ("routine_id", "pending_routine_id", "faq_topic", "offered_routine_id")
        )
        if not all(
            value is None or isinstance(value, str)
            for value in (routine_id, pending, topic, offered)
        ):
            return cls(screening=screening)
        return cls(
            state=state,
            routine_id=routine_id,
            step_index=step_index,
            pending_routine_id=pending,
            faq_topic=topic,
            screening=screening,
            finish_counted=counted,
            turn=turn,
            misses=misses,
            offered_routine_id=offered,
            aside=aside,
            held=raw.get("held", False) is True,
        )


#: Read once: ``dataclasses.fields`` is not free on every turn.
_SESSION_FIELDS = tuple(f.name for f in fields(SessionState))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class Memory:
    """What the store remembers of this person, offered to the machine on every turn."""

    #: The store has a record: not a first visit.
    known: bool = False
    screening: Screening | None = None
    #: An unfinished routine and its 0-based step.
    unfinished_routine_id: str | None = None
    unfinished_step_index: int = 0
    #: The last routine stopped because something hurt.
    pain_last_time: bool = False
    #: Routines finished in the last seven days, before this one.
    sessions_this_week: int = 0
    #: The person has heard the disclaimer (a record is not enough: a first pain stop or
    #: "stop" stores one without it).
    disclaimer_heard: bool = False
