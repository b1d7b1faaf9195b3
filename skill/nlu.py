"""Typed text to an intent and its slots, the way Alexa resolves speech against the model.

Standard library and the content's phrasings only, so anything may import it (the console,
tests, the manifest checks)::

    >>> resolver = Resolver.from_file()  # interaction_model/en-US.json, en-US's phrasings
    >>> found = resolver.resolve("Alexa, ask workout planner to start the upper back routine")
    >>> found.intent, found.slots
    ('StartRoutineIntent', {'routine': ('upper back', 'upper_back')})
    >>> found = resolver.resolve("is it safe to crak my back")
    >>> found.intent, found.match, round(found.score, 2)
    ('FaqCrackSafetyIntent', 'near', 0.98)
    >>> resolver.resolve("my neck hurts").slots
    {'body_part': ('neck', 'neck')}
    >>> resolver.resolve("open workout planner").intent
    'LaunchRequest'
    >>> resolver.resolve("purple monkey dishwasher").intent
    'AMAZON.FallbackIntent'

How a line is matched, in order (the first stage that matches wins):

1. Invocation phrases: "open workout planner" (or another of the language's ``open_verbs``, or
   the bare name) is :data:`LAUNCH`; "ask / tell workout planner (to|about|for|if) <rest>" and
   "open workout planner and <rest>" resolve <rest> and mark the result ``one_shot``.
2. ``exact``: the line is a sample, its ``{slot}`` filled with a value or synonym of the slot
   type (the slot carries that value's id, ER_SUCCESS_MATCH). Score 1.0.
3. ``near``: the line is a sample but for small typos. Each word the model does not know is
   replaced by the closest words it does ("crak" -> "crack"); the score is the character
   similarity of the line to the sample it then matches, at least :data:`NEAR_THRESHOLD`.
   A near match never adds or drops a negation word ("I am not in pain" is not "I am in pain").
4. ``contained``: a sample of at least two words inside the line, as whole words ("my back
   hurts a lot" holds "my back hurts"), with the same negation rule. When several are, an
   urgent intent (:data:`URGENT_INTENTS`) wins, then the longest sample: a sentence that
   mentions chest pain is never heard as something milder. The score is the share of the
   line the sample covers, never shown as a similarity.
5. ``unlisted``: the line is a sample whose slot words are not in the catalogue: the slot is
   sent unresolved (ER_SUCCESS_NO_MATCH) and the skill decides. A sample that is nothing but a
   slot ("{routine}") does not take arbitrary words this way, or every line would be a match.
6. Otherwise ``AMAZON.FallbackIntent`` (``none``, score 0.0).

``Resolver(..., near=False)`` keeps stages 1, 2 and 5 only: what the model itself says, the way
the evaluation set (tests/nlu/evaluation.tsv) checks it.

Built-in intents answer to Amazon's own common phrasings besides the model's samples, as they
do on a device; a model sample always wins over a default phrase.

Every word this relies on beyond the model (the wake word, the ways to open or ask the skill,
negation words, articles, the built-ins' phrasings) is the language's content:
``skill/content/phrasings/<language>.yaml`` (``skill.content.phrasings``), chosen by the
locale given to :meth:`Resolver.from_model` or :meth:`Resolver.from_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher, get_close_matches
from functools import cached_property
from itertools import product
from pathlib import Path
from typing import Any

from skill.content.model import DEFAULT_LOCALE
from skill.content.overlay import is_locale
from skill.content.phrasings import Phrasings, load_phrasings

__all__ = [
    "CONTAINED",
    "DEFAULT_MODEL_PATH",
    "EXACT",
    "FALLBACK",
    "LAUNCH",
    "NEAR",
    "NEAR_THRESHOLD",
    "NONE",
    "UNLISTED",
    "URGENT_INTENTS",
    "Resolution",
    "Resolver",
    "normalise",
]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "interaction_model" / "en-US.json"

#: Not an intent: the line opens the skill, and the console sends a LaunchRequest.
LAUNCH = "LaunchRequest"
FALLBACK = "AMAZON.FallbackIntent"
#: High on purpose: a near match is for typos, not for guessing what someone meant.
NEAR_THRESHOLD = 0.85
#: How a line matched (``Resolution.match``).
EXACT, NEAR, CONTAINED, UNLISTED, NONE = "exact", "near", "contained", "unlisted", "none"
#: A word the model does not know is tried as each of this many closest known words.
_CORRECTIONS = 3
#: Lines with more unknown words than this are not near matches: that is not a typo.
_MAX_UNKNOWN_WORDS = 3

#: Most urgent first: which intent a line means when it contains samples of several.
URGENT_INTENTS: tuple[str, ...] = ("ChestPainIntent", "RedFlagIntent", "PainIntent")
#: A contained sample must be at least this many words ("it hurts", not "pain" in "no pain").
_MIN_CONTAINED_WORDS = 2

_SLOT = re.compile(r"\{(\w+)\}")


def __getattr__(name: str) -> Any:
    """``BUILTIN_PHRASES``: the default locale's built-in phrasings, read when first asked for."""
    if name == "BUILTIN_PHRASES":
        return load_phrasings(DEFAULT_LOCALE).builtins
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped ("let's" is "lets"), other punctuation as spaces."""
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


#: A slot as the envelope builder takes it: (spoken words, resolved value id or None).
SlotFill = tuple[str, str | None]


@dataclass(frozen=True)
class Resolution:
    """What a line resolved to.

    ``intent`` is an intent name, :data:`LAUNCH` or :data:`FALLBACK`; ``slots`` map slot name to
    ``(spoken, resolved id or None)``, ready for ``AlexaSession.intent(name, **slots)``;
    ``match`` says how (:data:`EXACT`, :data:`NEAR`, :data:`CONTAINED`, :data:`UNLISTED` or
    :data:`NONE`) and ``score`` what it measured: 1.0 for an exact sample (slot listed or not),
    the character similarity for a near match, the share of the line a contained sample covers,
    and 0.0 for the fallback.
    """

    intent: str
    slots: dict[str, SlotFill] = field(default_factory=dict)
    score: float = 0.0
    #: The sample (as written in the model, slots filled) that matched, if any.
    sample: str | None = None
    #: Said with the invocation name ("ask workout planner to ..."): a new session on a device.
    one_shot: bool = False
    match: str = NONE


@dataclass(frozen=True)
class _Phrase:
    text: str  # normalised, slots filled
    intent: str
    slots: tuple[tuple[str, str, str], ...]  # (slot, spoken, value id)
    sample: str
    negated: bool
    words: int


@dataclass(frozen=True)
class _Pattern:
    source: str  # a regular expression, compiled on first use (compiling all is slow)
    words: frozenset[str]  # the literal words: a line without them all cannot match
    intent: str
    slots: tuple[tuple[str, str], ...]  # (slot name, slot type) in sample order
    sample: str
    literal_words: int
    negated: bool

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source)


class Resolver:
    """Resolves typed lines against one interaction model; build once, resolve many times."""

    def __init__(
        self,
        invocation_name: str,
        samples: Mapping[str, Iterable[str]],
        slot_types: Mapping[str, Mapping[str, str]] | None = None,
        intent_slots: Mapping[str, Mapping[str, str]] | None = None,
        *,
        phrasings: Phrasings | None = None,
        near: bool = True,
    ) -> None:
        """``samples``: intent -> sample texts; ``slot_types``: type -> {spoken: value id};
        ``intent_slots``: intent -> {slot name: slot type}; ``phrasings``: the language's (by
        default the default locale's); ``near=False`` for exact matching only. Prefer
        :meth:`from_model`."""
        self.invocation_name = normalise(invocation_name)
        self.near = near
        self.phrasings = phrasings or load_phrasings(DEFAULT_LOCALE)
        self._articles = tuple(f"{article} " for article in self.phrasings.articles)
        self.intents = tuple(samples)
        types = {
            name: {normalise(k): v for k, v in m.items()} for name, m in (slot_types or {}).items()
        }
        self._types = types
        self._exact: dict[str, _Phrase] = {}
        self._patterns: list[_Pattern] = []
        for intent, texts in samples.items():
            slots_of = dict((intent_slots or {}).get(intent, {}))
            for sample in texts:
                self._add_sample(intent, sample, slots_of)
        # Defaults go in last and never replace a model sample.
        for intent, phrases in self.phrasings.builtins.items():
            if intent in samples:
                for phrase in phrases:
                    self._exact.setdefault(normalise(phrase), self._phrase(phrase, intent))
        self._vocabulary = sorted({word for text in self._exact for word in text.split()})
        self._known = frozenset(self._vocabulary)
        self._patterns.sort(key=lambda p: -p.literal_words)  # the most specific sample first

    @classmethod
    def from_model(
        cls,
        model: Mapping[str, Any],
        *,
        locale: str = DEFAULT_LOCALE,
        phrasings: Phrasings | None = None,
        near: bool = True,
    ) -> Resolver:
        """From an interaction model dict (``{"interactionModel": {"languageModel": ...}}``),
        with ``locale``'s phrasings (or the ``phrasings`` given)."""
        language = model.get("interactionModel", model).get("languageModel", model)
        slot_types: dict[str, dict[str, str]] = {}
        for slot_type in language.get("types", []):
            values = slot_types.setdefault(slot_type["name"], {})
            for value in slot_type.get("values", []):
                name = value["name"]
                ident = value.get("id") or name["value"]
                for spoken in (name["value"], *name.get("synonyms", [])):
                    values.setdefault(spoken, ident)
        samples: dict[str, list[str]] = {}
        intent_slots: dict[str, dict[str, str]] = {}
        for intent in language.get("intents", []):
            samples[intent["name"]] = list(intent.get("samples", []))
            intent_slots[intent["name"]] = {s["name"]: s["type"] for s in intent.get("slots", [])}
        return cls(
            language.get("invocationName", ""),
            samples,
            slot_types,
            intent_slots,
            phrasings=phrasings or load_phrasings(locale),
            near=near,
        )

    @classmethod
    def from_file(
        cls, path: str | Path = DEFAULT_MODEL_PATH, *, locale: str | None = None, near: bool = True
    ) -> Resolver:
        """From an interaction model JSON file (by default the project's en-US model), with the
        phrasings of ``locale``, or of the locale the file is named for (``en-GB.json``)."""
        path = Path(path)
        if locale is None:
            locale = path.stem if is_locale(path.stem) else DEFAULT_LOCALE
        model = json.loads(path.read_text(encoding="utf-8"))
        return cls.from_model(model, locale=locale, near=near)

    def resolve(self, text: str) -> Resolution:
        """The intent (or :data:`LAUNCH`, or :data:`FALLBACK`) and slots for one typed line."""
        words = normalise(text)
        for wake in self.phrasings.wake_words:
            if words == wake or words.startswith(wake + " "):
                words = words[len(wake) :].strip()
                break
        rests = self._after_invocation(words)
        if rests is None:
            return self._match(words)[1]
        if not rests:
            return Resolution(LAUNCH, score=1.0, match=EXACT, one_shot=True)
        # "tell workout planner that hurts": "that" may be a connector or part of the words.
        _, found = max((self._match(rest) for rest in rests), key=lambda pair: pair[0])
        return replace(found, one_shot=True)

    # -- stages ------------------------------------------------------------------------------

    def _after_invocation(self, words: str) -> list[str] | None:
        """What may follow the invocation name ([] to just open the skill), None without one."""
        name = self.invocation_name
        if not name:
            return None
        if words == name:
            return []
        for verb in self.phrasings.ask_verbs:
            head = f"{verb} {name}"
            if words == head:
                return []
            if words.startswith(head + " "):
                rest = words[len(head) + 1 :]
                first, _, after = rest.partition(" ")
                return [after, rest] if first in self.phrasings.connectors and after else [rest]
        joined = f" {self.phrasings.open_and} "
        for verb in self.phrasings.open_verbs:
            head = f"{verb} {name}"
            if words == head:
                return []
            if words.startswith(head + joined):
                return [words[len(head) + len(joined) :]]
        return None

    def _match(self, words: str) -> tuple[int, Resolution]:
        """The resolution, ranked by the stage that found it (higher is better)."""
        if not words:
            return 0, Resolution(FALLBACK)
        exact = self._exact.get(words)
        if exact is not None:
            return 4, _resolution(exact, 1.0, EXACT)
        stages = ((3, self._nearest), (2, self._contained)) if self.near else ()
        for rank, stage in (*stages, (1, self._unresolved)):
            found = stage(words)
            if found is not None:
                return rank, found
        return 0, Resolution(FALLBACK)

    def _nearest(self, words: str) -> Resolution | None:
        tokens = words.split()
        unknown = [i for i, word in enumerate(tokens) if word not in self._known]
        if not unknown or len(unknown) > _MAX_UNKNOWN_WORDS:
            return None
        choices = [
            get_close_matches(tokens[i], self._vocabulary, n=_CORRECTIONS, cutoff=0.6)
            for i in unknown
        ]
        negated = self._is_negated(words)
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(words)
        best: _Phrase | None = None
        best_score = NEAR_THRESHOLD
        for picks in product(*choices):
            corrected = list(tokens)
            for index, word in zip(unknown, picks, strict=True):
                corrected[index] = word
            phrase = self._exact.get(" ".join(corrected))
            if phrase is None or phrase.negated != negated:
                continue
            matcher.set_seq1(phrase.text)
            score = matcher.ratio()
            if score >= best_score and (best is None or score > best_score):
                best, best_score = phrase, score
        return _resolution(best, best_score, NEAR) if best is not None else None

    def _contained(self, words: str) -> Resolution | None:
        tokens, negated = words.split(), self._is_negated(words)
        best: tuple[int, int, _Phrase] | None = None
        for size in range(len(tokens) - 1, _MIN_CONTAINED_WORDS - 1, -1):
            for start in range(len(tokens) - size + 1):
                phrase = self._exact.get(" ".join(tokens[start : start + size]))
                if phrase is None or phrase.negated != negated:
                    continue
                rank = (_urgency(phrase.intent), size, phrase)
                if best is None or rank[:2] > best[:2]:
                    best = rank
        if best is None:
            return None
        phrase = best[2]
        return _resolution(phrase, len(phrase.text) / len(words), CONTAINED)

    def _unresolved(self, words: str) -> Resolution | None:
        present, negated = set(words.split()), self._is_negated(words)
        for pattern in self._patterns:
            if not pattern.words <= present or pattern.negated != negated:
                continue
            found = pattern.regex.fullmatch(words)
            if found is None or pattern.literal_words == 0:
                continue
            slots: dict[str, SlotFill] = {}
            for index, (slot, slot_type) in enumerate(pattern.slots):
                spoken = found.group(index + 1)
                slots[slot] = (spoken, self._value_id(slot_type, spoken))
            return Resolution(pattern.intent, slots, 1.0, pattern.sample, match=UNLISTED)
        return None

    # -- building ----------------------------------------------------------------------------

    def _add_sample(self, intent: str, sample: str, slots_of: Mapping[str, str]) -> None:
        pieces = _SLOT.split(sample)  # literal text at the even positions, slot names between
        names = pieces[1::2]
        if not names:
            self._exact.setdefault(normalise(sample), self._phrase(sample, intent))
            return
        literals = [normalise(part) for part in pieces[0::2]]
        negated = any(self._is_negated(part) for part in literals)
        # Every filled-in variant is an exact phrase; the pattern catches values not listed.
        for fills in _combinations([(n, self._types.get(slots_of.get(n, ""), {})) for n in names]):
            parts = [literals[0]]
            for (_, spoken, _), literal in zip(fills, literals[1:], strict=True):
                parts.extend((spoken, literal))
            text = " ".join(" ".join(parts).split())
            phrase = _Phrase(text, intent, tuple(fills), sample, negated, text.count(" ") + 1)
            self._exact.setdefault(text, phrase)
        tokens, literal_words = [], 0
        for index, part in enumerate(pieces):
            if index % 2:
                tokens.append(r"(.+?)")
            else:
                literal_words += len(normalise(part).split())
                tokens.extend(re.escape(word) for word in normalise(part).split())
        self._patterns.append(
            _Pattern(
                " ".join(tokens),
                frozenset(word for part in literals for word in part.split()),
                intent,
                tuple((n, slots_of.get(n, "")) for n in names),
                sample,
                literal_words,
                negated,
            )
        )

    def _phrase(self, text: str, intent: str) -> _Phrase:
        """A sample or built-in phrasing without slots."""
        words = normalise(text)
        return _Phrase(words, intent, (), text, self._is_negated(words), words.count(" ") + 1)

    def _is_negated(self, words: str) -> bool:
        return not self.phrasings.negations.isdisjoint(words.split())

    def _value_id(self, slot_type: str, spoken: str) -> str | None:
        values = self._types.get(slot_type, {})
        bare = (spoken[len(article) :] for article in self._articles if spoken.startswith(article))
        for candidate in (spoken, *bare):
            if candidate in values:
                return values[candidate]
        return None


def _combinations(
    slots: list[tuple[str, Mapping[str, str]]],
) -> Iterable[list[tuple[str, str, str]]]:
    """Every way to fill the slots with a listed value: [(slot, spoken, id), ...]."""
    if not slots:
        yield []
        return
    (name, values), others = slots[0], slots[1:]
    for spoken, ident in values.items():
        for tail in _combinations(others):
            yield [(name, spoken, ident), *tail]


def _urgency(intent: str) -> int:
    return len(URGENT_INTENTS) - URGENT_INTENTS.index(intent) if intent in URGENT_INTENTS else 0


def _resolution(phrase: _Phrase, score: float, match: str) -> Resolution:
    slots: dict[str, SlotFill] = {slot: (spoken, ident) for slot, spoken, ident in phrase.slots}
    sample = phrase.sample
    for slot, spoken, _ in phrase.slots:
        sample = sample.replace("{" + slot + "}", spoken, 1)
    return Resolution(phrase.intent, slots, score, sample, match=match)
