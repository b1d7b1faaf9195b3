"""The bundled transcripts as test cases: each runs in the locale it names, else in every one.

A transcript that names its locale (``@ locale en-GB``) checks what only that locale says; the
others check what every locale says (the locale's own safety words through ``{placeholders}``),
so each runs once per bundled locale: ``first_routine.txt[en-GB]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from skill.chat import Console, InProcess, ScriptResult, load_script, resolver_for, run_script
from skill.content import bundled_locales
from skill.envelopes import AlexaSession
from skill.nlu import Resolver
from skill.settings import Settings
from tests.support.budgets import Measuring

TRANSCRIPTS = Path(__file__).resolve().parent.parent / "transcripts"
SCREEN_TRANSCRIPTS = TRANSCRIPTS / "screen"


@dataclass(frozen=True)
class Case:
    """One transcript in one locale."""

    path: Path
    locale: str

    @property
    def id(self) -> str:
        return f"{self.path.name}[{self.locale}]"


def cases(directory: Path = TRANSCRIPTS) -> list[Case]:
    """Every transcript in ``directory``, in its own locale or in each bundled one."""
    found = []
    for path in sorted(directory.glob("*.txt")):
        named = load_script(path).locale
        found.extend(Case(path, locale) for locale in ((named,) if named else bundled_locales()))
    return found


def params(directory: Path = TRANSCRIPTS) -> list[object]:
    """``cases`` as pytest parameters, named ``first_routine.txt[en-GB]``."""
    return [pytest.param(case, id=case.id) for case in cases(directory)]


@cache
def resolver(locale: str) -> Resolver:
    """The locale's own model, read once per test run (the console reads it once per run too)."""
    return resolver_for(locale)


@dataclass(frozen=True)
class Run:
    """What one transcript did in one locale: its result, and every reply it measured."""

    result: ScriptResult
    replies: int
    over_budget: tuple[str, ...]
    locales_sent: frozenset[str]


def run(case: Case, store: Path, *, screen: bool = False) -> Run:
    """Run ``case`` through the real skill, a SQLite file under ``store``, in its locale."""
    channel = Measuring(InProcess(Settings(), store / "progress.sqlite3"))
    console = Console(
        channel, resolver(case.locale), AlexaSession(locale=case.locale, screen=screen)
    )
    try:
        result = run_script(case.path, console, resolver)
    finally:
        channel.close()
    return Run(result, channel.replies, tuple(channel.problems), frozenset(channel.locales))
