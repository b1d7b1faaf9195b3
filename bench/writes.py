"""Durable writes per whole routine: how often the store fsyncs for one person's session.

A whole routine through the real skill and a real SQLite file, counted at the persistence
adapter: launch, start the routine (the screening question on a first visit), every step,
finish, stop. ``BEFORE`` is the same count with the keeper that wrote every step reached
(main at 347a996, before issue #13's effects), measured with this same code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.report import Check, Row
from skill.envelopes import AlexaSession
from skill.factory import build_skill, sqlite_adapter
from skill.settings import Settings
from tests.support.dialogue import Dialogue

#: (first visit, returning the same day) before the keeper became a fold over effects.
BEFORE = {"first visit": 7, "returning, same day": 6}
_MAX_TURNS = 50


class CountingAdapter:
    """A persistence adapter that counts the reads, saves and deletes it passes on."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.writes, self.reads = inner, 0, 0

    def get_attributes(self, request_envelope: Any) -> Any:
        self.reads += 1
        return self.inner.get_attributes(request_envelope=request_envelope)

    def save_attributes(self, request_envelope: Any, attributes: Any) -> None:
        self.writes += 1
        self.inner.save_attributes(request_envelope=request_envelope, attributes=attributes)

    def delete_attributes(self, request_envelope: Any) -> None:
        self.writes += 1
        self.inner.delete_attributes(request_envelope=request_envelope)


def whole_routine(person: Dialogue) -> None:
    said = person.launch()
    if said.state == "resume_offer":
        person.say("AMAZON.NoIntent")
    said = person.say("StartRoutineIntent")
    if said.state == "screening":
        said = person.say("AMAZON.NoIntent")
    for _ in range(_MAX_TURNS):
        if said.state != "in_step":
            break
        said = person.say("AMAZON.NextIntent")
    if said.state != "finished":
        raise RuntimeError(f"the routine did not finish (state {said.state})")
    person.say("AMAZON.StopIntent")


def measure_writes() -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        store = CountingAdapter(sqlite_adapter(Path(tmp) / "progress.sqlite3"))
        person = Dialogue(build_skill(persistence=store, settings=Settings()), AlexaSession())
        counts = {}
        for label in BEFORE:
            before = store.writes
            whole_routine(person)
            counts[label] = store.writes - before
        return counts


def rows(counts: dict[str, int]) -> list[Row]:
    return [
        Row(
            f"durable writes per whole routine, {label}",
            "",
            float(count),
            check=Check("<", BEFORE[label]),
            notes=[f"before: {BEFORE[label]} (a write for every step reached); after: {count}"],
        )
        for label, count in counts.items()
    ]
