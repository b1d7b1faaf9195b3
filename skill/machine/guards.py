"""Named guards: predicates over the context. Their names appear in the diagram and the tests."""

from __future__ import annotations

from collections.abc import Callable

from skill.content import Routine
from skill.machine.events import Ctx, Event
from skill.state import Screening, State

Guard = Callable[[Ctx], bool]


def suitable_default(ctx: Ctx) -> Routine:
    """What "start" means for this person: the default, or the gentle one if that doesn't suit."""
    default = ctx.content.default_routine
    if ctx.session.screening is Screening.YES and not default.suits_spine_condition:
        return ctx.content.gentle_routine
    return default


def chosen_routine(ctx: Ctx) -> Routine | None:
    """The routine a start (or a "yes" to an offer) refers to."""
    if ctx.turn.event is Event.START_ROUTINE and ctx.turn.routine is not None:
        return ctx.content.routine(ctx.turn.routine)
    if ctx.session.state is State.SCREENING:
        return ctx.content.routine(ctx.session.pending_routine_id)
    if ctx.session.state in (State.RESUME_OFFER, State.FINISHED):
        return ctx.content.routine(ctx.session.routine_id)
    if ctx.turn.event is Event.YES and ctx.said.offered_routine_id:
        return ctx.content.routine(ctx.said.offered_routine_id)
    return suitable_default(ctx)


def routine_unrecognised(ctx: Ctx) -> bool:
    return chosen_routine(ctx) is None


def screening_unknown(ctx: Ctx) -> bool:
    return ctx.session.screening is None


def routine_unsuitable(ctx: Ctx) -> bool:
    routine = chosen_routine(ctx)
    return (
        ctx.session.screening is Screening.YES
        and routine is not None
        and not routine.suits_spine_condition
    )


def pending_suits_condition(ctx: Ctx) -> bool:
    """Answering "yes" to screening: the routine asked for is still fine to guide."""
    routine = ctx.content.routine(ctx.session.pending_routine_id)
    return routine is not None and routine.suits_spine_condition


def has_pending(ctx: Ctx) -> bool:
    return ctx.content.routine(ctx.session.pending_routine_id) is not None


def nothing_offered(ctx: Ctx) -> bool:
    """The last reply offered no routine, so a "yes" answers nothing."""
    return ctx.content.routine(ctx.said.offered_routine_id) is None


def in_routine(ctx: Ctx) -> bool:
    return ctx.session.in_routine


def on_last_step(ctx: Ctx) -> bool:
    routine = ctx.content.routine(ctx.session.routine_id)
    return routine is not None and ctx.session.step_index >= len(routine.steps) - 1


def has_routine(ctx: Ctx) -> bool:
    return ctx.content.routine(ctx.session.routine_id) is not None


def pain_last_time(ctx: Ctx) -> bool:
    return ctx.turn.memory.pain_last_time


def opening_after_pain(ctx: Ctx) -> bool:
    """A one-shot request from someone whose last routine stopped for pain: check in first."""
    return ctx.turn.opening and ctx.turn.memory.pain_last_time


def opening_with_unfinished(ctx: Ctx) -> bool:
    """The first turn of a session, from someone with a routine to pick up."""
    return ctx.turn.opening and has_unfinished(ctx)


def opening_unintroduced(ctx: Ctx) -> bool:
    """The first turn of a session, from someone who has not heard the disclaimer yet."""
    return ctx.turn.opening and unintroduced(ctx)


def opening(ctx: Ctx) -> bool:
    return ctx.turn.opening


def has_unfinished(ctx: Ctx) -> bool:
    return ctx.content.routine(ctx.turn.memory.unfinished_routine_id) is not None


def unintroduced(ctx: Ctx) -> bool:
    """Never heard the disclaimer: a first visit, or one that began with a pain stop, a stop or
    a deletion (stored, but neither welcomed nor warned)."""
    return not ctx.turn.memory.disclaimer_heard
