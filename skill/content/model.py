"""The typed content: what the loader builds and the state machine reads."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from functools import cached_property

from skill.content.numbers import NumberWords
from skill.cues import CueSpec
from skill.reply import Line

#: The last seconds of a hold are counted aloud over the ticks ("three, two, one").
SPOKEN_COUNTS = 3


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    say: str
    card: str
    #: The gentler variation, offered when the person says it is too hard.
    easier: str = ""
    hold_seconds: int | None = None
    side: Side | None = None
    #: Picking the routine up at this step in a later session suggests a warm-up first.
    warm_up_first: bool = False


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    synonyms: tuple[str, ...]
    #: Safe to guide for someone with osteoporosis or a spine condition.
    suits_spine_condition: bool
    summary: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class FaqEntry:
    id: str
    name: str
    synonyms: tuple[str, ...]
    answer: str
    #: Sample templates (``skill.content.grammar``) of the topic's own intent.
    samples: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotValue:
    id: str
    name: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class IntentSamples:
    """The sample grammar: templates per intent, the phrases they share, and the slots."""

    invocation_name: str
    #: Custom intent name -> sample templates.
    custom: Mapping[str, tuple[str, ...]]
    #: Built-in intent name (``AMAZON.*``) -> extra sample templates (often none).
    builtins: Mapping[str, tuple[str, ...]]
    #: Named phrases the templates use as ``<name>``.
    phrases: Mapping[str, str] = field(default_factory=dict)
    #: Slot name (``{body_part}``) -> slot type name (``BODY_PART``).
    slots: Mapping[str, str] = field(default_factory=dict)
    #: Slot types defined here (routine names and FAQ topics come from their own files).
    slot_types: Mapping[str, tuple[SlotValue, ...]] = field(default_factory=dict)
    #: The fallback intent's sensitivity in the model (LOW, MEDIUM or HIGH).
    fallback_sensitivity: str = "LOW"
    #: The overlay that changed this grammar (``locales/en-IN.yaml``), or "" for the base's:
    #: expanding it names that file in its errors, since the base alone expands cleanly.
    changed_by: str = ""


@dataclass(frozen=True)
class ScreenText:
    """What a screen shows beside the speech (headings, touch labels): shown, never spoken."""

    #: Label key -> text; ``step_of`` and ``countdown_label`` carry placeholders.
    labels: Mapping[str, str]
    #: Shown in large type with the red-flag and chest-pain advice.
    emergency_number: str

    def label(self, key: str, **fill: object) -> str:
        return self.labels[key].format(**fill) if fill else self.labels[key]


#: The locale of the shared English base, and what serves an English locale without its own.
DEFAULT_LOCALE = "en-US"


@dataclass(frozen=True)
class LocaleFacts:
    """What the safety words of one locale need to know (``locales/<locale>.yaml: facts``).

    Each field is also a placeholder of the same name in the prompts and FAQ answers; spoken
    text uses the ``_said`` forms, written text (the screen, the store listing) the others.
    """

    #: Where the locale's store is (ISO 3166-1 alpha-2): the skill is distributed there.
    country: str
    #: The emergency number as written ("999", "000").
    emergency_number: str
    #: ... and as said ("nine nine nine", "triple zero").
    emergency_number_said: str
    #: The urgent, non-emergency route as a spoken verb phrase ("call NHS one one one").
    urgent_route_said: str

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def placeholders(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Content:
    """One locale's bundle: the shared English base with the locale's overlay applied."""

    routines: tuple[Routine, ...]
    default_routine_id: str
    faq: tuple[FaqEntry, ...]
    #: Prompts by key: one or more wordings each, load-time placeholders already filled.
    prompts: Mapping[str, tuple[str, ...]]
    #: Per-routine and per-step templates (``routine_intro``, ``routine_done``, ``step``, ``hold``).
    templates: Mapping[str, str]
    intents: IntentSamples
    screen: ScreenText
    #: How numbers are said ("step three of five").
    numbers: NumberWords
    #: The locale's emergency number and urgent route (``locales/<locale>.yaml: facts``).
    facts: LocaleFacts
    #: The locale this bundle speaks, e.g. ``en-GB``.
    locale: str = DEFAULT_LOCALE
    #: Speech engine name -> its accent for this locale (``gtts`` -> the Google domain).
    voice: Mapping[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return language_of(self.locale)

    @cached_property
    def _routines_by_id(self) -> dict[str, Routine]:
        return {routine.id: routine for routine in self.routines}

    @cached_property
    def _faq_by_id(self) -> dict[str, FaqEntry]:
        return {entry.id: entry for entry in self.faq}

    @property
    def default_routine(self) -> Routine:
        return self._routines_by_id[self.default_routine_id]

    @cached_property
    def _routine_names(self) -> dict[str, str]:
        return _names((r.id, r.name, *r.synonyms) for r in self.routines)

    @cached_property
    def _topic_names(self) -> dict[str, str]:
        return _names((e.id, e.name, *e.synonyms) for e in self.faq)

    def find_routine(self, spoken: str) -> str | None:
        """The id of the routine a spoken name or synonym means, if any."""
        return self._routine_names.get(normalise(spoken))

    def find_topic(self, spoken: str) -> str | None:
        """The id of the FAQ topic a spoken phrase means, if any."""
        return self._topic_names.get(normalise(spoken))

    def routine(self, routine_id: str | None) -> Routine | None:
        return self._routines_by_id.get(routine_id) if routine_id else None

    def faq_entry(self, faq_id: str | None) -> FaqEntry | None:
        return self._faq_by_id.get(faq_id) if faq_id else None

    # What is said, as lines carrying their cue ids.

    @cached_property
    def gentle_routine(self) -> Routine:
        """The first routine that suits a spine condition (the loader checks there is one)."""
        return next(r for r in self.routines if r.suits_spine_condition)

    def prompt(self, key: str, turn: int = 0, **values: object) -> Line:
        """One wording of a prompt, chosen by ``turn``; ``values`` fill per-turn placeholders.

        A prompt with per-turn placeholders is spoken as text: it has no pre-generated cue.
        """
        wordings = self.prompts[key]
        index = turn % len(wordings)
        text = wordings[index]
        if has_turn_fields(text):
            return Line(capitalised(text.format(**values)))  # "Fifteen more seconds."
        return Line(text, cue=prompt_cue(key, index))

    @property
    def card_title(self) -> str:
        return self.templates["card_title"]

    def step_card_title(self, routine: Routine, index: int) -> str:
        step = routine.steps[index]
        return self.templates["step_card"].format(
            number=index + 1, count=len(routine.steps), title=step.title
        )

    def faq_card_title(self, entry: FaqEntry) -> str:
        return capitalised(self.templates["faq_card"].format(name=entry.name))

    def hold_text(self, seconds: int) -> str:
        """The hold, written (a card): digits rather than words."""
        return self.templates["hold"].format(seconds=seconds)

    def easier_line(self, routine: Routine, index: int) -> Line:
        return Line(routine.steps[index].easier, cue=f"step.{routine.id}.{index + 1}.easier")

    def intro_line(self, routine: Routine) -> Line:
        text = self.templates["routine_intro"].format(name=routine.name, summary=routine.summary)
        return Line(text, cue=f"routine.{routine.id}.intro")

    def done_line(self, routine: Routine) -> Line:
        return Line(
            self.templates["routine_done"].format(name=routine.name),
            cue=f"routine.{routine.id}.done",
        )

    def step_line(self, routine: Routine, index: int) -> Line:
        step = routine.steps[index]
        say = self.numbers.cardinal
        text = self.templates["step"].format(
            number=say(index + 1), count=say(len(routine.steps)), say=step.say
        )
        if step.hold_seconds:
            text += " " + self.templates["hold"].format(seconds=say(step.hold_seconds))
        return Line(text, cue=f"step.{routine.id}.{index + 1}")

    def faq_line(self, entry: FaqEntry) -> Line:
        return Line(entry.answer, cue=f"faq.{entry.id}")

    def cue_specs(self) -> list[CueSpec]:
        """Every cue the skill can play, for ``workout-planner audio build``."""
        specs = [
            CueSpec(prompt_cue(key, index), text)
            for key, wordings in self.prompts.items()
            for index, text in enumerate(wordings)
            if not has_turn_fields(text)
        ]
        for routine in self.routines:
            for line in (self.intro_line(routine), self.done_line(routine)):
                specs.append(CueSpec(line.cue or "", line.text))
            for index, step in enumerate(routine.steps):
                line = self.step_line(routine, index)
                hold, counts = step.hold_seconds, self.spoken_counts(step.hold_seconds)
                specs.append(CueSpec(line.cue or "", line.text, hold, chime=True, counts=counts))
                easier = self.easier_line(routine, index)
                specs.append(CueSpec(easier.cue or "", easier.text))
        specs.extend(CueSpec(f"faq.{entry.id}", entry.answer) for entry in self.faq)
        return specs

    def spoken_counts(self, hold_seconds: int | None) -> tuple[str, ...]:
        """The words counted aloud over the last seconds of a hold (never its first second)."""
        if not hold_seconds:
            return ()
        last = min(SPOKEN_COUNTS, hold_seconds - 1)
        return tuple(self.numbers.cardinal(n) for n in range(last, 0, -1))


#: Placeholders a prompt may leave for the turn to fill (the loader fills the others).
TURN_FIELDS = frozenset(
    {"routine", "number", "count", "next_number", "left", "seconds", "title", "nth"}
)
_FIELD = re.compile(r"\{(\w+)\}")


def has_turn_fields(text: str) -> bool:
    return "{" in text and any(name in TURN_FIELDS for name in _FIELD.findall(text))


def prompt_cue(key: str, index: int) -> str:
    """``prompt.menu`` for a prompt's first wording, ``prompt.menu.2`` for its second."""
    return f"prompt.{key}" if index == 0 else f"prompt.{key}.{index + 1}"


def join_choices(more: str, last: str, names: list[str]) -> str:
    """The names as one spoken list: ``more`` (``"{items}, {next}"``) adds each name but the
    last, ``last`` (``"{items}, or {last}"``) ends it."""
    if len(names) < 2:
        return "".join(names)
    items = names[0]
    for name in names[1:-1]:
        items = more.format(items=items, next=name)
    return last.format(items=items, last=names[-1])


def capitalised(text: str) -> str:
    """The first letter in capitals, the rest as written ("GP", not "Gp")."""
    return text[:1].upper() + text[1:]


def language_of(locale: str | None) -> str:
    """``en`` for ``en-GB``: the part of a locale tag that names the language."""
    return (locale or "").replace("_", "-").split("-")[0].lower()


def normalise(spoken: str) -> str:
    """Lower case, no punctuation, single spaces: how spoken phrases are compared."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", spoken.lower().replace("_", " ")).split())


def _names(groups: Iterable[tuple[str, ...]]) -> dict[str, str]:
    """Every way of saying something (id, name, synonyms) -> its id."""
    table: dict[str, str] = {}
    for ident, *phrases in groups:
        for phrase in (ident, *phrases):
            table.setdefault(normalise(phrase), ident)
    return table
