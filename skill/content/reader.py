"""Typed access to parsed content files, failing with the file and the field named.

``ContentError`` messages read ``<file>: <field>: <problem>``, e.g.
``locales/en-GB.yaml: facts.emergency_number: must be a non-empty string``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
T = TypeVar("T")


class ContentError(ValueError):
    """A content file is missing, unreadable or invalid; the message names file and field."""


class Reader:
    """Typed access to one parsed file, with error messages that name the field."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> ContentError:
        return ContentError(f"{self.file}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "must be a mapping")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list")
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}" if where else key, "must be a non-empty string")
        return " ".join(value.split())

    def ident(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = self.text(data, key, where)
        if not _ID.match(value):
            raise self.fail(f"{where}.{key}", "must be lower_snake_case")
        return value

    def texts(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{where}.{key}", "must be a list of non-empty strings")
        return tuple(" ".join(v.split()) for v in value)

    def each(
        self, values: list[Any], where: str, build: Callable[[Mapping[str, Any], str], T]
    ) -> tuple[T, ...]:
        built = []
        for index, raw in enumerate(values):
            at = f"{where}[{index}]"
            built.append(build(self.mapping(raw, at), at))
        return tuple(built)

    def unique(self, ids: list[str], where: str) -> None:
        seen: set[str] = set()
        for value in ids:
            if value in seen:
                raise self.fail(where, f"duplicate id {value!r}")
            seen.add(value)

    def placeholders(self, text: str, where: str, allowed: Collection[str]) -> str:
        """``text``, checked to use no ``{placeholder}`` but the ``allowed`` ones."""
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            raise self.fail(where, "has a { or } that is not a placeholder") from None
        unknown = sorted(used - set(allowed))
        if unknown:
            raise self.fail(where, f"unknown placeholder {{{unknown[0]}}}")
        return text
