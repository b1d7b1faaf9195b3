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

Run one with ``workout-planner chat --script tests/transcripts/first_routine.txt``; it stops
at the first mismatch and names the script line, what was expected and what was said.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skill.chat.console import Console, Exchange, TouchError
from skill.chat.view import Heard

SAY, EXPECT, FORBID, INTENT = ">", "<", "!", "="
TOUCH = "touch"  # a mismatch: the touched target is not on the screen
_KINDS = (SAY, EXPECT, FORBID, INTENT)


class ScriptError(ValueError):
    """The script itself is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Instruction:
    number: int  # 1-based line number in the script
    kind: str  # one of > < ! =
    text: str


def parse_script(text: str, name: str = "<script>") -> list[Instruction]:
    """The instructions of a script, checked for form (not run)."""
    instructions: list[Instruction] = []
    said = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, body = line[0], line[1:].strip()
        if kind not in _KINDS:
            raise ScriptError(f"{name}:{number}: a line starts with one of > < ! = or #: {raw!r}")
        if kind != SAY and not said:
            raise ScriptError(f"{name}:{number}: {kind!r} before anything was said (>)")
        if kind != SAY and not body:
            raise ScriptError(f"{name}:{number}: {kind!r} needs a phrase")
        said = said or kind == SAY
        instructions.append(Instruction(number, kind, body))
    if not said:
        raise ScriptError(f"{name}: nothing is said (no line starts with >)")
    return instructions


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

    def __str__(self) -> str:
        what = {
            EXPECT: f"expected {self.expected!r}",
            FORBID: f"did not expect {self.expected!r}",
            INTENT: f"expected the intent {self.expected}",
            TOUCH: self.expected,
        }[self.kind]
        return (
            f"{self.script}:{self.line}: {what} in the reply to {self.said!r} "
            f"(line {self.said_line}); got:\n{self.got}"
        )


@dataclass(frozen=True)
class ScriptResult:
    script: str
    turns: int
    checks: int
    mismatch: Mismatch | None = None

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def summary(self) -> str:
        if self.mismatch is not None:
            return str(self.mismatch)
        return f"{self.script}: ok ({self.turns} turns, {self.checks} checks)"


def run_script(path: str | Path, console: Console) -> ScriptResult:
    """Run the script at ``path`` through ``console``; stops at the first mismatch.

    Raises ``ScriptError`` for a malformed script; the session is ended either way.
    """
    name = str(path)
    instructions = parse_script(Path(path).read_text(encoding="utf-8"), name)
    turns = checks = 0
    last: tuple[Instruction, Exchange] | None = None
    try:
        for step in instructions:
            if step.kind == SAY:
                try:
                    last = (step, console.say(step.text))
                except TouchError as exc:
                    missing = Mismatch(
                        name, step.number, TOUCH, str(exc), step.number, step.text, ""
                    )
                    return ScriptResult(name, turns, checks, missing)
                turns += 1
                continue
            assert last is not None, "parse_script rejects checks before a >"
            checks += 1
            mismatch = _check(name, step, *last)
            if mismatch is not None:
                return ScriptResult(name, turns, checks, mismatch)
    finally:
        console.end()
    return ScriptResult(name, turns, checks)


def _check(name: str, step: Instruction, said: Instruction, exchange: Exchange) -> Mismatch | None:
    heard = exchange.heard
    if step.kind == INTENT:
        intent = exchange.resolution.intent if exchange.resolution else exchange.request
        if intent == step.text:
            return None
        slots = exchange.resolution.slots if exchange.resolution else {}
        got = f"  {intent} {slots}" if slots else f"  {intent}"
    else:
        if heard.contains(step.text) == (step.kind == EXPECT):
            return None
        got = _said(heard)
    return Mismatch(name, step.number, step.kind, step.text, said.number, said.text, got)


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
