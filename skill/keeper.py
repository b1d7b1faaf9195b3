"""Keeps a person's progress between sessions through ask-sdk's persistence adapter.

Reads the stored ``Progress`` into the machine's ``Memory`` before a turn, and writes back what
the turn changed after it: the routine and step reached, a finished routine, a pain stop, the
screening answer, or deletion. Nothing else is stored (no symptoms, no free text). A store
that fails or a corrupt record never costs the person a reply: they are treated as new.
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
from skill.state import ROUTINE_STATES, Memory, Screening

log = logging.getLogger("skill.keeper")
#: Where the parsed record is kept for the rest of the request.
_READ = "workoutPlanner.progress"


def _screening(value: str | None) -> Screening | None:
    return Screening(value) if value in ("yes", "no") else None


class StoredProgress:
    """The ``ProgressKeeper`` for a skill built with a persistence adapter."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock

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
        manager = handler_input.attributes_manager
        if Effect.DELETE_DATA in outcome.effects:
            manager.delete_persistent_attributes()
            return
        stored, _ = self._stored(handler_input)
        updated = self.updated(
            stored, outcome, launched=is_request_type("LaunchRequest")(handler_input)
        )
        if updated != stored:
            manager.persistent_attributes = updated.to_attributes()
            manager.save_persistent_attributes()

    def updated(self, progress: Progress, outcome: Outcome, *, launched: bool) -> Progress:
        """What the store should hold after this turn."""
        now = self.clock()
        session = outcome.session
        stamp = now.astimezone(UTC).isoformat(timespec="seconds")
        if launched and (progress.last_active or "")[:10] != stamp[:10]:
            # A new person, or the first visit today: enough to know them next time, without a
            # durable write on every launch.
            progress = replace(progress, last_active=stamp)
        if Effect.ROUTINE_FINISHED in outcome.effects:
            progress = progress.with_completion(now.date())
        elif Effect.PAIN_STOP in outcome.effects:
            progress = progress.with_pain_stop(now)
        elif Effect.PAIN_CHECKED_IN in outcome.effects:
            progress = replace(progress.cleared_routine(), stopped_for_pain=False)
        elif session.state in ROUTINE_STATES and session.routine_id:
            if (progress.routine_id, progress.step_index) != (
                session.routine_id,
                session.step_index,
            ):
                progress = progress.with_step(session.routine_id, session.step_index, now)
        elif Effect.UNFINISHED_DECLINED in outcome.effects and progress.routine_id:
            progress = progress.cleared_routine()  # they said no to picking up
        answer = session.screening.value if session.screening else None
        if answer and answer != progress.screening:
            progress = replace(progress, screening=answer)
        return progress
