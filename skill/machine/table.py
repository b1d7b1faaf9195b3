"""The transition table: every state, event, guard, action and target in one place.

The first rule whose source, event and guard match wins, so order is behaviour:
1. safety (pain, red flags) and leaving (stop, cancel) come first, from every state;
2. the first turn of a session (a launch, or a one-shot request) and session-wide commands;
3. each state's own rules;
4. catch-alls for ANY state last, so every state answers every event.

``validate`` runs when this module is imported: a table with an unanswered event, a rule that
can never fire, a state that cannot be reached or left, or a question state that is kept without
its question being asked again fails at start-up, not in a conversation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from skill.machine import actions as a
from skill.machine import guards as g
from skill.machine.actions import Action
from skill.machine.events import Ctx, Event
from skill.state import QUESTION_STATES, ROUTINE_STATES, State


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: A rule for every state.
ANY = _Marker("ANY")
#: The rule's target is the state it fired in.
SAME = _Marker("SAME")


class TableError(ValueError):
    """The table breaks one of its rules; the message names the rule."""


@dataclass(frozen=True)
class Rule:
    source: State | _Marker
    event: Event
    action: Action
    target: State | _Marker
    guard: g.Guard | None = None

    def matches(self, ctx: Ctx) -> bool:
        return (
            (self.source is ANY or self.source == ctx.session.state)
            and self.event == ctx.turn.event
            and (self.guard is None or self.guard(ctx))
        )

    def applies_in(self, state: State) -> bool:
        return self.source is ANY or self.source == state

    def target_from(self, state: State) -> State:
        target = state if self.target is SAME else self.target
        assert isinstance(target, State)
        return target

    def __str__(self) -> str:
        guard = f" [{self.guard.__name__}]" if self.guard else ""
        return f"{self.source} --{self.event.value}{guard}--> {self.target}: {self.action.name}"


def _start(source: State | _Marker, event: Event) -> list[Rule]:
    """Starting a routine: recognised, screened, suitable, then begun."""
    return [
        Rule(source, event, a.unknown_routine, State.READY, g.routine_unrecognised),
        Rule(source, event, a.ask_screening, State.SCREENING, g.screening_unknown),
        Rule(source, event, a.decline_unsuitable, State.READY, g.routine_unsuitable),
        Rule(source, event, a.begin_routine, State.IN_STEP),
    ]


def _each(
    sources: Iterable[State | _Marker],
    events: Iterable[Event],
    action: Action,
    target: State | _Marker,
    guard: g.Guard | None = None,
) -> list[Rule]:
    return [Rule(source, event, action, target, guard) for source in sources for event in events]


E, S = Event, State
GOING = (S.IN_STEP, S.PAUSED, S.ASIDE)
HOLDING = (S.PAUSED, S.ASIDE)
#: Mid-routine words that mean nothing while a question waits for its answer.
NOT_AN_ANSWER = (E.NEXT, E.PREVIOUS, E.RESUME, E.PAUSE, E.START_OVER, E.STEP_INFO, E.TOO_HARD)
#: A one-shot request after a pain stop checks in first, whatever it asked (safety, leaving and
#: the person's data excepted).
CHECK_IN_FIRST = tuple(
    e
    for e in Event
    if e
    not in {
        E.PAIN,
        E.RED_FLAG,
        E.CHEST_PAIN,
        E.STOP,
        E.CANCEL,
        E.LAUNCH,
        E.DELETE_DATA,
        E.UPDATE_SCREENING,
        E.HAVE_CONDITION,
        E.NO_CONDITION,
    }
)
#: An opening gives the disclaimer until the person has heard it (a first launch's welcome says
#: it; any other greeting or one-shot request ("ask workout planner to start the stretching
#: routine") adds it). Not the urgent replies or pain guidance (nothing delays them), leaving, or
#: deleting (no advice is given): those leave it owed.
DISCLAIMED_OPENINGS = frozenset(Event) - {
    E.PAIN,
    E.RED_FLAG,
    E.CHEST_PAIN,
    E.STOP,
    E.CANCEL,
    E.DELETE_DATA,
}
#: The screening answer: a yes or no, or the same said in words.
SAYS_YES = (E.YES, E.HAVE_CONDITION)
SAYS_NO = (E.NO, E.NO_CONDITION)

RULES: tuple[Rule, ...] = (
    # 1. Safety first, from every state.
    Rule(ANY, E.PAIN, a.stop_for_pain, S.PAIN_STOPPED, g.in_routine),
    Rule(ANY, E.PAIN, a.pain_guidance, S.PAIN_STOPPED),
    Rule(ANY, E.RED_FLAG, a.red_flag, S.ENDED),
    Rule(ANY, E.CHEST_PAIN, a.chest_pain, S.ENDED),
    Rule(ANY, E.STOP, a.goodbye, S.ENDED),
    Rule(ANY, E.CANCEL, a.goodbye, S.ENDED),
    # 2. A new session checks in after pain, offers to resume, or welcomes; a one-shot request
    #    reads the store the same way (the machine opens it in the state a launch would).
    Rule(ANY, E.LAUNCH, a.welcome_after_pain, S.READY, g.pain_last_time),
    Rule(ANY, E.LAUNCH, a.offer_resume, S.RESUME_OFFER, g.has_unfinished),
    Rule(ANY, E.LAUNCH, a.welcome_first, S.READY, g.unintroduced),
    Rule(ANY, E.LAUNCH, a.welcome_back, S.READY),
    Rule(ANY, E.DELETE_DATA, a.confirm_delete, S.CONFIRM_DELETE),
    Rule(ANY, E.UPDATE_SCREENING, a.update_screening, S.SCREENING),
    *_each([ANY], CHECK_IN_FIRST, a.welcome_after_pain, S.READY, g.opening_after_pain),
    # A yes or no that opens a session answers nothing yet: greet, and ask what a launch asks.
    *_each([ANY], [E.YES, E.NO], a.offer_resume, S.RESUME_OFFER, g.opening_with_unfinished),
    *_each([ANY], [E.YES, E.NO], a.welcome_first, S.READY, g.opening_unintroduced),
    *_each([ANY], [E.YES, E.NO], a.welcome_back, S.READY, g.opening),
    Rule(ANY, E.NAVIGATE_HOME, a.home, S.READY),
    # 3a. The screening question; a pending routine starts once it is answered.
    *_each([S.SCREENING], SAYS_YES, a.screened_start, S.IN_STEP, g.pending_suits_condition),
    *_each([S.SCREENING], SAYS_YES, a.screened_yes, S.READY),
    *_each([S.SCREENING], SAYS_NO, a.screened_start, S.IN_STEP, g.has_pending),
    *_each([S.SCREENING], SAYS_NO, a.screened_no, S.READY),
    Rule(S.SCREENING, E.START_ROUTINE, a.unknown_routine, S.READY, g.routine_unrecognised),
    Rule(S.SCREENING, E.START_ROUTINE, a.ask_screening, SAME),
    *_each([S.SCREENING], [*NOT_AN_ANSWER, E.REPEAT], a.reask, SAME),
    # 3b. In a routine: "next" always moves on, "resume" says the step again.
    *_each(GOING, [E.NEXT], a.finish, S.FINISHED, g.on_last_step),
    *_each(GOING, [E.NEXT], a.next_step, S.IN_STEP),
    *_each(GOING, [E.RESUME], a.say_step, S.IN_STEP),
    Rule(S.IN_STEP, E.REPEAT, a.say_step, S.IN_STEP),
    Rule(S.IN_STEP, E.NO, a.take_your_time, SAME),
    *_each(GOING, [E.PREVIOUS], a.previous_step, S.IN_STEP),
    *_each(GOING, [E.START_OVER], a.restart, S.IN_STEP),
    *_each(GOING, [E.PAUSE], a.pause, S.PAUSED),
    *_each(GOING, [E.FAQ], a.answer_aside, S.ASIDE),
    *_each(GOING, [E.LIST_ROUTINES], a.menu_aside, S.ASIDE),
    *_each(GOING, [E.STEP_INFO], a.step_info, S.ASIDE),
    *_each(GOING, [E.TOO_HARD], a.easier, S.ASIDE),
    *_each(GOING, [E.FALLBACK], a.fallback_routine, S.PAUSED),
    # 3c. Paused, or back from an aside.
    Rule(S.PAUSED, E.REPEAT, a.pause, S.PAUSED),
    Rule(S.ASIDE, E.REPEAT, a.repeat_aside, S.ASIDE),
    # 3d. Stopped for pain: the routine does not go on; beginning again must be deliberate.
    Rule(S.PAIN_STOPPED, E.START_OVER, a.restart, S.IN_STEP, g.has_routine),
    Rule(S.PAIN_STOPPED, E.START_OVER, a.pain_rest, SAME),  # it hurt before any routine
    *[
        rule
        for event in (E.NEXT, E.PREVIOUS, E.RESUME, E.YES, E.PAUSE, E.NO, E.STEP_INFO, E.TOO_HARD)
        for rule in (
            Rule(S.PAIN_STOPPED, event, a.pain_blocked, SAME, g.has_routine),
            Rule(S.PAIN_STOPPED, event, a.pain_rest, SAME),
        )
    ],
    Rule(S.PAIN_STOPPED, E.REPEAT, a.repeat_pain, SAME),
    # 3e. The offer to resume an unfinished routine.
    *[
        rule
        for event in (E.YES, E.RESUME, E.NEXT)
        for rule in (
            Rule(S.RESUME_OFFER, event, a.decline_unsuitable, S.READY, g.routine_unsuitable),
            Rule(S.RESUME_OFFER, event, a.resume_saved, S.IN_STEP),
        )
    ],
    Rule(S.RESUME_OFFER, E.NO, a.menu_fresh, S.READY),
    *_start(S.RESUME_OFFER, E.START_OVER),
    *_each(
        [S.RESUME_OFFER], [E.PREVIOUS, E.PAUSE, E.REPEAT, E.STEP_INFO, E.TOO_HARD], a.reask, SAME
    ),
    # 3f. Confirming deletion: only a clear yes deletes; nothing else answers the question.
    Rule(S.CONFIRM_DELETE, E.YES, a.delete_data, S.READY),
    Rule(S.CONFIRM_DELETE, E.NO, a.keep_data, S.READY),
    *_each(
        [S.CONFIRM_DELETE],
        [*NOT_AN_ANSWER, E.START_ROUTINE, E.LIST_ROUTINES, E.REPEAT],
        a.reask,
        SAME,
    ),
    # 3g. A routine finished: "yes" goes again.
    *_start(S.FINISHED, E.YES),
    *_start(S.FINISHED, E.START_OVER),
    Rule(S.FINISHED, E.NO, a.goodbye, S.ENDED),
    Rule(S.FINISHED, E.PREVIOUS, a.last_step_again, S.IN_STEP),
    Rule(S.FINISHED, E.REPEAT, a.repeat_finished, SAME),
    *_each([S.FINISHED], [E.NEXT, E.RESUME, E.PAUSE, E.STEP_INFO, E.TOO_HARD], a.reask, SAME),
    # 3h. The menu: "yes" starts the routine just offered, and only that.
    Rule(S.READY, E.YES, a.not_asked, SAME, g.nothing_offered),
    *_start(S.READY, E.YES),
    *_start(S.READY, E.START_OVER),
    Rule(S.READY, E.NO, a.declined, SAME),
    # 4. Everywhere else. The screening answer in words, with no question open, asks it again.
    *_each([ANY], [E.HAVE_CONDITION, E.NO_CONDITION], a.update_screening, S.SCREENING),
    *_start(ANY, E.START_ROUTINE),
    Rule(ANY, E.LIST_ROUTINES, a.menu, S.READY),
    Rule(ANY, E.TOO_HARD, a.suggest_gentle, S.READY),
    Rule(ANY, E.FAQ, a.answer, SAME),
    Rule(ANY, E.HELP, a.help_here, SAME),
    Rule(ANY, E.THANKS, a.thanks, SAME),
    Rule(ANY, E.REPEAT, a.repeat_last, SAME),
    *_each([ANY], [E.YES, E.NO], a.not_asked, SAME),
    *_each(
        [ANY],
        [E.NEXT, E.PREVIOUS, E.PAUSE, E.RESUME, E.START_OVER, E.STEP_INFO],
        a.not_in_routine,
        SAME,
    ),
    Rule(ANY, E.FALLBACK, a.fallback, SAME),
)


def rules_for(rules: Iterable[Rule], state: State, event: Event) -> list[Rule]:
    """The rules that may fire for ``event`` in ``state``, in table order."""
    return [rule for rule in rules if rule.event is event and rule.applies_in(state)]


def live_rules(rules: tuple[Rule, ...], state: State, event: Event) -> list[Rule]:
    """The rules that can actually fire: those after an unguarded one (or one with the same
    guard) can never be reached."""
    live: list[Rule] = []
    for rule in rules_for(rules, state, event):
        if any(earlier.guard is None or earlier.guard is rule.guard for earlier in live):
            continue
        live.append(rule)
    return live


def validate(rules: tuple[Rule, ...]) -> None:
    """Raise ``TableError`` unless the table is total, every rule can fire, every state is
    reachable and can be left, and a question state is only kept by re-asking its question."""
    fired: set[int] = set()
    graph: dict[State, set[State]] = {state: set() for state in State}
    for state in State:
        for event in Event:
            live = live_rules(rules, state, event)
            if not live or live[-1].guard is not None:
                raise TableError(f"{event.value} in {state.value} has no unguarded rule")
            for rule in live:
                fired.add(id(rule))
                target = rule.target_from(state)
                graph[state].add(target)
                if target in QUESTION_STATES and not (
                    rule.action.asks is target or (target is state and rule.action.reasks)
                ):
                    raise TableError(f"{rule} stays in {target.value} without asking its question")
    for rule in rules:
        if id(rule) not in fired:
            raise TableError(f"{rule} can never fire (an earlier rule always matches first)")
    for state in State:
        missing = {State.READY, State.ENDED} - _reachable(graph, state)
        if missing:
            raise TableError(f"{state.value} is a trap: cannot reach {sorted(missing)}")
    reach = _reachable(graph, State.READY)
    if reach != set(State):
        raise TableError(f"unreachable: {sorted(s.value for s in set(State) - reach)}")
    for state in ROUTINE_STATES:
        if State.FINISHED not in _reachable(graph, state):
            raise TableError(f"{state.value} can never finish its routine")


def _reachable(graph: dict[State, set[State]], start: State) -> set[State]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in graph[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


validate(RULES)
