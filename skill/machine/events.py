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
    #: The screening answer said in words ("I have a slipped disc", "no, my back is fine"): the
    #: answer while the question is open, a request to update it anywhere else.
    HAVE_CONDITION = "have_condition"
    NO_CONDITION = "no_condition"
    DELETE_DATA = "delete_data"
    #: "Where am I?": the step's number, hold, side and how many are left.
    STEP_INFO = "step_info"
    #: "This is too hard": an easier variation, or skipping the step.
    TOO_HARD = "too_hard"
    THANKS = "thanks"


class Effect(StrEnum):
    """What the adapter must remember beyond the session: the store's business."""

    ROUTINE_FINISHED = "routine_finished"
    PAIN_STOP = "pain_stop"
    PAIN_CHECKED_IN = "pain_checked_in"
    DELETE_DATA = "delete_data"
    #: The person said no to picking up their unfinished routine: forget it.
    UNFINISHED_DECLINED = "unfinished_declined"
    #: A step was said: where the routine stands (kept in the session, not written by itself).
    STEP_REACHED = "step_reached"
    #: The session ends mid-routine (stop, cancel, or Alexa ending it): remember the step.
    ROUTINE_LEFT = "routine_left"
    #: The screening question was answered (``session.screening``).
    SCREENING_ANSWERED = "screening_answered"
    #: The reply said the disclaimer: it is owed at every opening until it has been heard.
    DISCLAIMER_HEARD = "disclaimer_heard"


@dataclass(frozen=True)
class Turn:
    """One thing the person did, with its slot values resolved to content ids."""

    event: Event
    #: START_ROUTINE: the routine id; ``None`` for the default; "" when said but not recognised.
    routine: str | None = None
    #: FAQ: the topic id; ``None`` when not recognised.
    topic: str | None = None
    memory: Memory = field(default_factory=Memory)
    #: The first request of a session (a launch, or a one-shot intent): the store is read as a
    #: launch reads it.
    opening: bool = False


@dataclass(frozen=True)
class Ctx:
    """What a guard or an action sees.

    ``said`` is the session as the last reply left it; ``session`` is the same, minus what only
    that reply stood for (an offer, an aside) unless the action re-asks the current question.
    """

    session: SessionState
    turn: Turn
    content: Content
    said: SessionState


@dataclass(frozen=True)
class Outcome:
    session: SessionState
    reply: Reply
    effects: frozenset[Effect] = frozenset()
