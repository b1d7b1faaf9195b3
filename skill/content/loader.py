"""Reads the YAML files beside this module once and validates them into one ``Content`` per locale.

Each locale's bundle is the shared English base (``*.yaml``) with the locale's overlay
(``locales/<locale>.yaml``, see ``skill.content.overlay``) applied.

A broken file fails with a ``ContentError`` naming the file and the field, e.g.
``routines.yaml: routines[0].steps[2].hold_seconds: must be a whole number from 1 to 240``.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Collection, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from skill.content.keys import P
from skill.content.locales import Library
from skill.content.model import (
    DEFAULT_LOCALE,
    TURN_FIELDS,
    Content,
    FaqEntry,
    IntentSamples,
    LocaleFacts,
    Routine,
    ScreenText,
    Side,
    SlotValue,
    Step,
    join_choices,
)
from skill.content.numbers import read_numbers
from skill.content.overlay import LOCALES_DIR, Texts, is_locale, localise, overlay_file
from skill.content.reader import ContentError
from skill.content.reader import Reader as _Reader

CONTENT_DIR = Path(__file__).resolve().parent
_FACTS = frozenset(LocaleFacts.names())
#: Filled once at load; the per-turn ones (TURN_FIELDS) are left for the machine.
_PLACEHOLDERS = (
    frozenset({"routine_names", "default_routine", "gentle_routine", "gentle_names"}) | _FACTS
)
#: A hold is silence in one reply: with the speech around it, it stays within Alexa's 240 s.
MAX_HOLD_SECONDS = 120
_TEMPLATE_FIELDS = {
    "routine_intro": {"name", "summary"},
    "routine_done": {"name"},
    "step": {"number", "count", "say"},
    "hold": {"seconds"},
    "card_title": set(),
    "step_card": {"number", "count", "title"},
    "choices_next": {"items", "next"},
    "choices": {"items", "last"},
    "faq_card": {"name"},
}


SOURCES = (
    "routines.yaml",
    "faq.yaml",
    "prompts.yaml",
    "intents.yaml",
    "screen.yaml",
    "numbers.yaml",
)
#: The sources, parsed, with their hashes: read instead of the YAML when the hashes match,
#: so a start skips importing and parsing YAML (written by `workout-planner model`).
COMPILED = "compiled.json"


def parse_yaml(name: str, text: str) -> Any:
    import yaml  # only when the compiled copy is stale: ~11 ms of imports

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ContentError(f"{name}: is not valid YAML{line}") from None


def _source_names(directory: Path) -> list[str]:
    overlays = sorted((directory / LOCALES_DIR).glob("*.yaml"))
    return [*SOURCES, *(f"{LOCALES_DIR}/{path.name}" for path in overlays)]


def _sources(directory: Path) -> dict[str, bytes]:
    sources = {}
    for name in _source_names(directory):
        try:
            sources[name] = (directory / name).read_bytes()
        except OSError as exc:
            raise ContentError(f"{name}: cannot be read ({exc.strerror})") from None
    return sources


def _digests(sources: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sources.items()}


def parse_sources(directory: Path) -> dict[str, Any]:
    """Each source file's parsed data, from the compiled copy when it is current."""
    return _parse(directory)[0]


def _parse(directory: Path) -> tuple[dict[str, Any], bool]:
    """(the parsed sources, whether they came from the current compiled copy)."""
    sources = _sources(directory)
    try:
        compiled = json.loads((directory / COMPILED).read_bytes())
        if compiled["sources"] == _digests(sources):
            return dict(compiled["data"]), True
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {name: parse_yaml(name, data.decode("utf-8")) for name, data in sources.items()}, False


def render_compiled(directory: Path = CONTENT_DIR) -> str:
    """The compiled copy of the sources in ``directory`` (validated first)."""
    sources = _sources(directory)
    data = {name: parse_yaml(name, text.decode("utf-8")) for name, text in sources.items()}
    for locale in locales_in(data):  # never compile content that does not load
        _load(data, locale)
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
        answer=r.placeholders(r.text(data, "answer", at), f"{at}.answer", _FACTS),
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


def _allowed(section: str, key: str) -> Collection[str]:
    """The placeholders a text may use: the rule for the base and for every overlay."""
    if section == "templates":
        return _TEMPLATE_FIELDS[key]
    if section == "screen":
        return _LABEL_FIELDS[key]
    return _PLACEHOLDERS | TURN_FIELDS if section == "prompts" else _FACTS


def _prompts(
    r: _Reader, data: Mapping[str, Any]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Prompts (their wordings) and templates, checked; placeholders are filled per locale."""
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
        prompts[key] = tuple(wordings)
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
)
_LABEL_FIELDS: dict[str, frozenset[str]] = {
    **{key: frozenset() for key in _PLAIN_LABELS},
    "step_of": frozenset({"number", "count"}),
    "step_paused": frozenset({"number", "count"}),
    "faq_heading": frozenset({"name"}),
    "countdown_label": frozenset({"seconds"}),
}


def _screen(r: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    """The labels; the emergency number a screen shows is the locale's (its facts)."""
    raw = r.mapping(data.get("labels"), "labels")
    labels = _templated(r, raw, _LABEL_FIELDS, "labels")
    unknown = sorted(set(raw) - set(_LABEL_FIELDS))
    if unknown:
        raise r.fail(f"labels.{unknown[0]}", "is not a label any screen shows")
    return labels


def _check_templates(
    r: _Reader, fr: _Reader, intents: IntentSamples, faq: tuple[FaqEntry, ...]
) -> None:
    """Every template parses, names only known phrases and slots (expanding waits for
    `workout-planner model`, so a start stays cheap)."""

    from skill.content.grammar import GrammarError, check_names  # only when checking

    def check(reader: _Reader, where: str, template: str) -> None:
        try:
            check_names(template, intents.phrases, intents.slots)
        except GrammarError as exc:
            raise reader.fail(where, str(exc)) from None

    for name, text in intents.phrases.items():
        check(r, f"phrases.{name}", text)
    for section, table in (("intents", intents.custom), ("builtins", intents.builtins)):
        for intent, templates in table.items():
            for index, template in enumerate(templates):
                check(r, f"{section}.{intent}[{index}]", template)
    for position, entry in enumerate(faq):
        for index, template in enumerate(entry.samples):
            check(fr, f"faq[{position}].samples[{index}]", template)


def _base(parsed: dict[str, Any], compiled: bool = False) -> tuple[Texts, str]:
    """The shared English base, validated: its texts (the sample grammar too), default routine.

    ``compiled``: the sources are the current compiled copy, which ``render_compiled`` wrote
    only after every locale loaded with every check; the sample templates' syntax (a quarter
    of a start, and nothing a turn reads) is not checked again.
    """
    r, data = _read(parsed, "routines.yaml")
    routines = r.each(
        r.items(data.get("routines"), "routines"), "routines", lambda d, w: _routine(r, d, w)
    )
    r.unique([routine.id for routine in routines], "routines")
    default = r.ident(data, "default", "")
    if default not in {routine.id for routine in routines}:
        raise r.fail("default", f"names no routine ({default!r})")
    if not any(routine.suits_spine_condition for routine in routines):
        raise r.fail("routines", "no routine suits a spine condition (suits_spine_condition)")

    fr, faq_data = _read(parsed, "faq.yaml")
    faq = fr.each(fr.items(faq_data.get("faq"), "faq"), "faq", lambda d, w: _faq(fr, d, w))
    fr.unique([entry.id for entry in faq], "faq")

    pr, prompt_data = _read(parsed, "prompts.yaml")
    prompts, templates = _prompts(pr, prompt_data)

    ir, intent_data = _read(parsed, "intents.yaml")
    sr, screen_data = _read(parsed, "screen.yaml")
    intents = _intents(ir, intent_data)
    if not compiled:
        _check_templates(ir, fr, intents, faq)
    numbers = read_numbers(_Reader("numbers.yaml"), parsed["numbers.yaml"])
    screen = _screen(sr, screen_data)
    texts = Texts(routines, faq, prompts, templates, screen, numbers, intents)
    return texts, default


def locales_in(parsed: Mapping[str, Any]) -> tuple[str, ...]:
    """The locales the sources have an overlay for, the default first."""
    found = []
    prefix = f"{LOCALES_DIR}/"
    for name in parsed:
        if name.startswith(prefix):
            locale = name.removeprefix(prefix).removesuffix(".yaml")
            if not is_locale(locale):
                raise ContentError(f"{name}: the file name must be a locale, like en-GB.yaml")
            found.append(locale)
    return tuple(sorted(found, key=lambda locale: (locale != DEFAULT_LOCALE, locale)))


def _load(parsed: dict[str, Any], locale: str, compiled: bool = False) -> Content:
    base, default = _base(parsed, compiled)
    name = overlay_file(locale)
    if name not in parsed:
        raise ContentError(f"{name}: cannot be read (no content for the locale {locale!r})")
    local = localise(base, _Reader(name), parsed[name], _allowed)
    texts, facts = local.texts, local.facts.placeholders()
    by_id = {routine.id: routine for routine in texts.routines}
    gentle = [routine.name for routine in texts.routines if routine.suits_spine_condition]
    more, last = texts.templates["choices_next"], texts.templates["choices"]
    fill = _LeaveTurnFields(
        routine_names=join_choices(more, last, [routine.name for routine in texts.routines]),
        default_routine=by_id[default].name,
        gentle_routine=gentle[0],
        gentle_names=join_choices(more, last, gentle),
        **facts,
    )
    return Content(
        routines=texts.routines,
        default_routine_id=default,
        faq=tuple(replace(entry, answer=entry.answer.format(**facts)) for entry in texts.faq),
        prompts={
            key: tuple(text.format_map(fill) for text in wordings)
            for key, wordings in texts.prompts.items()
        },
        templates=texts.templates,
        intents=texts.grammar,
        screen=ScreenText(texts.screen, local.facts.emergency_number),
        numbers=texts.numbers,
        locale=locale,
        facts=local.facts,
        voice=local.voice,
    )


def load_content_from(directory: Path, locale: str = DEFAULT_LOCALE) -> Content:
    """Load and validate one locale's bundle from ``directory``; raises ``ContentError``."""
    return _load_parsed(_parse(directory), locale)


def _load_parsed(parsed: tuple[dict[str, Any], bool], locale: str) -> Content:
    return _load(parsed[0], locale, compiled=parsed[1])


@lru_cache(maxsize=1)
def _bundled_sources() -> tuple[dict[str, Any], bool]:
    return _parse(CONTENT_DIR)


def bundled_locales() -> tuple[str, ...]:
    """Every locale the bundled content speaks, ``en-US`` first."""
    return locales_in(_bundled_sources()[0])


@cache
def load_content(locale: str = DEFAULT_LOCALE) -> Content:
    """One locale's bundled content, loaded and validated once per process."""
    return _load_parsed(_bundled_sources(), locale)


def bundled_library() -> Library:
    """Every bundled locale's content, each loaded on first use (en-US at once)."""
    return Library(bundled_locales(), load_content)
