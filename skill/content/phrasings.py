"""How people talk to Alexa around the interaction model, per language: the wake word, the ways
to open or ask the skill, negation words, articles, and Amazon's own phrasings for its built-in
intents. The console's offline stand-in for Alexa's language understanding (``skill.nlu``)
takes them from here instead of assuming English.

One file per language, ``phrasings/<language>.yaml`` (every ``en-*`` locale shares
``phrasings/en.yaml``), validated once into :class:`Phrasings`; a broken file fails with a
``ContentError`` naming the file and the field::

    load_phrasings("en-GB").builtins["AMAZON.CancelIntent"]  # ('cancel', 'never mind', ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill.content.loader import CONTENT_DIR, parse_yaml
from skill.content.model import DEFAULT_LOCALE, language_of
from skill.content.reader import ContentError, Reader

PHRASINGS_DIR = "phrasings"
#: As the console normalises a typed line: lower-case words, no apostrophes or punctuation.
_WORDS = re.compile(r"^[a-z0-9]+( [a-z0-9]+)*$")
_WORD = re.compile(r"^[a-z0-9]+$")
#: Amazon's built-in intents are named AMAZON.<Name>Intent; custom ones belong in the grammar.
_BUILTIN = re.compile(r"^AMAZON\.[A-Z][A-Za-z]*Intent$")
#: Each list of words, and whether its entries must be single words.
_LISTS = {
    "wake_words": False,
    "open_verbs": False,
    "ask_verbs": False,
    "connectors": True,
    "negations": True,
    "articles": False,
}
_FIELDS = (*_LISTS, "open_and", "builtins")


@dataclass(frozen=True)
class Phrasings:
    """One language's phrasings (see ``phrasings/en.yaml`` for what each is)."""

    wake_words: tuple[str, ...]
    open_verbs: tuple[str, ...]
    ask_verbs: tuple[str, ...]
    connectors: frozenset[str]
    negations: frozenset[str]
    articles: tuple[str, ...]
    open_and: str
    #: A built-in intent's name -> the phrasings a device understands for it.
    builtins: Mapping[str, tuple[str, ...]]


def phrasings_file(locale: str) -> str:
    """The file ``locale`` takes its phrasings from: ``phrasings/en.yaml`` for ``en-GB``."""
    return f"{PHRASINGS_DIR}/{language_of(locale)}.yaml"


def load_phrasings(locale: str = DEFAULT_LOCALE, directory: Path | None = None) -> Phrasings:
    """``locale``'s phrasings: the bundled file's, read and validated once, or ``directory``'s
    (read each time: a test's changed copy)."""
    if directory is None:
        return _bundled(phrasings_file(locale))
    return _read(phrasings_file(locale), directory)


@cache
def _bundled(name: str) -> Phrasings:
    return _read(name, CONTENT_DIR)


def _read(name: str, directory: Path) -> Phrasings:
    try:
        text = (directory / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"{name}: cannot be read ({exc.strerror})") from None
    return read_phrasings(Reader(name), parse_yaml(name, text))


def read_phrasings(r: Reader, raw: Any) -> Phrasings:
    """The phrasings in a parsed file, every field checked."""
    data = r.mapping(raw, "(top level)")
    for key in data:
        if key not in _FIELDS:
            raise r.fail(str(key), f"is not one of the phrasings ({', '.join(_FIELDS)})")
    lists = {name: _words(r, data.get(name), name, one_word) for name, one_word in _LISTS.items()}
    open_and = data.get("open_and")
    if not isinstance(open_and, str) or not _WORD.match(open_and):
        raise r.fail("open_and", "must be one lower-case word")
    return Phrasings(
        wake_words=lists["wake_words"],
        open_verbs=lists["open_verbs"],
        ask_verbs=lists["ask_verbs"],
        connectors=frozenset(lists["connectors"]),
        negations=frozenset(lists["negations"]),
        articles=lists["articles"],
        open_and=open_and,
        builtins=_builtins(r, data.get("builtins")),
    )


def _builtins(r: Reader, raw: Any) -> dict[str, tuple[str, ...]]:
    data = r.mapping(raw, "builtins")
    for name in data:
        if not _BUILTIN.match(str(name)):
            raise r.fail(f"builtins.{name}", "is not a built-in intent (AMAZON.<Name>Intent)")
    return {name: _words(r, phrases, f"builtins.{name}", False) for name, phrases in data.items()}


def _words(r: Reader, raw: Any, where: str, one_word: bool) -> tuple[str, ...]:
    pattern, kind = (_WORD, "one lower-case word") if one_word else (_WORDS, "lower-case words")
    entries = r.items(raw, where)
    for index, entry in enumerate(entries):
        if not isinstance(entry, str) or not pattern.match(entry):
            raise r.fail(f"{where}[{index}]", f"must be {kind}, without punctuation")
    return tuple(entries)
