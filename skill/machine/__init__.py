"""The conversation as a declarative state machine (pure: no I/O, no globals, no flask or ask_sdk).

``advance(session, turn, content)`` finds the first rule of ``RULES`` (see ``table``) whose
source, event and guard match, runs its action and moves to its target.
"""

from __future__ import annotations

from dataclasses import replace

from skill.content import Content
from skill.machine import actions as a
from skill.machine import guards as g
from skill.machine.events import Ctx, Effect, Event, Outcome, Turn
from skill.machine.table import ANY, DISCLAIMED_OPENINGS, RULES, SAME, Rule, TableError, validate
from skill.state import ROUTINE_STATES, Memory, SessionState, State


def _recover(session: SessionState, content: Content) -> SessionState:
    """A state that cannot go on (its routine or step is gone, or the session ended) is the menu."""
    routine = content.routine(session.routine_id)
    lost = session.state in ROUTINE_STATES | {State.RESUME_OFFER, State.FINISHED} and (
        routine is None or not 0 <= session.step_index < len(routine.steps)
    )
    if lost or session.state is State.ENDED:
        return SessionState(screening=session.screening, turn=session.turn)
    return session


def _opening(memory: Memory, content: Content) -> SessionState:
    """The first turn of a session starts where a launch would: the stored screening answer,
    and an unfinished routine on offer."""
    routine = content.routine(memory.unfinished_routine_id)
    if routine is None:
        return SessionState(screening=memory.screening)
    index = min(max(memory.unfinished_step_index, 0), len(routine.steps) - 1)
    return SessionState(
        state=State.RESUME_OFFER,
        screening=memory.screening,
        routine_id=routine.id,
        step_index=index,
    )


def _forget_the_last_reply(session: SessionState) -> SessionState:
    """What only the last reply stood for (an offer, an aside) lapses with the next turn."""
    if session.offered_routine_id is None and session.aside is None and session.faq_topic is None:
        return session  # most turns: nothing to forget, and replace() is not free
    return replace(session, offered_routine_id=None, aside=None, faq_topic=None)


#: The table's rules by event, in table order: a turn only looks at its own event's rules.
_RULES_BY_EVENT: dict[Event, tuple[Rule, ...]] = {
    event: tuple(rule for rule in RULES if rule.event is event) for event in Event
}


def find_rule(ctx: Ctx) -> Rule:
    """The first matching rule; the table's validation proves one always matches."""
    for rule in _RULES_BY_EVENT[ctx.turn.event]:
        if rule.matches(ctx):
            return rule
    raise LookupError(f"no rule for {ctx.turn.event} in {ctx.session.state}")


def advance(session: SessionState, turn: Turn, content: Content) -> Outcome:
    """Apply one turn: the new session state, what to say, and what the store must remember."""
    if turn.opening:
        session = _opening(turn.memory, content)
    session = _recover(session, content)
    rule = find_rule(Ctx(session, turn, content, said=session))
    kept = session if rule.action.reasks else _forget_the_last_reply(session)
    ctx = Ctx(kept, turn, content, said=session)
    outcome = rule.action(ctx)
    if turn.event in DISCLAIMED_OPENINGS and g.opening_unintroduced(ctx):
        outcome = a.with_disclaimer(ctx, outcome)
    after = replace(
        outcome.session,
        state=rule.target_from(session.state),
        turn=session.turn + 1,
        misses=session.misses + 1 if turn.event is Event.FALLBACK else 0,
    )
    return replace(outcome, session=after)


__all__ = [
    "ANY",
    "RULES",
    "SAME",
    "Ctx",
    "Effect",
    "Event",
    "Outcome",
    "Rule",
    "TableError",
    "Turn",
    "advance",
    "find_rule",
    "validate",
]
