"""Typed text to an intent and its slots, the way Alexa resolves speech against the model.

Standard library only, so anything may import it (the console, tests, the manifest checks)::

    >>> resolver = Resolver.from_file()  # interaction_model/en-US.json
    >>> found = resolver.resolve("Alexa, ask workout planner to start the upper back routine")
    >>> found.intent, found.slots
    ('StartRoutineIntent', {'routine': ('upper back', 'upper_back')})
    >>> resolver.resolve("is it safe to crak my back").slots
    {'topic': ('is it safe to crack my back', 'crack_safety')}
    >>> resolver.resolve("open workout planner").intent
    'LaunchRequest'
    >>> resolver.resolve("purple monkey dishwasher").intent
    'AMAZON.FallbackIntent'

How a line is matched, in order (the first stage that matches wins):

1. Invocation phrases: "open workout planner" (also launch, start, use, talk to, or the bare
   name) is :data:`LAUNCH`; "ask / tell workout planner (to|about|for|if) <rest>" and
   "open workout planner and <rest>" resolve <rest> and mark the result ``one_shot``.
2. Exact match of a sample. A ``{slot}`` stands for one or more words; when those words are a
   value or synonym of the slot type, the slot carries that value's id (ER_SUCCESS_MATCH).
3. Near match: character similarity of at least :data:`NEAR_THRESHOLD` to a sample (slots
   filled with every value and synonym), for small typos. A near match never adds or drops a
   negation ("I am not in pain" is not "I am in pain").
4. A sample contained in the line, as whole words ("my back hurts a lot" holds "my back
   hurts"), at least two words long and with the same negation rule. When several are, an
   urgent intent (:data:`URGENT_INTENTS`) wins, then the longest sample: a sentence that
   mentions chest pain is never heard as something milder.
5. Exact match of a sample whose slot words are not in the catalogue: the slot is sent
   unresolved (ER_SUCCESS_NO_MATCH) and the skill decides. A sample that is nothing but a slot
   ("{topic}") does not take arbitrary words this way, or every line would be a question.
6. Otherwise ``AMAZON.FallbackIntent``.

Built-in intents answer to Amazon's own common phrasings (:data:`BUILTIN_PHRASES`) besides the
model's samples, as they do on a device; a model sample always wins over a default phrase.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

__all__ = [
    "BUILTIN_PHRASES",
    "DEFAULT_MODEL_PATH",
    "FALLBACK",
    "LAUNCH",
    "NEAR_THRESHOLD",
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

#: Most urgent first: which intent a line means when it contains samples of several.
URGENT_INTENTS: tuple[str, ...] = ("ChestPainIntent", "RedFlagIntent", "PainIntent")
#: A contained sample must be at least this many words ("it hurts", not "pain" in "no pain").
_MIN_CONTAINED_WORDS = 2

#: Amazon's common phrasings for the built-in intents (a short, hand-picked subset of what a
#: device understands). Used only for built-ins the model declares.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.HelpIntent": ("help", "help me", "what can you do", "what do i do"),
    "AMAZON.StopIntent": ("stop", "stop it", "be quiet", "shut up", "goodbye", "bye"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
    "AMAZON.NextIntent": ("next", "skip", "next one"),
    "AMAZON.PreviousIntent": ("previous", "go back", "back", "previous one"),
    "AMAZON.RepeatIntent": ("repeat", "again", "say it again", "pardon"),
    "AMAZON.YesIntent": ("yes", "yeah", "yup", "ok", "okay", "sure", "of course", "alright"),
    "AMAZON.NoIntent": ("no", "nah", "no thank you", "not really"),
    "AMAZON.PauseIntent": ("pause", "pause it"),
    "AMAZON.ResumeIntent": ("resume", "unpause"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again", "begin again"),
    "AMAZON.NavigateHomeIntent": ("go home", "home", "main menu"),
}

_WAKE = "alexa"
_OPEN_VERBS = ("open", "launch", "start", "begin", "use", "run", "load", "talk to")
_CONNECTORS = ("to", "about", "for", "if", "whether", "that")
_NEGATIONS = frozenset(
    {"not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "wont", "aint"}
)
_SLOT = re.compile(r"\{(\w+)\}")
_ARTICLES = ("the ", "a ", "my ")


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
    ``score`` is 1.0 for an exact sample (resolved or not), the similarity for a near match,
    the share of the line a contained sample covers, and 0.0 for the fallback.
    """

    intent: str
    slots: dict[str, SlotFill] = field(default_factory=dict)
    score: float = 0.0
    #: The sample (as written in the model, slots filled) that matched, if any.
    sample: str | None = None
    #: Said with the invocation name ("ask workout planner to ..."): a new session on a device.
    one_shot: bool = False


@dataclass(frozen=True)
class _Phrase:
    text: str  # normalised, slots filled
    intent: str
    slots: tuple[tuple[str, str, str], ...]  # (slot, spoken, value id)
    sample: str
    negated: bool


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    intent: str
    slots: tuple[tuple[str, str], ...]  # (slot name, slot type) in sample order
    sample: str
    literal_words: int


class Resolver:
    """Resolves typed lines against one interaction model; build once, resolve many times."""

    def __init__(
        self,
        invocation_name: str,
        samples: Mapping[str, Iterable[str]],
        slot_types: Mapping[str, Mapping[str, str]] | None = None,
        intent_slots: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """``samples``: intent -> sample texts; ``slot_types``: type -> {spoken: value id};
        ``intent_slots``: intent -> {slot name: slot type}. Prefer :meth:`from_model`."""
        self.invocation_name = normalise(invocation_name)
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
        for intent, phrases in BUILTIN_PHRASES.items():
            if intent in samples:
                for phrase in phrases:
                    self._exact.setdefault(normalise(phrase), _phrase(phrase, intent, (), phrase))
        self._near = tuple(self._exact.values())
        self._patterns.sort(key=lambda p: -p.literal_words)  # the most specific sample first

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> Resolver:
        """From an interaction model dict (``{"interactionModel": {"languageModel": ...}}``)."""
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
        return cls(language.get("invocationName", ""), samples, slot_types, intent_slots)

    @classmethod
    def from_file(cls, path: str | Path = DEFAULT_MODEL_PATH) -> Resolver:
        """From an interaction model JSON file (by default the project's en-US model)."""
        return cls.from_model(json.loads(Path(path).read_text(encoding="utf-8")))

    def resolve(self, text: str) -> Resolution:
        """The intent (or :data:`LAUNCH`, or :data:`FALLBACK`) and slots for one typed line."""
        words = normalise(text)
        if words == _WAKE or words.startswith(_WAKE + " "):
            words = words[len(_WAKE) :].strip()
        rests = self._after_invocation(words)
        if rests is None:
            return self._match(words)[1]
        if not rests:
            return Resolution(LAUNCH, score=1.0, one_shot=True)
        # "tell workout planner that hurts": "that" may be a connector or part of the words.
        _, found = max((self._match(rest) for rest in rests), key=lambda pair: pair[0])
        return Resolution(found.intent, found.slots, found.score, found.sample, one_shot=True)

    # -- stages ------------------------------------------------------------------------------

    def _after_invocation(self, words: str) -> list[str] | None:
        """What may follow the invocation name ([] to just open the skill), None without one."""
        name = self.invocation_name
        if not name:
            return None
        if words == name:
            return []
        for verb in ("ask", "tell"):
            head = f"{verb} {name}"
            if words == head:
                return []
            if words.startswith(head + " "):
                rest = words[len(head) + 1 :]
                first, _, after = rest.partition(" ")
                return [after, rest] if first in _CONNECTORS and after else [rest]
        for verb in _OPEN_VERBS:
            head = f"{verb} {name}"
            if words == head:
                return []
            if words.startswith(head + " and "):
                return [words[len(head) + 5 :]]
        return None

    def _match(self, words: str) -> tuple[int, Resolution]:
        """The resolution, ranked by the stage that found it (higher is better)."""
        if not words:
            return 0, Resolution(FALLBACK)
        exact = self._exact.get(words)
        if exact is not None:
            return 4, _resolution(exact, 1.0)
        for rank, stage in ((3, self._nearest), (2, self._contained), (1, self._unresolved)):
            found = stage(words)
            if found is not None:
                return rank, found
        return 0, Resolution(FALLBACK)

    def _nearest(self, words: str) -> Resolution | None:
        negated = _is_negated(words)
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(words)  # difflib caches the second sequence: the line, compared many times
        best: _Phrase | None = None
        best_score = NEAR_THRESHOLD
        for phrase in self._near:
            if phrase.negated != negated:
                continue
            matcher.set_seq1(phrase.text)
            if matcher.real_quick_ratio() < best_score or matcher.quick_ratio() < best_score:
                continue
            score = matcher.ratio()
            if score >= best_score and (best is None or score > best_score):
                best, best_score = phrase, score
        return _resolution(best, best_score) if best is not None else None

    def _contained(self, words: str) -> Resolution | None:
        padded, negated = f" {words} ", _is_negated(words)
        best: tuple[int, int, _Phrase] | None = None
        for phrase in self._near:
            size = phrase.text.count(" ") + 1
            if size < _MIN_CONTAINED_WORDS or phrase.negated != negated:
                continue
            if f" {phrase.text} " not in padded:
                continue
            rank = (_urgency(phrase.intent), size, phrase)
            if best is None or rank[:2] > best[:2]:
                best = rank
        if best is None:
            return None
        phrase = best[2]
        return _resolution(phrase, len(phrase.text) / len(words))

    def _unresolved(self, words: str) -> Resolution | None:
        for pattern in self._patterns:
            found = pattern.regex.fullmatch(words)
            if found is None or pattern.literal_words == 0:
                continue
            slots: dict[str, SlotFill] = {}
            for index, (slot, slot_type) in enumerate(pattern.slots):
                spoken = found.group(index + 1)
                slots[slot] = (spoken, self._value_id(slot_type, spoken))
            return Resolution(pattern.intent, slots, 1.0, pattern.sample)
        return None

    # -- building ----------------------------------------------------------------------------

    def _add_sample(self, intent: str, sample: str, slots_of: Mapping[str, str]) -> None:
        names = _SLOT.findall(sample)
        if not names:
            self._exact.setdefault(normalise(sample), _phrase(sample, intent, (), sample))
            return
        # Every filled-in variant is an exact phrase; the pattern catches values not listed.
        for fills in _combinations([(n, self._types.get(slots_of.get(n, ""), {})) for n in names]):
            text = sample
            for slot, spoken, _ in fills:
                text = text.replace("{" + slot + "}", spoken, 1)
            self._exact.setdefault(normalise(text), _phrase(text, intent, tuple(fills), sample))
        tokens, literal_words = [], 0
        for index, part in enumerate(_SLOT.split(sample)):
            if index % 2:  # split() puts the slot names at the odd positions
                tokens.append(r"(.+?)")
            else:
                literal_words += len(normalise(part).split())
                tokens.extend(re.escape(word) for word in normalise(part).split())
        self._patterns.append(
            _Pattern(
                re.compile(" ".join(tokens)),
                intent,
                tuple((n, slots_of.get(n, "")) for n in names),
                sample,
                literal_words,
            )
        )

    def _value_id(self, slot_type: str, spoken: str) -> str | None:
        values = self._types.get(slot_type, {})
        for candidate in (spoken, *(spoken[len(a) :] for a in _ARTICLES if spoken.startswith(a))):
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


def _phrase(
    text: str, intent: str, slots: tuple[tuple[str, str, str], ...], sample: str
) -> _Phrase:
    words = normalise(text)
    return _Phrase(words, intent, slots, sample, _is_negated(words))


def _urgency(intent: str) -> int:
    return len(URGENT_INTENTS) - URGENT_INTENTS.index(intent) if intent in URGENT_INTENTS else 0


def _is_negated(words: str) -> bool:
    return not _NEGATIONS.isdisjoint(words.split())


def _resolution(phrase: _Phrase, score: float) -> Resolution:
    slots: dict[str, SlotFill] = {slot: (spoken, ident) for slot, spoken, ident in phrase.slots}
    sample = phrase.sample
    for slot, spoken, _ in phrase.slots:
        sample = sample.replace("{" + slot + "}", spoken, 1)
    return Resolution(phrase.intent, slots, score, sample)
