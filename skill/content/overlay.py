"""A locale's overlay: what one English-speaking market changes in the shared English base.

``skill/content/locales/<locale>.yaml`` holds only what differs; every other text is the
base's (``skill/content/*.yaml``). Its sections:

``facts`` (required)
    ``country``, ``emergency_number`` (in quotes: ``"000"``), ``emergency_number_said`` and
    ``urgent_route_said``: see :class:`~skill.content.model.LocaleFacts`. The base's prompts and
    FAQ answers say them through placeholders of the same names, so the safety words follow
    the locale without a prompt being copied.
``words``
    ``base word: locale word``: whole words or phrases replaced in every spoken and shown text
    of the base (prompts, templates, screen labels, FAQ answers, routine summaries and steps):
    ``physical therapy: physiotherapy``. Each must occur in the base.
``voice``
    speech engine -> its accent for the locale (``gtts: co.uk``, the Google domain).
``prompts``, ``templates``, ``screen``
    key -> text, replacing the base's (``screen`` replaces the labels of screen.yaml).
``numbers``
    any of ``numbers.yaml``'s parts: ``words`` and ``ordinals`` (number -> word, replacing only
    the numbers named: ``words: {0: nought}``) and the templates that combine them
    (``tens_and_ones``, ``hundreds``, ``hundreds_ordinal``, ``hundreds_and``). The ``words``
    section above does not reach into numbers: this one does.
``faq``
    id -> ``answer`` and ``name`` (replaced), ``add_synonyms`` (more ways to ask: "GP").
``routines``
    id -> ``name`` and ``summary`` (replaced), ``add_synonyms``, and ``steps``: step id ->
    ``title``, ``say``, ``card``.

Naming anything the base lacks (a prompt key, an FAQ id, a field) fails with the overlay's file
and the field, so an override never silently stops applying.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from skill.content.model import FaqEntry, LocaleFacts, Routine, Step
from skill.content.numbers import NumberWords, override_numbers
from skill.content.reader import Reader

LOCALES_DIR = "locales"
_LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EMERGENCY_NUMBER = re.compile(r"^[0-9]{2,4}$")
_SECTIONS = (
    "facts",
    "words",
    "voice",
    "prompts",
    "templates",
    "screen",
    "numbers",
    "faq",
    "routines",
)
_ADD_SYNONYMS = "add_synonyms"
_FAQ_FIELDS = ("answer", "name")
_ROUTINE_FIELDS = ("name", "summary")
_STEP_FIELDS = ("title", "say", "card")

#: (section, key) -> the placeholders a text there may use; the loader knows the base's rules.
Allowed = Callable[[str, str], Collection[str]]


def overlay_file(locale: str) -> str:
    """The overlay's name among the sources: ``locales/en-GB.yaml``."""
    return f"{LOCALES_DIR}/{locale}.yaml"


def is_locale(name: str) -> bool:
    return bool(_LOCALE.match(name))


@dataclass(frozen=True)
class Texts:
    """The base's texts, validated, with placeholders not yet filled: what an overlay changes."""

    routines: tuple[Routine, ...]
    faq: tuple[FaqEntry, ...]
    #: Prompt key -> its wordings.
    prompts: Mapping[str, tuple[str, ...]]
    templates: Mapping[str, str]
    #: The labels a screen shows.
    screen: Mapping[str, str]
    numbers: NumberWords


@dataclass(frozen=True)
class Localised:
    texts: Texts
    facts: LocaleFacts
    voice: Mapping[str, str]


def localise(base: Texts, r: Reader, raw: Any, allowed: Allowed) -> Localised:
    """Apply one overlay (``raw``, read by ``r``) to the base's texts."""
    data = r.mapping(raw, "(top level)")
    for key in data:
        if key not in _SECTIONS:
            raise r.fail(str(key), f"is not an overlay section ({', '.join(_SECTIONS)})")
    texts = _respell(base, r, data.get("words"))
    texts = replace(
        texts,
        prompts=_override_prompts(r, texts.prompts, data.get("prompts"), allowed),
        templates=_override_texts(r, "templates", texts.templates, data.get("templates"), allowed),
        screen=_override_texts(r, "screen", texts.screen, data.get("screen"), allowed),
        numbers=override_numbers(r, texts.numbers, data.get("numbers")),
        faq=_override_faq(r, texts.faq, data.get("faq"), allowed),
        routines=_override_routines(r, texts.routines, data.get("routines")),
    )
    return Localised(texts, _facts(r, data.get("facts")), _voice(r, data.get("voice")))


def _facts(r: Reader, raw: Any) -> LocaleFacts:
    names = LocaleFacts.names()
    if raw is None:
        raise r.fail("facts", f"every locale needs its facts ({', '.join(names)})")
    data = r.mapping(raw, "facts")
    for key in data:
        if key not in names:
            raise r.fail(f"facts.{key}", f"is not a locale fact ({', '.join(names)})")
    number = data.get("emergency_number")
    if number is None or number == "":
        raise r.fail("facts.emergency_number", 'every locale needs its emergency number ("999")')
    if not isinstance(number, str) or not _EMERGENCY_NUMBER.match(number):
        raise r.fail(
            "facts.emergency_number",
            'must be the digits in quotes, like "000" (unquoted, YAML may read 000 as 0)',
        )
    country = r.text(data, "country", "facts")
    if not _COUNTRY.match(country):
        raise r.fail("facts.country", "must be a country code of two capitals, like GB")
    return LocaleFacts(
        country=country,
        emergency_number=number,
        emergency_number_said=r.text(data, "emergency_number_said", "facts"),
        urgent_route_said=r.text(data, "urgent_route_said", "facts"),
    )


def _voice(r: Reader, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    data = r.mapping(raw, "voice")
    return {str(engine): r.text(data, engine, "voice") for engine in data}


def _respell(texts: Texts, r: Reader, raw: Any) -> Texts:
    """Replace the ``words`` in every spoken and shown text; each must be used somewhere."""
    if raw is None:
        return texts
    data = r.mapping(raw, "words")
    words = [
        (str(word), re.compile(rf"\b{re.escape(str(word))}\b", re.I), r.text(data, word, "words"))
        for word in data
    ]
    used: set[str] = set()

    def spell(text: str) -> str:
        for word, pattern, new in words:

            def swap(found: re.Match[str], word: str = word, new: str = new) -> str:
                used.add(word)
                return new[:1].upper() + new[1:] if found.group(0)[:1].isupper() else new

            text = pattern.sub(swap, text)
        return text

    def spell_step(step: Step) -> Step:
        return replace(step, title=spell(step.title), say=spell(step.say), card=spell(step.card))

    spelled = Texts(
        routines=tuple(
            replace(
                routine,
                summary=spell(routine.summary),
                steps=tuple(map(spell_step, routine.steps)),
            )
            for routine in texts.routines
        ),
        faq=tuple(replace(entry, answer=spell(entry.answer)) for entry in texts.faq),
        prompts={key: tuple(map(spell, wordings)) for key, wordings in texts.prompts.items()},
        templates={key: spell(text) for key, text in texts.templates.items()},
        screen={key: spell(text) for key, text in texts.screen.items()},
        numbers=texts.numbers,
    )
    for word, _, _ in words:
        if word not in used:
            raise r.fail(f"words.{word}", "no spoken or shown text in the base uses it")
    return spelled


def _override_texts(
    r: Reader, section: str, base: Mapping[str, str], raw: Any, allowed: Allowed
) -> dict[str, str]:
    merged = dict(base)
    if raw is None:
        return merged
    data = r.mapping(raw, section)
    for key in data:
        where = f"{section}.{key}"
        if key not in base:
            raise r.fail(where, f"the base has no {section.removesuffix('s')} {key!r}")
        merged[key] = r.placeholders(r.text(data, key, section), where, allowed(section, key))
    return merged


def _override_prompts(
    r: Reader, base: Mapping[str, tuple[str, ...]], raw: Any, allowed: Allowed
) -> dict[str, tuple[str, ...]]:
    """A prompt's override is one wording, or a list of wordings, replacing the base's."""
    merged = dict(base)
    if raw is None:
        return merged
    data = r.mapping(raw, "prompts")
    for key in data:
        where = f"prompts.{key}"
        if key not in base:
            raise r.fail(where, f"the base has no prompt {key!r}")
        value = data[key]
        items = value if isinstance(value, list) and value else [value]
        merged[key] = tuple(
            r.placeholders(r.text({key: item}, key, "prompts"), where, allowed("prompts", key))
            for item in items
        )
    return merged


def _fields(r: Reader, data: Mapping[str, Any], where: str, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise r.fail(f"{where}.{key}", f"an overlay may set only {', '.join(allowed)}")


def _entries(r: Reader, raw: Any, where: str, ids: Collection[str], what: str) -> Mapping[str, Any]:
    data = r.mapping(raw, where) if raw is not None else {}
    for key in data:
        if key not in ids:
            raise r.fail(f"{where}.{key}", f"the base has no {what} {key!r}")
    return data


def _text(
    r: Reader,
    change: Mapping[str, Any],
    key: str,
    where: str,
    current: str,
    placeholders: Collection[str] = (),
) -> str:
    """The overlay's text for ``key`` if it sets one (checked), else the ``current`` text."""
    if key not in change:
        return current
    return r.placeholders(r.text(change, key, where), f"{where}.{key}", placeholders)


def _synonyms(
    r: Reader, data: Mapping[str, Any], where: str, base: tuple[str, ...]
) -> tuple[str, ...]:
    added = r.texts(data, _ADD_SYNONYMS, where)
    return base + tuple(phrase for phrase in added if phrase not in base)


def _override_faq(
    r: Reader, faq: tuple[FaqEntry, ...], raw: Any, allowed: Allowed
) -> tuple[FaqEntry, ...]:
    data = _entries(r, raw, "faq", {entry.id for entry in faq}, "FAQ entry")
    merged = []
    for entry in faq:
        if entry.id not in data:
            merged.append(entry)
            continue
        where = f"faq.{entry.id}"
        change = r.mapping(data[entry.id], where)
        _fields(r, change, where, (*_FAQ_FIELDS, _ADD_SYNONYMS))
        answer = _text(r, change, "answer", where, entry.answer, allowed("faq", "answer"))
        merged.append(
            replace(
                entry,
                name=_text(r, change, "name", where, entry.name),
                answer=answer,
                synonyms=_synonyms(r, change, where, entry.synonyms),
            )
        )
    return tuple(merged)


def _override_routines(r: Reader, routines: tuple[Routine, ...], raw: Any) -> tuple[Routine, ...]:
    data = _entries(r, raw, "routines", {routine.id for routine in routines}, "routine")
    merged = []
    for routine in routines:
        if routine.id not in data:
            merged.append(routine)
            continue
        where = f"routines.{routine.id}"
        change = r.mapping(data[routine.id], where)
        _fields(r, change, where, (*_ROUTINE_FIELDS, _ADD_SYNONYMS, "steps"))
        merged.append(
            replace(
                routine,
                name=_text(r, change, "name", where, routine.name),
                summary=_text(r, change, "summary", where, routine.summary),
                synonyms=_synonyms(r, change, where, routine.synonyms),
                steps=_override_steps(r, routine.steps, change.get("steps"), f"{where}.steps"),
            )
        )
    return tuple(merged)


def _override_steps(r: Reader, steps: tuple[Step, ...], raw: Any, where: str) -> tuple[Step, ...]:
    data = _entries(r, raw, where, {step.id for step in steps}, "step")
    merged = []
    for step in steps:
        if step.id not in data:
            merged.append(step)
            continue
        at = f"{where}.{step.id}"
        change = r.mapping(data[step.id], at)
        _fields(r, change, at, _STEP_FIELDS)
        merged.append(
            replace(
                step,
                title=_text(r, change, "title", at, step.title),
                say=_text(r, change, "say", at, step.say),
                card=_text(r, change, "card", at, step.card),
            )
        )
    return tuple(merged)
