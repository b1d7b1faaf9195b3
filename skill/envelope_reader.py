"""Request envelopes into ask-sdk model objects and responses out, without the cost of the
SDK's generic path.

ask-sdk-core's ``DefaultSerializer`` re-parses each model's type strings with regular
expressions, imports each class by name and parses each timestamp with dateutil, on every
request. The models say everything needed to do it once: their public ``deserialized_types``,
``attribute_map`` and ``get_real_child_model``. :class:`ModelReader` reads those once per
class into a plan, then builds the same objects as the SDK would (a test compares them on every
kind of request the skill receives), with ISO 8601 timestamps read by
``datetime.fromisoformat`` (dateutil only for anything else). :class:`ModelWriter` does the
same for the way out, planning each class's fields once.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import SerializationException

Read = Callable[[Any], Any]
_PRIMITIVES = (float, bool, bytes, str, int)
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")


def _primitive(kind: type) -> Read:
    def read(payload: Any) -> Any:
        if type(payload) is kind:  # what JSON gave is already the type: nothing to cast
            return payload
        try:
            return kind(payload)
        except TypeError:  # as the SDK: a value it cannot cast is kept as it came
            return payload
        except ValueError:
            raise SerializationException(f"Failed to parse value into '{kind.__name__}'") from None

    return read


def _moment(kind: type) -> Read:
    def read(payload: Any) -> Any:
        try:
            moment = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            try:
                from dateutil.parser import parse  # what the SDK uses, for anything not ISO

                moment = parse(payload)
            except (TypeError, ValueError, OverflowError):
                raise SerializationException(
                    f"Failed to parse value into '{kind.__name__}'"
                ) from None
        return moment.date() if kind is date else moment

    return read


def _keep(payload: Any) -> Any:
    return payload


_NATIVE: dict[str, Read] = {
    "int": _primitive(int),
    "long": _primitive(int),
    "float": _primitive(float),
    "str": _primitive(str),
    "bool": _primitive(bool),
    "bytes": _primitive(bytes),
    "date": _moment(date),
    "datetime": _moment(datetime),
    "object": _keep,
}


class ModelReader:
    """Reads JSON-shaped payloads into ask_sdk_model objects; plans are cached per type."""

    def __init__(self) -> None:
        self._readers: dict[str, Read] = {}
        self._classes: dict[str, type] = {}

    def read(self, payload: Any, type_name: str) -> Any:
        if payload is None:
            return None
        try:
            return self.reader(type_name)(payload)
        except SerializationException:
            raise
        except Exception as exc:  # the SDK reports any failure this way; so does the web layer
            raise SerializationException(f"{type(exc).__name__} reading {type_name}") from exc

    def reader(self, type_name: str) -> Read:
        found = self._readers.get(type_name)
        if found is None:
            found = self._readers[type_name] = self._plan(type_name)
        return found

    def _plan(self, type_name: str) -> Read:
        if type_name.startswith("list["):
            match = _LIST.match(type_name)
            if match is None:
                return lambda payload: []
            inner = [self._lazy(t.strip()) for t in match.group(1).split(",")]
            if len(inner) > 1:  # a tuple-like list: one type per position, as the SDK reads it
                return lambda payload: [r(p) for r, p in zip(inner, payload, strict=False)]
            one = inner[0]
            return lambda payload: [one(p) for p in payload]
        if type_name.startswith("dict("):
            match = _DICT.match(type_name)
            if match is None:
                return lambda payload: {}
            value = self._lazy(match.group(2))
            return lambda payload: {k: value(v) for k, v in payload.items()}
        if type_name in _NATIVE:
            return _NATIVE[type_name]
        return self._model(self._class(type_name))

    def _lazy(self, type_name: str) -> Read:
        """A reader resolved on first use (models refer to each other, even to themselves)."""

        resolved: list[Read] = []

        def read(payload: Any) -> Any:
            if payload is None:
                return None
            if not resolved:
                resolved.append(self.reader(type_name))
            return resolved[0](payload)

        return read

    def _class(self, name: str) -> type:
        found = self._classes.get(name)
        if found is None:
            module, _, attribute = name.rpartition(".")
            try:
                found = getattr(importlib.import_module(module), attribute)
            except (ImportError, AttributeError, ValueError):
                raise SerializationException(f"Unable to resolve class {name}") from None
            self._classes[name] = found
        assert isinstance(found, type)
        return found

    def _model(self, cls: type) -> Read:
        if issubclass(cls, Enum):
            return cls
        types: dict[str, str] | None = getattr(cls, "deserialized_types", None)
        if types is None:
            return _keep
        if hasattr(cls, "get_real_child_model"):
            # An abstract type (Request, Directive...): its payload names the concrete class.
            def by_discriminator(payload: Any) -> Any:
                name = cls.get_real_child_model(payload)  # type: ignore[attr-defined]
                if not name:
                    raise SerializationException(f"Couldn't resolve {cls.__name__} by its type")
                return self._fields(self._class(name))(payload)

            return by_discriminator
        return self._fields(cls)

    def _fields(self, cls: type) -> Read:
        key = f"{cls.__module__}.{cls.__qualname__}#fields"
        found = self._readers.get(key)
        if found is not None:
            return found
        types: dict[str, str] = cls.deserialized_types  # type: ignore[attr-defined]
        names: dict[str, str] = {**{k: k for k in types}, **getattr(cls, "attribute_map", {})}
        #: JSON name -> (attribute, type name); a payload names far fewer fields than a model has.
        plan = {names[name]: (name, kind) for name, kind in types.items()}
        #: JSON name -> (attribute, reader), filled as payloads name each field: resolving every
        #: field at once would import every model any field could hold (~200 modules of
        #: ask_sdk_model on a start), and models refer to each other, even to themselves.
        resolved: dict[str, tuple[str, Read]] = {}

        def read(payload: Any) -> Any:
            model = cls()
            for json_name, value in payload.items():
                field = resolved.get(json_name)
                if field is None:
                    planned = plan.get(json_name)
                    if planned is None:  # as the SDK: an unknown field is kept as it came
                        setattr(model, json_name, value)
                        continue
                    field = resolved[json_name] = (planned[0], self.reader(planned[1]))
                setattr(model, field[0], None if value is None else field[1](value))
            return model

        self._readers[key] = read
        return read


class ModelWriter:
    """ask_sdk_model objects to JSON-shaped values, as ``DefaultSerializer.serialize`` writes
    them: each model class's fields (``deserialized_types``, named by ``attribute_map``) are
    planned once instead of on every object."""

    def __init__(self) -> None:
        self._plans: dict[type, list[tuple[str, str]]] = {}

    def write(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, _PRIMITIVES):
            return obj
        if isinstance(obj, list):
            return [self.write(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.write(item) for item in obj)
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, Decimal):
            return int(obj) if obj % 1 == 0 else float(obj)
        if isinstance(obj, dict):
            return {key: self.write(value) for key, value in obj.items()}
        plan = self._plans.get(type(obj))
        if plan is None:
            types: dict[str, str] = obj.deserialized_types
            names = {**{k: k for k in types}, **getattr(obj, "attribute_map", {})}
            plan = self._plans[type(obj)] = [(name, names[name]) for name in types]
        written = {}
        for attribute, json_name in plan:
            value = getattr(obj, attribute)
            if value is not None:
                written[json_name] = self.write(value)
        return written
