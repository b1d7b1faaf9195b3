"""Sample grammar: compact templates that expand into an intent's sample utterances.

A template is words, slots and choices::

    (I|I've) (felt|got) a (sharp|sudden|) (pain|twinge) (in my {body_part}|)

- ``(a|b|c)`` is one of the alternatives; an empty alternative makes the group optional;
  groups nest.
- ``{slot}`` is a slot, kept as it is in the expanded sample.
- ``<name>`` is a named phrase (itself a template) from the grammar's ``phrases``, so one list of
  words ("hurts", "is sore", "aches" ...) serves many templates, and a locale can replace it.
- Words are letters, apostrophes and periods (Alexa accepts no other punctuation in samples).

Pure: ``Grammar(phrases).expand(template)`` returns the distinct samples in the order written,
spaces normalised. Mistakes raise ``GrammarError`` with the reason and the template.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from itertools import product

__all__ = [
    "MAX_EXPANSION",
    "Grammar",
    "GrammarError",
    "check_names",
    "check_syntax",
    "slots_in",
]

#: One template may stand for at most this many samples: more is almost always a mistake
#: (a choice nested where it was not meant), and it keeps a model far inside Alexa's limits.
MAX_EXPANSION = 5000

_TOKEN = re.compile(r"\s+|[()|]|<[^<>\s]*>|\{[^{}\s]*\}|[^\s()|<>{}]+|.")
_WORD = re.compile(r"^[A-Za-z][A-Za-z'.]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SLOT = re.compile(r"\{(\w+)\}")


class GrammarError(ValueError):
    """A template or phrase is malformed; the message says why and quotes it."""


@dataclass(frozen=True)
class _Ref:
    name: str


#: A parsed template: a sequence of words/slots (str), named phrases (_Ref) and choices.
_Seq = tuple["_Node", ...]
_Node = str | _Ref | tuple[_Seq, ...]


def slots_in(sample: str) -> list[str]:
    """The slot names a sample or template uses, in order."""
    return _SLOT.findall(sample)


def check_syntax(template: str) -> set[str]:
    """Parse ``template`` without expanding it (cheap enough for every load): the names of the
    phrases it refers to. Raises ``GrammarError`` when it is malformed."""
    found: set[str] = set()

    def walk(seq: _Seq) -> None:
        for node in seq:
            if isinstance(node, _Ref):
                found.add(node.name)
            elif isinstance(node, tuple):
                for choice in node:
                    walk(choice)

    walk(_parse(template))
    return found


def check_names(template: str, phrases: Collection[str], slots: Collection[str]) -> None:
    """Raise ``GrammarError`` unless ``template`` parses and names only these phrases and slots
    (the base's and every overlay's rule, checked at load without expanding)."""
    unknown = check_syntax(template) - set(phrases)
    if unknown:
        raise GrammarError(f"<{sorted(unknown)[0]}> is not a phrase in intents.yaml")
    for slot in slots_in(template):
        if slot not in slots:
            raise GrammarError(f"{{{slot}}} is not a slot (see slots: in intents.yaml)")


class Grammar:
    """Expands templates, with named phrases that may refer to one another (not in a cycle)."""

    def __init__(self, phrases: Mapping[str, str] | None = None) -> None:
        self._sources = dict(phrases or {})
        self._parsed: dict[str, _Seq] = {}
        self._expanded: dict[str, list[str]] = {}
        for name, text in self._sources.items():
            if not _NAME.match(name):
                raise GrammarError(f"phrase name {name!r} must be lower_snake_case")
            self._parsed[name] = _parse(text)
        for name in self._sources:
            self._phrase(name, ())  # unknown references and cycles fail now, not at first use

    @property
    def phrases(self) -> Mapping[str, str]:
        return dict(self._sources)

    def check(self, template: str) -> None:
        """Raise ``GrammarError`` unless ``template`` parses and expands within the limit."""
        self.expand(template)

    def expand(self, template: str) -> list[str]:
        """Every distinct sample ``template`` stands for, in the order written."""
        samples = self._expand_seq(_parse(template), (), template)
        if not samples or samples == [""]:
            raise GrammarError(f"{template!r} expands to nothing")
        return samples

    def count(self, template: str) -> int:
        return len(self.expand(template))

    # -- expansion ---------------------------------------------------------------------------

    def _phrase(self, name: str, stack: tuple[str, ...]) -> list[str]:
        if name in self._expanded:
            return self._expanded[name]
        if name not in self._parsed:
            raise GrammarError(
                f"<{name}> is not a phrase (known: {', '.join(sorted(self._parsed))})"
            )
        if name in stack:
            raise GrammarError(f"phrase <{name}> refers to itself: {' -> '.join((*stack, name))}")
        expanded = self._expand_seq(self._parsed[name], (*stack, name), self._sources[name])
        self._expanded[name] = expanded
        return expanded

    def _expand_seq(self, seq: _Seq, stack: tuple[str, ...], source: str) -> list[str]:
        parts: list[list[str]] = []
        total = 1
        for node in seq:
            if isinstance(node, str):
                options = [node]
            elif isinstance(node, _Ref):
                options = self._phrase(node.name, stack)
            else:
                options = _unique(
                    sample for choice in node for sample in self._expand_seq(choice, stack, source)
                )
            total *= len(options)
            if total > MAX_EXPANSION:
                raise GrammarError(
                    f"{source!r} stands for more than {MAX_EXPANSION} samples; split it up"
                )
            parts.append(options)
        return _unique(" ".join(" ".join(p).split()) for p in product(*parts))


def _unique(samples: Iterator[str] | list[str]) -> list[str]:
    return list(dict.fromkeys(samples))


def _parse(text: str) -> _Seq:
    tokens = [t for t in _TOKEN.findall(text) if not t.isspace()]
    seq, end = _parse_seq(tokens, 0, text, depth=0)
    if end != len(tokens):  # only a stray ")" or "|" stops the top level early
        raise GrammarError(f"unexpected {tokens[end]!r} in {text!r}")
    return seq


def _parse_seq(tokens: list[str], at: int, text: str, depth: int) -> tuple[_Seq, int]:
    nodes: list[_Node] = []
    while at < len(tokens):
        token = tokens[at]
        if token in (")", "|"):
            if depth == 0:
                raise GrammarError(f"unexpected {token!r} outside a group in {text!r}")
            break
        if token == "(":
            choices: list[_Seq] = []
            at += 1
            while True:
                choice, at = _parse_seq(tokens, at, text, depth + 1)
                choices.append(choice)
                if at >= len(tokens):
                    raise GrammarError(f"unclosed '(' in {text!r}")
                at += 1
                if tokens[at - 1] == ")":
                    break
            if len(choices) < 2:
                raise GrammarError(f"a group needs '|' between its choices in {text!r}")
            nodes.append(tuple(choices))
            continue
        nodes.append(_leaf(token, text))
        at += 1
    return tuple(nodes), at


def _leaf(token: str, text: str) -> str | _Ref:
    if token.startswith("<"):
        name = token[1:-1] if token.endswith(">") else ""
        if not _NAME.match(name):
            raise GrammarError(f"{token!r} is not a phrase reference like <name> in {text!r}")
        return _Ref(name)
    if token.startswith("{"):
        if not re.fullmatch(r"\{[a-z][a-z0-9_]*\}", token):
            raise GrammarError(f"{token!r} is not a slot like {{name}} in {text!r}")
        return token
    if not _WORD.match(token):
        raise GrammarError(
            f"{token!r} in {text!r}: words are letters, apostrophes and periods only"
        )
    return token
