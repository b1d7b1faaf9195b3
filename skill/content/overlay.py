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
    id -> ``answer`` and ``name`` (replaced), ``add_synonyms`` (more ways to name the topic:
    "GP"), ``add_samples`` (templates for the topic's own intent: "should I see my GP").
``routines``
    id -> ``name`` and ``summary`` (replaced), ``add_synonyms``, and ``steps``: step id ->
    ``title``, ``say``, ``card``.

The sample grammar (intents.yaml; templates as in ``skill.content.grammar``), for how people in
the market say things; what is not named stays the base's:

``phrases``
    phrase name -> ``add_choices`` (more choices: ``hurts: {add_choices: [is paining]}``) or
    ``replace`` (the phrase's whole template: ``please: {replace: "(please|kindly|)"}``).
``intents``
    intent name (custom or ``AMAZON.*``) -> ``add_samples``: more templates.
``slot_types``
    type -> value id -> ``add_synonyms`` (``BODY_PART: {lower_back: {add_synonyms: [waist]}}``);
    a synonym another value already has is refused (Alexa could not tell which is meant).

Naming anything the base lacks (a prompt key, an FAQ id, a phrase, an intent, a slot, a field)
fails with the overlay's file and the field, so an override never silently stops applying. An
added template that expands to a sample of another intent fails when the model is expanded
(``workout-planner model``), naming the overlay, both intents and both templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from skill.content.model import FaqEntry, IntentSamples, LocaleFacts, Routine, SlotValue, Step
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
    "phrases",
    "intents",
    "slot_types",
)
_ADD_SYNONYMS = "add_synonyms"
_ADD_SAMPLES = "add_samples"
_ADD_CHOICES = "add_choices"
_REPLACE = "replace"
#: Alexa sends it what matches no other intent: it takes no samples.
_NO_SAMPLES = "AMAZON.FallbackIntent"
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
    #: The sample grammar (intents.yaml): not spoken, but said differently per market.
    grammar: IntentSamples


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
    grammar = _override_grammar(r, texts.grammar, data)
    faq = _override_faq(r, texts.faq, data.get("faq"), allowed, grammar)
    changed = grammar != base.grammar or any(
        entry.samples != before.samples for entry, before in zip(faq, base.faq, strict=True)
    )
    texts = replace(
        texts,
        prompts=_override_prompts(r, texts.prompts, data.get("prompts"), allowed),
        templates=_override_texts(r, "templates", texts.templates, data.get("templates"), allowed),
        screen=_override_texts(r, "screen", texts.screen, data.get("screen"), allowed),
        numbers=override_numbers(r, texts.numbers, data.get("numbers")),
        faq=faq,
        routines=_override_routines(r, texts.routines, data.get("routines")),
        grammar=replace(grammar, changed_by=r.file) if changed else grammar,
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

    spelled = replace(
        texts,
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
    )
    for word, _, _ in words:
        if word not in used:
            raise r.fail(f"words.{word}", "no spoken or shown text in the base uses it")
    return spelled


def _override_texts(
    r: Reader, section: str, base: Mapping[str, str], raw: Any, allowed: Allowed
) -> dict[str, str]:
    merged = dict(base)
    data = _entries(r, raw, section, base, section.removesuffix("s"))
    for key in data:
        where = f"{section}.{key}"
        merged[key] = r.placeholders(r.text(data, key, section), where, allowed(section, key))
    return merged


def _override_prompts(
    r: Reader, base: Mapping[str, tuple[str, ...]], raw: Any, allowed: Allowed
) -> dict[str, tuple[str, ...]]:
    """A prompt's override is one wording, or a list of wordings, replacing the base's."""
    merged = dict(base)
    for key, value in _entries(r, raw, "prompts", base, "prompt").items():
        where = f"prompts.{key}"
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


def _entries(
    r: Reader, raw: Any, where: str, ids: Collection[str], what: str, hint: str = ""
) -> Mapping[str, Any]:
    """The overlay's entries at ``where``, each naming one of the base's ``ids`` (a ``what``)."""
    data = r.mapping(raw, where) if raw is not None else {}
    for key in data:
        if key not in ids:
            why = f"the base has no {what} {key!r}" + (f" ({hint})" if hint else "")
            raise r.fail(f"{where}.{key}", why)
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
    r: Reader, faq: tuple[FaqEntry, ...], raw: Any, allowed: Allowed, grammar: IntentSamples
) -> tuple[FaqEntry, ...]:
    data = _entries(r, raw, "faq", {entry.id for entry in faq}, "FAQ entry")
    merged = []
    for entry in faq:
        if entry.id not in data:
            merged.append(entry)
            continue
        where = f"faq.{entry.id}"
        change = r.mapping(data[entry.id], where)
        _fields(r, change, where, (*_FAQ_FIELDS, _ADD_SYNONYMS, _ADD_SAMPLES))
        answer = _text(r, change, "answer", where, entry.answer, allowed("faq", "answer"))
        merged.append(
            replace(
                entry,
                name=_text(r, change, "name", where, entry.name),
                answer=answer,
                synonyms=_synonyms(r, change, where, entry.synonyms),
                samples=_samples(r, change, where, entry.samples, grammar),
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


# -- the sample grammar ---------------------------------------------------------------------


def _template(r: Reader, template: str, where: str, grammar: IntentSamples) -> str:
    from skill.content.grammar import GrammarError, check_names  # only when an overlay adds one

    try:
        check_names(template, grammar.phrases, grammar.slots)
    except GrammarError as exc:
        raise r.fail(where, str(exc)) from None
    return template


def _samples(
    r: Reader, data: Mapping[str, Any], where: str, base: tuple[str, ...], grammar: IntentSamples
) -> tuple[str, ...]:
    """``base`` and the ``add_samples`` templates, each checked against the grammar."""
    added = r.texts(data, _ADD_SAMPLES, where)
    for index, template in enumerate(added):
        _template(r, template, f"{where}.{_ADD_SAMPLES}[{index}]", grammar)
    return base + tuple(template for template in added if template not in base)


def _override_grammar(r: Reader, grammar: IntentSamples, data: Mapping[str, Any]) -> IntentSamples:
    grammar = replace(grammar, phrases=_override_phrases(r, grammar, data.get("phrases")))
    custom, builtins = dict(grammar.custom), dict(grammar.builtins)
    table = {**custom, **builtins}
    raw = data.get("intents")
    changes = r.mapping(raw, "intents") if raw is not None else {}
    for intent in changes:
        where = f"intents.{intent}"
        if intent not in table:
            hint = " (an FAQ topic's samples go under faq.<id>.add_samples)"
            raise r.fail(
                where,
                f"the base has no intent {intent!r}" + (hint if intent.startswith("Faq") else ""),
            )
        if intent == _NO_SAMPLES:
            raise r.fail(where, "takes no samples: Alexa sends it what matches no other intent")
        change = r.mapping(changes[intent], where)
        _fields(r, change, where, (_ADD_SAMPLES,))
        target = custom if intent in custom else builtins
        target[intent] = _samples(r, change, where, table[intent], grammar)
    return replace(
        grammar,
        custom=custom,
        builtins=builtins,
        slot_types=_override_slot_types(r, grammar.slot_types, data.get("slot_types")),
    )


def _override_phrases(r: Reader, grammar: IntentSamples, raw: Any) -> dict[str, str]:
    """A phrase gets more choices (kept after the base's), or a whole new template."""
    phrases = dict(grammar.phrases)
    data = _entries(r, raw, "phrases", phrases, "phrase")
    for name in data:
        where = f"phrases.{name}"
        change = r.mapping(data[name], where)
        _fields(r, change, where, (_ADD_CHOICES, _REPLACE))
        if len(change) != 1:
            raise r.fail(where, f"set one of {_ADD_CHOICES} or {_REPLACE}")
        if _REPLACE in change:
            texts = [(r.text(change, _REPLACE, where), f"{where}.{_REPLACE}")]
        else:
            choices = r.texts(change, _ADD_CHOICES, where)
            if not choices:
                raise r.fail(f"{where}.{_ADD_CHOICES}", "must list at least one choice")
            texts = [(c, f"{where}.{_ADD_CHOICES}[{i}]") for i, c in enumerate(choices)]
        for text, at in texts:
            # A phrase that names itself would never finish expanding.
            if f"<{name}>" in text:
                raise r.fail(at, f"may not refer to <{name}> itself")
            _template(r, text, at, grammar)
        if _REPLACE in change:
            phrases[name] = texts[0][0]
        else:
            # One group of the base's template and the new choices: same samples, then more.
            phrases[name] = f"({phrases[name]}|{'|'.join(text for text, _ in texts)})"
    return phrases


def _override_slot_types(
    r: Reader, types: Mapping[str, tuple[SlotValue, ...]], raw: Any
) -> dict[str, tuple[SlotValue, ...]]:
    merged = dict(types)
    hint = "routine names and FAQ topics take add_synonyms under routines.<id> and faq.<id>"
    data = _entries(r, raw, "slot_types", types, "slot type", hint)
    for type_name in data:
        where = f"slot_types.{type_name}"
        values = types[type_name]
        change = _entries(r, data[type_name], where, {value.id for value in values}, "value")
        meaning = {s.lower(): v.id for v in values for s in (v.name, *v.synonyms)}
        updated = []
        for value in values:
            if value.id not in change:
                updated.append(value)
                continue
            at = f"{where}.{value.id}"
            fields = r.mapping(change[value.id], at)
            _fields(r, fields, at, (_ADD_SYNONYMS,))
            synonyms = _synonyms(r, fields, at, value.synonyms)
            for synonym in synonyms[len(value.synonyms) :]:
                other = meaning.setdefault(synonym.lower(), value.id)
                if other != value.id:
                    raise r.fail(f"{at}.{_ADD_SYNONYMS}", f"{synonym!r} already means {other!r}")
            updated.append(replace(value, synonyms=synonyms))
        merged[type_name] = tuple(updated)
    return merged
