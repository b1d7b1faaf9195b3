"""Keeps a person's progress between sessions: a fold over the effects a turn returns.

The machine's actions say what the next session must know as effects (``skill.machine.Effect``);
the keeper folds them into the stored ``Progress`` and writes it durably only when one of them
decides the next session (:data:`DURABLE`): a pain stop or red flag, a finished routine, the
screening answer, the disclaimer heard, a routine left or declined, a deletion. Between those
moments the step lives in the session attributes: ``STEP_REACHED`` changes nothing on disk by
itself, and a session that ends mid-routine without the skill ending it (a timeout after the
reprompt, another skill, an error) arrives as a ``SessionEndedRequest`` whose session attributes
carry the step, folded as ``ROUTINE_LEFT`` (see :meth:`StoredProgress.apply`).

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
#: Where the parsed record, and the memory offered to the machine, are kept for the request.
_READ = "workoutPlanner.progress"
_MEMORY = "workoutPlanner.memory"

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
    Effect.DISCLAIMER_HEARD: lambda p, s, now: replace(p, disclaimer_heard=True),
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


#: The session attribute that carries :class:`Memory` between a session's requests.
MEMORY_KEY = "workoutPlannerMemory"
#: Each carried field and the exact types it may have (a bool is not an int here).
_MEMORY_FIELDS: dict[str, tuple[type, ...]] = {
    "known": (bool,),
    "screening": (str, type(None)),
    "unfinished_routine_id": (str, type(None)),
    "unfinished_step_index": (int,),
    "pain_last_time": (bool,),
    "sessions_this_week": (int,),
    "disclaimer_heard": (bool,),
}


def _carry(memory: Memory) -> dict[str, object]:
    values = {name: getattr(memory, name) for name in _MEMORY_FIELDS}
    values["screening"] = memory.screening.value if memory.screening else None
    return values


_MEMORY_NAMES = frozenset(_MEMORY_FIELDS)


def _carried(attributes: object) -> Memory | None:
    """The memory an earlier request of this session left; ``None`` if absent or odd."""
    raw = attributes.get(MEMORY_KEY) if isinstance(attributes, dict) else None
    if not isinstance(raw, dict) or raw.keys() != _MEMORY_NAMES:
        return None
    if not all(type(raw[name]) in kinds for name, kinds in _MEMORY_FIELDS.items()):
        return None
    if raw["screening"] not in (None, "yes", "no"):
        return None
    values = dict(raw, screening=_screening(raw["screening"]))
    return Memory(**values)


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
        """What the store remembers: read at a session's first request, then carried in the
        session attributes, so a turn in the middle of a routine reads nothing."""
        cache = handler_input.attributes_manager.request_attributes
        found = cache.get(_MEMORY)
        if found is None:
            carried = None
            if not _opening(handler_input):
                carried = _carried(handler_input.attributes_manager.session_attributes)
            found = cache[_MEMORY] = carried or self._memory(*self._stored(handler_input))
        return cast(Memory, found)

    def remember(self, handler_input: HandlerInput, outcome: Outcome) -> None:
        memory = self.apply(handler_input, outcome.effects, outcome.session)
        attributes = handler_input.attributes_manager.session_attributes
        if attributes is not None and not outcome.reply.end_session:
            attributes[MEMORY_KEY] = _carry(memory)

    def apply(
        self, handler_input: HandlerInput, effects: frozenset[Effect], session: SessionState
    ) -> Memory:
        """Fold ``effects`` into the stored record; write it if one of them is durable.

        Returns what the store now remembers (for the rest of the session).
        """
        manager = handler_input.attributes_manager
        if Effect.DELETE_DATA in effects:
            manager.delete_persistent_attributes()
            return Memory()
        opening = _opening(handler_input)
        if not (effects & DURABLE or opening):
            return self.memory(handler_input)  # nothing to write: the store is not read
        stored, known = self._stored(handler_input)
        now = self.clock()
        updated = fold(stored, effects, session, now)
        if opening:
            updated = self._seen(updated, now)
        if updated != stored and (effects & DURABLE or updated.last_active != stored.last_active):
            manager.persistent_attributes = updated.to_attributes()
            manager.save_persistent_attributes()
            known = True
        return self._memory(updated, known)

    def _memory(self, progress: Progress, known: bool) -> Memory:
        return Memory(
            known=known,
            screening=_screening(progress.screening),
            unfinished_routine_id=progress.routine_id,
            unfinished_step_index=progress.step_index,
            pain_last_time=progress.stopped_for_pain,
            sessions_this_week=progress.sessions_this_week(self.clock().date()),
            disclaimer_heard=progress.disclaimer_heard,
        )

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
