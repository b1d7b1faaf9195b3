"""Which intent is which event: the one mapping between the interaction model and the machine."""

from __future__ import annotations

from skill.content import Content
from skill.content.keys import faq_intent_name  # not samples: the grammar loads for the model only
from skill.machine.events import Event

#: Every intent the skill handles. A test checks it against every interaction_model/<locale>.json.
INTENT_EVENTS: dict[str, Event] = {
    "StartRoutineIntent": Event.START_ROUTINE,
    "ListRoutinesIntent": Event.LIST_ROUTINES,
    "FaqIntent": Event.FAQ,
    "PainIntent": Event.PAIN,
    "RedFlagIntent": Event.RED_FLAG,
    "ChestPainIntent": Event.CHEST_PAIN,
    "UpdateScreeningIntent": Event.UPDATE_SCREENING,
    "DeleteDataIntent": Event.DELETE_DATA,
    "StepInfoIntent": Event.STEP_INFO,
    "TooHardIntent": Event.TOO_HARD,
    "ThanksIntent": Event.THANKS,
    # The screening answer said in words: the machine takes it as the answer while the
    # question is open, and as an update request anywhere else.
    "HaveConditionIntent": Event.HAVE_CONDITION,
    "NoConditionIntent": Event.NO_CONDITION,
    "AMAZON.HelpIntent": Event.HELP,
    "AMAZON.StopIntent": Event.STOP,
    "AMAZON.CancelIntent": Event.CANCEL,
    "AMAZON.FallbackIntent": Event.FALLBACK,
    "AMAZON.NavigateHomeIntent": Event.NAVIGATE_HOME,
    "AMAZON.NextIntent": Event.NEXT,
    "AMAZON.PreviousIntent": Event.PREVIOUS,
    "AMAZON.RepeatIntent": Event.REPEAT,
    "AMAZON.StartOverIntent": Event.START_OVER,
    "AMAZON.PauseIntent": Event.PAUSE,
    "AMAZON.ResumeIntent": Event.RESUME,
    "AMAZON.YesIntent": Event.YES,
    "AMAZON.NoIntent": Event.NO,
}

ROUTINE_SLOT = "routine"
ROUTINE_SLOT_TYPE = "ROUTINE_NAME"
TOPIC_SLOT = "topic"
TOPIC_SLOT_TYPE = "FAQ_TOPIC"


def faq_intents(content: Content) -> dict[str, str]:
    """Each FAQ topic's own intent -> the topic id (the FAQ event with that topic)."""
    return {faq_intent_name(entry.id): entry.id for entry in content.faq if entry.samples}


def handled_intents(content: Content) -> list[str]:
    """Every intent the skill handles, in model order: the fixed ones, then one per FAQ topic."""
    return [*INTENT_EVENTS, *faq_intents(content)]
