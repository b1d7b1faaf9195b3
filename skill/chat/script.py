"""Scripted conversations: what a person says, and what the skill must (not) say back.

A script is plain text, one instruction a line::

    # A comment. Blank lines are ignored.
    > open workout planner
    < Welcome to Workout Planner
    < not a substitute for professional medical advice
    > start the upper back routine
    < osteoporosis
    > no
    = AMAZON.NoIntent
    < Step one of five
    ! Step two

- ``> words``: what the person says (``>`` alone is silence, or opens the skill);
- ``< phrase``: must appear (case-insensitive) in the speech, reprompt or card of the reply to
  the last ``>``;
- ``! phrase``: must not appear there;
- ``= IntentName``: the last ``>`` must resolve to this intent (or ``LaunchRequest``);
- ``> --touch NAME``: touch NAME on the screen (run with a screen: ``chat --screen``); what
  the screen shows and ``[touch NAME]`` for each target it offers are matched by ``<`` and ``!``.
- ``@ locale en-GB``: the script talks in this locale (its requests carry it, its lines are
  resolved with that locale's model); at most once, before anything is said. It wins over the
  locale the script is run in (``chat --locale``): a script without it runs in that one.
- ``{emergency_number_said}``, ``{urgent_route_said}`` (any field of the locale's facts,
  :class:`~skill.content.LocaleFacts`) inside a ``<`` or ``!`` phrase is that fact of the locale
  the script talks in, so one script checks the safety words of every locale::

    > I have chest pain
    < Call {emergency_number_said} right away

  A ``{name}`` that is not a fact is a script error naming the line.

Run one with ``workout-planner chat --script tests/transcripts/first_routine.txt``; it stops
at the first mismatch and names the script line, what was expected and what was said.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from skill.chat.console import Console, Exchange, TouchError
from skill.chat.models import resolver_for
from skill.chat.view import Heard
from skill.content import DEFAULT_LOCALE, LocaleFacts, bundled_library, bundled_locales
from skill.content.locales import canonical
from skill.nlu import Resolver

SAY, EXPECT, FORBID, INTENT, SETTING = ">", "<", "!", "=", "@"
TOUCH = "touch"  # a mismatch: the touched target is not on the screen
_KINDS = (SAY, EXPECT, FORBID, INTENT, SETTING)
LOCALE = "locale"  # the one setting: ``@ locale en-GB``
_LOCALE_TAG = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
#: ``{name}`` in a phrase; whatever is between the braces must name a locale fact.
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ScriptError(ValueError):
    """The script itself is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Instruction:
    number: int  # 1-based line number in the script
    kind: str  # one of > < ! =
    text: str

    def filled(self, facts: Mapping[str, str]) -> str:
        """The phrase with each ``{fact}`` replaced by the locale's (names checked at parse)."""
        return _PLACEHOLDER.sub(lambda found: facts[found.group(1)], self.text)


@dataclass(frozen=True)
class Script:
    """A parsed script: its instructions, and the locale it names (``@ locale``), if any."""

    name: str
    instructions: tuple[Instruction, ...]
    locale: str | None = None


def parse_script(
    text: str, name: str = "<script>", locales: Collection[str] | None = None
) -> Script:
    """The script, checked for form (not run); ``locales``: those a locale line may name."""
    instructions: list[Instruction] = []
    locale: str | None = None
    said = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, body = line[0], line[1:].strip()
        where = f"{name}:{number}"
        if kind not in _KINDS:
            raise ScriptError(f"{where}: a line starts with one of > < ! = @ or #: {raw!r}")
        if kind == SETTING:
            if said or locale is not None:
                raise ScriptError(f"{where}: '@ locale' comes once, before anything is said")
            locale = _locale_setting(body, where, locales)
            continue
        if kind != SAY and not said:
            raise ScriptError(f"{where}: {kind!r} before anything was said (>)")
        if kind != SAY and not body:
            raise ScriptError(f"{where}: {kind!r} needs a phrase")
        if kind in (EXPECT, FORBID):
            _check_placeholders(body, where)
        said = said or kind == SAY
        instructions.append(Instruction(number, kind, body))
    if not said:
        raise ScriptError(f"{name}: nothing is said (no line starts with >)")
    return Script(name, tuple(instructions), locale)


def load_script(path: str | Path) -> Script:
    """The script at ``path``, its locale line checked against the bundled locales."""
    return parse_script(Path(path).read_text(encoding="utf-8"), str(path), bundled_locales())


def _locale_setting(body: str, where: str, locales: Collection[str] | None) -> str:
    setting, _, value = body.partition(" ")
    value = value.strip()
    if setting != LOCALE or not value or " " in value:
        raise ScriptError(f"{where}: the setting line is '@ locale <tag>', e.g. '@ locale en-GB'")
    tag = canonical(value)
    if not _LOCALE_TAG.match(tag):
        raise ScriptError(f"{where}: {value!r} is not a locale tag like en-GB")
    if locales is not None and tag not in locales:
        raise ScriptError(f"{where}: no content for the locale {tag}; one of: {', '.join(locales)}")
    return tag


def _check_placeholders(phrase: str, where: str) -> None:
    facts = LocaleFacts.names()
    for found in _PLACEHOLDER.finditer(phrase):
        if found.group(1) not in facts:
            raise ScriptError(
                f"{where}: {found.group(0)} is not a locale fact; one of: "
                + ", ".join(f"{{{fact}}}" for fact in facts)
            )


@dataclass(frozen=True)
class Mismatch:
    """The first check that failed, and the turn it was checked against."""

    script: str
    line: int
    kind: str
    expected: str
    said_line: int
    said: str
    got: str
    locale: str = DEFAULT_LOCALE

    def __str__(self) -> str:
        what = {
            EXPECT: f"expected {self.expected!r}",
            FORBID: f"did not expect {self.expected!r}",
            INTENT: f"expected the intent {self.expected}",
            TOUCH: self.expected,
        }[self.kind]
        return (
            f"{self.script}:{self.line}: {what} in the reply to {self.said!r} "
            f"(line {self.said_line}, in {self.locale}); got:\n{self.got}"
        )


@dataclass(frozen=True)
class ScriptResult:
    script: str
    turns: int
    checks: int
    mismatch: Mismatch | None = None
    locale: str = DEFAULT_LOCALE

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def summary(self) -> str:
        if self.mismatch is not None:
            return str(self.mismatch)
        return f"{self.script}: ok in {self.locale} ({self.turns} turns, {self.checks} checks)"


def run_script(
    script: str | Path | Script,
    console: Console,
    resolvers: Callable[[str], Resolver] = resolver_for,
) -> ScriptResult:
    """Run ``script`` (a path, or parsed) through ``console``; stops at the first mismatch.

    A script that names its locale talks in it: the console's session is switched to it and
    its lines are resolved by ``resolvers(locale)`` (the locale's own model by default).
    ``<`` and ``!`` phrases are filled with the facts of the locale the session talks in.
    Raises ``ScriptError`` for a malformed script; the session is ended either way.
    """
    if not isinstance(script, Script):
        script = load_script(script)
    if script.locale is not None and script.locale != console.session.locale:
        console.talk_in(script.locale, resolvers(script.locale))
    name, locale = script.name, console.session.locale
    facts = bundled_library().choose(locale).content.facts.placeholders()
    turns = checks = 0
    last: tuple[Instruction, Exchange] | None = None
    try:
        for step in script.instructions:
            if step.kind == SAY:
                try:
                    last = (step, console.say(step.text))
                except TouchError as exc:
                    missing = Mismatch(
                        name, step.number, TOUCH, str(exc), step.number, step.text, "", locale
                    )
                    return ScriptResult(name, turns, checks, missing, locale)
                turns += 1
                continue
            assert last is not None, "parse_script rejects checks before a >"
            checks += 1
            mismatch = _check(name, step, *last, facts, locale)
            if mismatch is not None:
                return ScriptResult(name, turns, checks, mismatch, locale)
    finally:
        console.end()
    return ScriptResult(name, turns, checks, None, locale)


def _check(
    name: str,
    step: Instruction,
    said: Instruction,
    exchange: Exchange,
    facts: Mapping[str, str],
    locale: str,
) -> Mismatch | None:
    heard = exchange.heard
    expected = step.text
    if step.kind == INTENT:
        intent = exchange.resolution.intent if exchange.resolution else exchange.request
        if intent == step.text:
            return None
        slots = exchange.resolution.slots if exchange.resolution else {}
        got = f"  {intent} {slots}" if slots else f"  {intent}"
    else:
        expected = step.filled(facts)
        if heard.contains(expected) == (step.kind == EXPECT):
            return None
        got = _said(heard)
    return Mismatch(name, step.number, step.kind, expected, said.number, said.text, got, locale)


def _said(heard: Heard) -> str:
    if not heard.words:
        return "  (nothing: the reply was empty)"
    lines = [f"  speech: {heard.speech}"]
    if heard.reprompt:
        lines.append(f"  reprompt: {heard.reprompt}")
    if heard.card_title or heard.card_text:
        lines.append(f"  card: [{heard.card_title}] {heard.card_text}")
    if heard.shown:
        lines.extend(f"  screen: {line}" for line in heard.shown.lines)
        lines.append("  touch: " + ", ".join(t.name for t in heard.shown.targets))
    return "\n".join(lines)
