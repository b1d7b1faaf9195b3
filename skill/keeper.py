"""Keeps a person's progress between sessions: a fold over the effects a turn returns.

The machine's actions say what the next session must know as effects (``skill.machine.Effect``);
the keeper folds them into the stored ``Progress`` and writes it durably only when one of them
decides the next session (:data:`DURABLE`): a pain stop or red flag, a finished routine, the
screening answer, a routine left or declined, a deletion. Between those moments the step lives
in the session attributes: ``STEP_REACHED`` changes nothing on disk by itself, and a session
that ends mid-routine without the skill ending it (a timeout after the reprompt, another skill,
an error) arrives as a ``SessionEndedRequest`` whose session attributes carry the step, folded
as ``ROUTINE_LEFT`` (see :meth:`StoredProgress.apply`).

Nothing else is stored (no symptoms, no free text). A store that fails or a corrupt record never
costs the person a reply: they are treated as new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type

from skill import metrics
from skill.machine import Effect, Outcome
from skill.progress import Progress
from skill.state import Memory, Screening, SessionState

log = logging.getLogger("skill.keeper")
#: Where the parsed record is kept for the rest of the request.
_READ = "workoutPlanner.progress"

Fold = Callable[[Progress, SessionState, datetime], Progress]


def _at_step(progress: Progress, session: SessionState, now: datetime) -> Progress:
    if not session.routine_id:
        return progress
    if (progress.routine_id, progress.step_index) == (session.routine_id, session.step_index):
        return progress
    return progress.with_step(session.routine_id, session.step_index, now)


def _screened(progress: Progress, session: SessionState, now: datetime) -> Progress:
    answer = session.screening.value if session.screening else None
    return replace(progress, screening=answer) if answer else progress


#: What each effect does to the record, in the order they apply within one turn.
FOLDS: dict[Effect, Fold] = {
    Effect.SCREENING_ANSWERED: _screened,
    Effect.UNFINISHED_DECLINED: lambda p, s, now: p.cleared_routine(),
    Effect.PAIN_CHECKED_IN: lambda p, s, now: replace(p.cleared_routine(), stopped_for_pain=False),
    Effect.STEP_REACHED: _at_step,
    Effect.ROUTINE_LEFT: _at_step,
    Effect.ROUTINE_FINISHED: lambda p, s, now: p.with_completion(now.date()),
    Effect.PAIN_STOP: lambda p, s, now: p.with_pain_stop(now),
}
#: Effects that decide the next session: a turn with one is written before the reply.
DURABLE = frozenset(FOLDS) - {Effect.STEP_REACHED} | {Effect.DELETE_DATA}


def fold(
    progress: Progress, effects: frozenset[Effect], session: SessionState, now: datetime
) -> Progress:
    """The record after a turn's effects (pure)."""
    for effect, apply in FOLDS.items():
        if effect in effects:
            progress = apply(progress, session, now)
    return progress


def _opening(handler_input: HandlerInput) -> bool:
    """A launch, or the first request of a session (a one-shot: "ask workout planner to...")."""
    session = handler_input.request_envelope.session
    new_session = session is None or session.new is not False
    return new_session or is_request_type("LaunchRequest")(handler_input)


def _screening(value: str | None) -> Screening | None:
    return Screening(value) if value in ("yes", "no") else None


class StoredProgress:
    """The ``ProgressKeeper`` for a skill built with a persistence adapter."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock

    def memory(self, handler_input: HandlerInput) -> Memory:
        progress, known = self._stored(handler_input)
        return Memory(
            known=known,
            screening=_screening(progress.screening),
            unfinished_routine_id=progress.routine_id,
            unfinished_step_index=progress.step_index,
            pain_last_time=progress.stopped_for_pain,
            sessions_this_week=progress.sessions_this_week(self.clock().date()),
        )

    def remember(self, handler_input: HandlerInput, outcome: Outcome) -> None:
        self.apply(handler_input, outcome.effects, outcome.session)

    def apply(
        self, handler_input: HandlerInput, effects: frozenset[Effect], session: SessionState
    ) -> None:
        """Fold ``effects`` into the stored record; write it if one of them is durable."""
        manager = handler_input.attributes_manager
        if Effect.DELETE_DATA in effects:
            manager.delete_persistent_attributes()
            return
        stored, _ = self._stored(handler_input)
        now = self.clock()
        updated = fold(stored, effects, session, now)
        if _opening(handler_input):
            updated = self._seen(updated, now)
        if updated != stored and (effects & DURABLE or updated.last_active != stored.last_active):
            manager.persistent_attributes = updated.to_attributes()
            manager.save_persistent_attributes()

    @staticmethod
    def _seen(progress: Progress, now: datetime) -> Progress:
        """A new person, or the first visit today: enough to know them next time, without a
        durable write on every launch."""
        stamp = now.astimezone(UTC).isoformat(timespec="seconds")
        if (progress.last_active or "")[:10] == stamp[:10]:
            return progress
        return replace(progress, last_active=stamp)

    def _stored(self, handler_input: HandlerInput) -> tuple[Progress, bool]:
        """The stored record, and whether there was one: read and parsed once per request."""
        cache = handler_input.attributes_manager.request_attributes
        if _READ not in cache:
            cache[_READ] = self._read(handler_input)
        return cast(tuple[Progress, bool], cache[_READ])

    def _read(self, handler_input: HandlerInput) -> tuple[Progress, bool]:
        try:
            attributes = handler_input.attributes_manager.persistent_attributes
        except Exception as exc:  # the adapter degrades itself; this guards any other adapter
            log.warning("progress unreadable", extra={"error_type": type(exc).__name__})
            metrics.store_fault("progress", "get", "unreadable")
            return Progress(), False
        progress, problems = Progress.parse(attributes)
        if problems:
            log.warning("stored progress was corrupt", extra={"fields": problems})
            metrics.store_fault("progress", "get", "corrupt_record")
        return progress, bool(attributes) and not problems
