"""The transition table: every state, event, guard, action and target in one place.

The first rule whose source, event and guard match wins, so order is behaviour:
1. safety (pain, red flags) and leaving (stop, cancel) come first, from every state;
2. session-wide commands (launch, delete, update screening, home);
3. each state's own rules;
4. catch-alls for ANY state last, so every state answers every event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from skill.machine import guards as g
from skill.machine.events import Ctx, Event
from skill.state import State


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: A rule for every state.
ANY = _Marker("ANY")
#: The rule's target is the state it fired in.
SAME = _Marker("SAME")


@dataclass(frozen=True)
class Rule:
    source: State | _Marker
    event: Event
    action: str
    target: State | _Marker
    guard: g.Guard | None = None

    def matches(self, ctx: Ctx) -> bool:
        return (
            (self.source is ANY or self.source == ctx.session.state)
            and self.event == ctx.turn.event
            and (self.guard is None or self.guard(ctx))
        )


def _start(source: State | _Marker, event: Event) -> list[Rule]:
    """Starting a routine: recognised, screened, suitable, then begun."""
    return [
        Rule(source, event, "unknown_routine", State.READY, g.routine_unrecognised),
        Rule(source, event, "ask_screening", State.SCREENING, g.screening_unknown),
        Rule(source, event, "decline_unsuitable", State.READY, g.routine_unsuitable),
        Rule(source, event, "begin_routine", State.IN_STEP),
    ]


def _each(
    sources: Iterable[State | _Marker],
    events: Iterable[Event],
    action: str,
    target: State | _Marker,
) -> list[Rule]:
    return [Rule(source, event, action, target) for source in sources for event in events]


E, S = Event, State
GOING = (S.IN_STEP, S.PAUSED, S.ASIDE)
HOLDING = (S.PAUSED, S.ASIDE)

RULES: tuple[Rule, ...] = (
    # 1. Safety first, from every state.
    Rule(ANY, E.PAIN, "stop_for_pain", S.PAIN_STOPPED, g.in_routine),
    Rule(ANY, E.PAIN, "pain_guidance", S.PAIN_STOPPED),
    Rule(ANY, E.RED_FLAG, "red_flag", S.ENDED),
    Rule(ANY, E.CHEST_PAIN, "chest_pain", S.ENDED),
    Rule(ANY, E.STOP, "goodbye", S.ENDED),
    Rule(ANY, E.CANCEL, "goodbye", S.ENDED),
    # 2. Session-wide: a new session checks in after pain, offers to resume, or welcomes.
    Rule(ANY, E.LAUNCH, "welcome_after_pain", S.READY, g.pain_last_time),
    Rule(ANY, E.LAUNCH, "offer_resume", S.RESUME_OFFER, g.has_unfinished),
    Rule(ANY, E.LAUNCH, "welcome_first", S.READY, g.first_visit),
    Rule(ANY, E.LAUNCH, "welcome_back", S.READY),
    Rule(ANY, E.DELETE_DATA, "confirm_delete", S.CONFIRM_DELETE),
    Rule(ANY, E.UPDATE_SCREENING, "update_screening", S.SCREENING),
    Rule(ANY, E.NAVIGATE_HOME, "home", S.READY),
    # 3a. The screening question; a pending routine starts once it is answered.
    Rule(S.SCREENING, E.YES, "screened_start", S.IN_STEP, g.pending_suits_condition),
    Rule(S.SCREENING, E.YES, "screened_yes", S.READY),
    Rule(S.SCREENING, E.NO, "screened_start", S.IN_STEP, g.has_pending),
    Rule(S.SCREENING, E.NO, "screened_no", S.READY),
    Rule(S.SCREENING, E.HELP, "help_screening", SAME),
    Rule(S.SCREENING, E.FAQ, "answer_then_screen", SAME),
    Rule(S.SCREENING, E.START_ROUTINE, "ask_screening", SAME),
    *_each([S.SCREENING], [E.REPEAT, E.FALLBACK, E.NEXT, E.RESUME], "reask_screening", SAME),
    # 3b. In a routine.
    Rule(S.IN_STEP, E.NEXT, "finish", S.FINISHED, g.on_last_step),
    Rule(S.IN_STEP, E.NEXT, "next_step", S.IN_STEP),
    Rule(S.IN_STEP, E.YES, "finish", S.FINISHED, g.on_last_step),
    Rule(S.IN_STEP, E.YES, "next_step", S.IN_STEP),
    Rule(S.IN_STEP, E.NO, "take_your_time", S.IN_STEP),
    *_each([S.IN_STEP], [E.REPEAT, E.RESUME], "say_step", S.IN_STEP),
    Rule(S.IN_STEP, E.HELP, "help_step", S.IN_STEP),
    Rule(S.IN_STEP, E.FALLBACK, "fallback_step", S.IN_STEP),
    *_each(GOING, [E.PREVIOUS], "previous_step", S.IN_STEP),
    *_each(GOING, [E.START_OVER], "restart", S.IN_STEP),
    *_each(GOING, [E.PAUSE], "pause", S.PAUSED),
    *_each(GOING, [E.FAQ], "answer_aside", S.ASIDE),
    *_each(GOING, [E.LIST_ROUTINES], "menu_aside", S.ASIDE),
    # 3c. Paused, or back from a question: carry on at the same step.
    *_each(HOLDING, [E.NEXT, E.YES, E.RESUME], "say_step", S.IN_STEP),
    *_each(HOLDING, [E.NO], "pause", S.PAUSED),
    Rule(S.PAUSED, E.REPEAT, "pause", S.PAUSED),
    Rule(S.PAUSED, E.HELP, "help_paused", S.PAUSED),
    Rule(S.PAUSED, E.FALLBACK, "fallback_paused", S.PAUSED),
    Rule(S.ASIDE, E.REPEAT, "repeat_answer", S.ASIDE),
    Rule(S.ASIDE, E.HELP, "help_step", S.ASIDE),
    Rule(S.ASIDE, E.FALLBACK, "fallback_aside", S.ASIDE),
    # 3d. Stopped for pain: the routine does not go on; beginning again must be deliberate.
    Rule(S.PAIN_STOPPED, E.START_OVER, "restart", S.IN_STEP, g.has_routine),
    *[
        rule
        for event in (E.NEXT, E.PREVIOUS, E.RESUME, E.YES, E.PAUSE, E.START_OVER, E.NO)
        for rule in (
            Rule(S.PAIN_STOPPED, event, "pain_blocked", SAME, g.has_routine),
            Rule(S.PAIN_STOPPED, event, "pain_rest", SAME),  # it hurt before any routine
        )
    ],
    Rule(S.PAIN_STOPPED, E.REPEAT, "repeat_pain", SAME),
    Rule(S.PAIN_STOPPED, E.HELP, "help_pain", SAME),
    Rule(S.PAIN_STOPPED, E.FALLBACK, "fallback_pain", SAME),
    Rule(S.PAIN_STOPPED, E.FAQ, "answer_then_pain", SAME),
    # 3e. The offer to resume an unfinished routine.
    *[
        rule
        for event in (E.YES, E.RESUME, E.NEXT)
        for rule in (
            Rule(S.RESUME_OFFER, event, "decline_unsuitable", S.READY, g.routine_unsuitable),
            Rule(S.RESUME_OFFER, event, "resume_saved", S.IN_STEP),
        )
    ],
    Rule(S.RESUME_OFFER, E.NO, "menu_fresh", S.READY),
    *_start(S.RESUME_OFFER, E.START_OVER),
    Rule(S.RESUME_OFFER, E.FAQ, "answer_then_offer", SAME),
    *_each(
        [S.RESUME_OFFER], [E.PREVIOUS, E.PAUSE, E.REPEAT, E.HELP, E.FALLBACK], "offer_again", SAME
    ),
    # 3f. Confirming deletion: only a clear yes deletes.
    Rule(S.CONFIRM_DELETE, E.YES, "delete_data", S.READY),
    Rule(S.CONFIRM_DELETE, E.NO, "keep_data", S.READY),
    *_each(
        [S.CONFIRM_DELETE],
        [E.FAQ, E.START_ROUTINE, E.LIST_ROUTINES, E.REPEAT, E.HELP, E.FALLBACK],
        "confirm_delete",
        SAME,
    ),
    # 3g. A routine finished.
    *_start(S.FINISHED, E.START_OVER),
    Rule(S.FINISHED, E.PREVIOUS, "last_step_again", S.IN_STEP, g.has_routine),
    Rule(S.FINISHED, E.REPEAT, "repeat_finished", SAME, g.has_routine),
    Rule(S.FINISHED, E.NO, "goodbye", S.ENDED),
    # 3h. The menu: "yes" and "start over" take the default routine.
    *_start(S.READY, E.YES),
    *_start(S.READY, E.START_OVER),
    Rule(S.READY, E.NO, "declined", SAME),
    # 4. Everywhere else.
    *_start(ANY, E.START_ROUTINE),
    Rule(ANY, E.LIST_ROUTINES, "menu", S.READY),
    Rule(ANY, E.FAQ, "answer", SAME),
    Rule(ANY, E.HELP, "help_menu", SAME),
    Rule(ANY, E.REPEAT, "menu", SAME),
    *_each(
        [ANY],
        [E.NEXT, E.PREVIOUS, E.PAUSE, E.RESUME, E.YES, E.NO, E.START_OVER],
        "not_in_routine",
        SAME,
    ),
    Rule(ANY, E.FALLBACK, "fallback", SAME),
)
