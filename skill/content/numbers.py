"""Numbers said as words ("step three of five", "your twenty-first session this week").

The words and the way they combine are content (``numbers.yaml``, and a locale's ``numbers``
section); ``NumberWords`` spells a number with them, from 0 to 999. Pure: no I/O.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from skill.content.reader import Reader

#: Spoken numbers go up to this (exclusive): steps, holds and sessions stay far below it.
LIMIT = 1000
#: The numbers said as one word: 0 to 19, then the tens.
ONE_WORD = (*range(20), *range(20, 100, 10))
#: Each combining template, and the placeholders it must use (all of them, no others).
TEMPLATES: dict[str, frozenset[str]] = {
    "tens_and_ones": frozenset({"tens", "ones"}),
    "hundreds": frozenset({"hundreds"}),
    "hundreds_ordinal": frozenset({"hundreds"}),
    "hundreds_and": frozenset({"hundreds", "rest"}),
}
WORD_TABLES = ("words", "ordinals")


@dataclass(frozen=True)
class NumberWords:
    """The words of one locale's numbers, validated (see ``numbers.yaml``)."""

    #: A one-word number (``ONE_WORD``) -> its word: 3 -> "three", 40 -> "forty".
    words: Mapping[int, str]
    #: ... and its ordinal: 3 -> "third", 40 -> "fortieth".
    ordinals: Mapping[int, str]
    #: "{tens}-{ones}" (forty-five; the ones word may be an ordinal: forty-fifth).
    tens_and_ones: str
    #: "{hundreds} hundred" (three hundred).
    hundreds: str
    #: "{hundreds} hundredth" (three hundredth).
    hundreds_ordinal: str
    #: "{hundreds} hundred and {rest}" (three hundred and five; rest may be an ordinal).
    hundreds_and: str

    def cardinal(self, n: int) -> str:
        """``cardinal(45) == "forty-five"``; 0 to 999."""
        return self._spell(n, ordinal=False)

    def ordinal(self, n: int) -> str:
        """``ordinal(3) == "third"``, ``ordinal(21) == "twenty-first"``; 0 to 999."""
        return self._spell(n, ordinal=True)

    def _spell(self, n: int, ordinal: bool) -> str:
        if not 0 <= n < LIMIT:
            raise ValueError(f"{n} is out of range for spoken numbers (0 to {LIMIT - 1})")
        last = self.ordinals if ordinal else self.words
        if n in last:
            return last[n]
        if n < 100:
            tens, ones = divmod(n, 10)
            return self.tens_and_ones.format(tens=self.words[tens * 10], ones=last[ones])
        hundreds, rest = divmod(n, 100)
        said = self.words[hundreds]
        if not rest:
            return (self.hundreds_ordinal if ordinal else self.hundreds).format(hundreds=said)
        return self.hundreds_and.format(hundreds=said, rest=self._spell(rest, ordinal))


def read_numbers(r: Reader, raw: Any) -> NumberWords:
    """The base's numbers (``numbers.yaml``): every word and template, checked."""
    data = r.mapping(raw, "(top level)")
    _known_keys(r, data, "")
    tables = {name: _table(r, data.get(name), name, complete=True) for name in WORD_TABLES}
    templates = {name: _template(r, data, name, "") for name in TEMPLATES}
    return NumberWords(tables["words"], tables["ordinals"], **templates)


def override_numbers(r: Reader, numbers: NumberWords, raw: Any) -> NumberWords:
    """A locale's ``numbers`` section: the words and templates it names replace the base's."""
    if raw is None:
        return numbers
    data = r.mapping(raw, "numbers")
    _known_keys(r, data, "numbers.")
    changed: dict[str, Any] = {
        name: {**getattr(numbers, name), **_table(r, data[name], f"numbers.{name}", False)}
        for name in WORD_TABLES
        if name in data
    }
    changed.update(
        (name, _template(r, data, name, "numbers")) for name in TEMPLATES if name in data
    )
    return replace(numbers, **changed)


def _known_keys(r: Reader, data: Mapping[str, Any], prefix: str) -> None:
    known = (*WORD_TABLES, *TEMPLATES)
    for key in data:
        if key not in known:
            raise r.fail(f"{prefix}{key}", f"is not part of the numbers ({', '.join(known)})")


def _table(r: Reader, raw: Any, where: str, complete: bool) -> dict[int, str]:
    """Number -> word. Keys arrive as ints from YAML and as strings from the compiled JSON."""
    data = r.mapping(raw, where)
    table: dict[int, str] = {}
    for key in data:
        number = int(key) if str(key).isdigit() else -1
        if number not in ONE_WORD:
            raise r.fail(f"{where}.{key}", "is not a number said as one word (0-19, 20-90 in tens)")
        table[number] = r.text(data, key, where)
    missing = [n for n in ONE_WORD if n not in table] if complete else []
    if missing:
        raise r.fail(f"{where}.{missing[0]}", "is missing (every number from 0 to 999 needs it)")
    return table


def _template(r: Reader, data: Mapping[str, Any], key: str, where: str) -> str:
    text = r.text(data, key, where)
    field = f"{where}.{key}" if where else key
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        raise r.fail(field, "has a { or } that is not a placeholder") from None
    if used != TEMPLATES[key]:
        wanted = ", ".join(f"{{{name}}}" for name in sorted(TEMPLATES[key]))
        raise r.fail(field, f"must use exactly {wanted}")
    return text
