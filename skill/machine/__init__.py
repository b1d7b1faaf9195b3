"""The conversation as a declarative state machine (pure: no I/O, no globals, no flask or ask_sdk).

``advance(session, turn, content)`` finds the first rule of ``RULES`` (see ``table``) whose
source, event and guard match, runs its action and moves to its target.
"""

from __future__ import annotations

from dataclasses import replace

from skill.content import Content
from skill.machine.actions import ACTIONS
from skill.machine.events import Ctx, Effect, Event, Outcome, Turn
from skill.machine.table import ANY, RULES, SAME, Rule
from skill.state import ROUTINE_STATES, SessionState, State


def _recover(session: SessionState, content: Content) -> SessionState:
    """A state that cannot go on (its routine or step is gone, or the session ended) is the menu."""
    routine = content.routine(session.routine_id)
    lost = session.state in ROUTINE_STATES | {State.RESUME_OFFER} and (
        routine is None or not 0 <= session.step_index < len(routine.steps)
    )
    if lost or session.state is State.ENDED:
        return SessionState(screening=session.screening)
    return session


#: The table's rules by event, in table order: a turn only looks at its own event's rules.
_RULES_BY_EVENT: dict[Event, tuple[Rule, ...]] = {
    event: tuple(rule for rule in RULES if rule.event is event) for event in Event
}


def find_rule(ctx: Ctx) -> Rule:
    """The first matching rule; the table tests prove one always matches."""
    for rule in _RULES_BY_EVENT[ctx.turn.event]:
        if rule.matches(ctx):
            return rule
    raise LookupError(f"no rule for {ctx.turn.event} in {ctx.session.state}")


def advance(session: SessionState, turn: Turn, content: Content) -> Outcome:
    """Apply one turn: the new session state, what to say, and what the store must remember."""
    if turn.event is Event.LAUNCH:
        session = SessionState(screening=turn.memory.screening)
    ctx = Ctx(_recover(session, content), turn, content)
    rule = find_rule(ctx)
    outcome = ACTIONS[rule.action](ctx)
    target = ctx.session.state if rule.target is SAME else rule.target
    assert isinstance(target, State)
    return replace(outcome, session=replace(outcome.session, state=target))


__all__ = [
    "ANY",
    "RULES",
    "SAME",
    "Ctx",
    "Effect",
    "Event",
    "Outcome",
    "Rule",
    "Turn",
    "advance",
    "find_rule",
]
