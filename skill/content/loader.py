"""Reads the YAML files beside this module once and validates them into ``Content``.

A broken file fails with a ``ContentError`` naming the file and the field, e.g.
``routines.yaml: routines[0].steps[2].hold_seconds: must be a whole number from 1 to 240``.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from skill.content.grammar import GrammarError, check_syntax, slots_in
from skill.content.keys import P
from skill.content.model import (
    TURN_FIELDS,
    Content,
    FaqEntry,
    IntentSamples,
    Routine,
    ScreenText,
    Side,
    SlotValue,
    Step,
)

CONTENT_DIR = Path(__file__).resolve().parent
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: Filled once at load; the per-turn ones (TURN_FIELDS) are left for the machine.
_PLACEHOLDERS = {"routine_names", "default_routine", "gentle_routine", "gentle_names"}
#: A hold is silence in one reply: with the speech around it, it stays within Alexa's 240 s.
MAX_HOLD_SECONDS = 120
_TEMPLATE_FIELDS = {
    "routine_intro": {"name", "summary"},
    "routine_done": {"name"},
    "step": {"number", "count", "say"},
    "hold": {"seconds"},
    "card_title": set(),
    "step_card": {"number", "count", "title"},
}
T = TypeVar("T")


class ContentError(ValueError):
    """A content file is missing, unreadable or invalid; the message names file and field."""


class _Reader:
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


SOURCES = ("routines.yaml", "faq.yaml", "prompts.yaml", "intents.yaml", "screen.yaml")
#: The sources, parsed, with their hashes: read instead of the YAML when the hashes match,
#: so a start skips importing and parsing YAML (written by `workout-planner model`).
COMPILED = "compiled.json"


def _parse_yaml(name: str, text: str) -> Any:
    import yaml  # only when the compiled copy is stale: ~11 ms of imports

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ContentError(f"{name}: is not valid YAML{line}") from None


def _sources(directory: Path) -> dict[str, bytes]:
    sources = {}
    for name in SOURCES:
        try:
            sources[name] = (directory / name).read_bytes()
        except OSError as exc:
            raise ContentError(f"{name}: cannot be read ({exc.strerror})") from None
    return sources


def _digests(sources: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sources.items()}


def parse_sources(directory: Path) -> dict[str, Any]:
    """Each source file's parsed data, from the compiled copy when it is current."""
    sources = _sources(directory)
    try:
        compiled = json.loads((directory / COMPILED).read_bytes())
        if compiled["sources"] == _digests(sources):
            return dict(compiled["data"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {name: _parse_yaml(name, data.decode("utf-8")) for name, data in sources.items()}


def render_compiled(directory: Path = CONTENT_DIR) -> str:
    """The compiled copy of the sources in ``directory`` (validated first)."""
    sources = _sources(directory)
    data = {name: _parse_yaml(name, text.decode("utf-8")) for name, text in sources.items()}
    load_content_from(directory)  # never compile content that does not load
    return json.dumps({"sources": _digests(sources), "data": data}, indent=1, sort_keys=True) + "\n"


def _read(parsed: dict[str, Any], name: str) -> tuple[_Reader, Mapping[str, Any]]:
    reader = _Reader(name)
    return reader, reader.mapping(parsed[name], "(top level)")


def _step(r: _Reader, data: Mapping[str, Any], at: str) -> Step:
    hold = data.get("hold_seconds")
    if (hold is not None and (isinstance(hold, bool) or not isinstance(hold, int))) or (
        isinstance(hold, int) and not 1 <= hold <= MAX_HOLD_SECONDS
    ):
        raise r.fail(f"{at}.hold_seconds", f"must be a whole number from 1 to {MAX_HOLD_SECONDS}")
    warm_up_first = data.get("warm_up_first", False)
    if not isinstance(warm_up_first, bool):
        raise r.fail(f"{at}.warm_up_first", "must be true or false")
    side = data.get("side")
    if side is not None and side not in {s.value for s in Side}:
        raise r.fail(f"{at}.side", "must be left, right or both")
    return Step(
        id=r.ident(data, "id", at),
        title=r.text(data, "title", at),
        say=r.text(data, "say", at),
        card=r.text(data, "card", at),
        easier=r.text(data, "easier", at),
        hold_seconds=hold,
        side=Side(side) if side else None,
        warm_up_first=warm_up_first,
    )


def _routine(r: _Reader, data: Mapping[str, Any], at: str) -> Routine:
    suits = data.get("suits_spine_condition")
    if not isinstance(suits, bool):
        raise r.fail(f"{at}.suits_spine_condition", "must be true or false")
    steps = r.each(
        r.items(data.get("steps"), f"{at}.steps"),
        f"{at}.steps",
        lambda d, w: _step(r, d, w),
    )
    r.unique([s.id for s in steps], f"{at}.steps")
    return Routine(
        id=r.ident(data, "id", at),
        name=r.text(data, "name", at),
        synonyms=r.texts(data, "synonyms", at),
        suits_spine_condition=suits,
        summary=r.text(data, "summary", at),
        steps=steps,
    )


def _faq(r: _Reader, data: Mapping[str, Any], at: str) -> FaqEntry:
    return FaqEntry(
        id=r.ident(data, "id", at),
        name=r.text(data, "name", at),
        synonyms=r.texts(data, "synonyms", at),
        answer=r.text(data, "answer", at),
        samples=r.texts(data, "samples", at),
    )


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _LeaveTurnFields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _wordings(r: _Reader, raw: Mapping[str, Any], key: str) -> list[str]:
    """A prompt is one wording, or a list of wordings to vary between."""
    value = raw.get(key)
    if isinstance(value, list):
        if not value:
            raise r.fail(f"prompts.{key}", "must be a string or a non-empty list of strings")
        return [r.text({key: item}, key, f"prompts.{key}[{i}]") for i, item in enumerate(value)]
    return [r.text(raw, key, "prompts")]


def _prompts(
    r: _Reader, data: Mapping[str, Any], fill: Mapping[str, str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    raw = r.mapping(data.get("prompts"), "prompts")
    missing = [key.value for key in P if key.value not in raw]
    if missing:
        raise r.fail(f"prompts.{missing[0]}", "is missing (the skill says it)")
    known = {key.value for key in P}
    unused = [key for key in raw if key not in known]
    if unused:
        raise r.fail(
            f"prompts.{unused[0]}", "is not a prompt the skill says (skill/content/keys.py)"
        )
    prompts = {}
    for key in raw:
        wordings = _wordings(r, raw, key)
        for text in wordings:
            unknown = _fields(text) - _PLACEHOLDERS - TURN_FIELDS
            if unknown:
                raise r.fail(f"prompts.{key}", f"unknown placeholder {{{sorted(unknown)[0]}}}")
        prompts[key] = tuple(text.format_map(_LeaveTurnFields(fill)) for text in wordings)
    templates = _templated(
        r, r.mapping(data.get("templates"), "templates"), _TEMPLATE_FIELDS, "templates"
    )
    return prompts, templates


def _templated(
    r: _Reader, raw: Mapping[str, Any], fields: Mapping[str, AbstractSet[str]], where: str
) -> dict[str, str]:
    """Each key of ``fields`` from ``raw``, using only the placeholders allowed for it."""
    texts = {}
    for key, allowed in fields.items():
        text = r.text(raw, key, where)
        if not _fields(text) <= allowed:
            raise r.fail(f"{where}.{key}", f"may only use {sorted(allowed) or 'no placeholders'}")
        texts[key] = text
    return texts


#: Slot types filled from the other content files, not from intents.yaml.
BUILT_SLOT_TYPES = ("ROUTINE_NAME", "FAQ_TOPIC")
_SENSITIVITIES = ("LOW", "MEDIUM", "HIGH")


def _slot_value(r: _Reader, data: Mapping[str, Any], at: str) -> SlotValue:
    return SlotValue(
        id=r.ident(data, "id", at),
        name=r.text(data, "name", at),
        synonyms=r.texts(data, "synonyms", at),
    )


def _intents(r: _Reader, data: Mapping[str, Any]) -> IntentSamples:
    custom = r.mapping(data.get("intents"), "intents")
    builtins = r.mapping(data.get("builtins"), "builtins")
    phrases = r.mapping(data.get("phrases", {}), "phrases")
    slots = r.mapping(data.get("slots", {}), "slots")
    raw_types = r.mapping(data.get("slot_types", {}), "slot_types")
    slot_types = {}
    for name in raw_types:
        at = f"slot_types.{name}"
        values = r.each(r.items(raw_types[name], at), at, lambda d, w: _slot_value(r, d, w))
        r.unique([value.id for value in values], at)
        slot_types[name] = values
    for slot in slots:
        type_name = r.text(slots, slot, "slots")
        if type_name not in slot_types and type_name not in BUILT_SLOT_TYPES:
            raise r.fail(f"slots.{slot}", f"names no slot type ({type_name!r})")
    sensitivity = data.get("fallback_sensitivity", "LOW")
    if sensitivity not in _SENSITIVITIES:
        raise r.fail("fallback_sensitivity", f"must be one of {', '.join(_SENSITIVITIES)}")
    return IntentSamples(
        invocation_name=r.text(data, "invocation_name", ""),
        custom={name: r.texts(custom, name, "intents") for name in custom},
        builtins={name: r.texts(builtins, name, "builtins") for name in builtins},
        phrases={name: r.text(phrases, name, "phrases") for name in phrases},
        slots={slot: str(slots[slot]) for slot in slots},
        slot_types=slot_types,
        fallback_sensitivity=sensitivity,
    )


#: Every label a screen shows, and the placeholders each may use.
_PLAIN_LABELS = (
    "app_title",
    "next",
    "finish",
    "previous",
    "repeat",
    "pause",
    "resume",
    "it_hurts",
    "answer_yes",
    "answer_no",
    "menu_title",
    "start_default",
    "stopped_title",
    "stopped_note",
    "urgent_title",
    "urgent_number_label",
    "finished_title",
    "paused_title",
)
_LABEL_FIELDS: dict[str, frozenset[str]] = {
    **{key: frozenset() for key in _PLAIN_LABELS},
    "step_of": frozenset({"number", "count"}),
    "countdown_label": frozenset({"seconds"}),
}


def _screen(r: _Reader, data: Mapping[str, Any]) -> ScreenText:
    raw = r.mapping(data.get("labels"), "labels")
    labels = _templated(r, raw, _LABEL_FIELDS, "labels")
    unknown = sorted(set(raw) - set(_LABEL_FIELDS))
    if unknown:
        raise r.fail(f"labels.{unknown[0]}", "is not a label any screen shows")
    return ScreenText(labels=labels, emergency_number=r.text(data, "emergency_number", ""))


def _check_templates(
    r: _Reader, fr: _Reader, intents: IntentSamples, faq: tuple[FaqEntry, ...]
) -> None:
    """Every template parses, names only known phrases and slots (expanding waits for
    `workout-planner model`, so a start stays cheap)."""

    def check(reader: _Reader, where: str, template: str) -> None:
        try:
            unknown = check_syntax(template) - set(intents.phrases)
        except GrammarError as exc:
            raise reader.fail(where, str(exc)) from None
        if unknown:
            raise reader.fail(where, f"<{sorted(unknown)[0]}> is not a phrase in intents.yaml")
        for slot in slots_in(template):
            if slot not in intents.slots:
                raise reader.fail(where, f"{{{slot}}} is not a slot (see slots: in intents.yaml)")

    for name, text in intents.phrases.items():
        check(r, f"phrases.{name}", text)
    for section, table in (("intents", intents.custom), ("builtins", intents.builtins)):
        for intent, templates in table.items():
            for index, template in enumerate(templates):
                check(r, f"{section}.{intent}[{index}]", template)
    for position, entry in enumerate(faq):
        for index, template in enumerate(entry.samples):
            check(fr, f"faq[{position}].samples[{index}]", template)


def _spoken_list(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f", or {names[-1]}" if len(names) > 1 else names[0]


def load_content_from(directory: Path) -> Content:
    """Load and validate every content file in ``directory``; raises ``ContentError``."""
    parsed = parse_sources(directory)
    r, data = _read(parsed, "routines.yaml")
    routines = r.each(
        r.items(data.get("routines"), "routines"), "routines", lambda d, w: _routine(r, d, w)
    )
    r.unique([routine.id for routine in routines], "routines")
    default = r.ident(data, "default", "")
    by_id = {routine.id: routine for routine in routines}
    if default not in by_id:
        raise r.fail("default", f"names no routine ({default!r})")

    fr, faq_data = _read(parsed, "faq.yaml")
    faq = fr.each(fr.items(faq_data.get("faq"), "faq"), "faq", lambda d, w: _faq(fr, d, w))
    fr.unique([entry.id for entry in faq], "faq")

    gentle = [routine.name for routine in routines if routine.suits_spine_condition]
    if not gentle:
        raise r.fail("routines", "no routine suits a spine condition (suits_spine_condition)")

    pr, prompt_data = _read(parsed, "prompts.yaml")
    fill = {
        "routine_names": _spoken_list([routine.name for routine in routines]),
        "default_routine": by_id[default].name,
        "gentle_routine": gentle[0],
        "gentle_names": _spoken_list(gentle),
    }
    prompts, templates = _prompts(pr, prompt_data, fill)

    ir, intent_data = _read(parsed, "intents.yaml")
    sr, screen_data = _read(parsed, "screen.yaml")
    intents = _intents(ir, intent_data)
    _check_templates(ir, fr, intents, faq)
    return Content(
        routines=routines,
        default_routine_id=default,
        faq=faq,
        prompts=prompts,
        templates=templates,
        intents=intents,
        screen=_screen(sr, screen_data),
    )


@lru_cache(maxsize=1)
def load_content() -> Content:
    """The bundled content, loaded and validated once per process."""
    return load_content_from(CONTENT_DIR)
