"""Every intent's sample utterances, expanded from the grammar in the content bundle.

``expand_samples(content)`` is the one expansion: ``workout-planner model`` writes its result,
the tests count it, and a locale's bundle (its own phrases and templates) goes through the same
function. An expanded sample that lands in two intents is an error naming both intents and
both templates (and the overlay, when a locale changed the grammar), because Alexa would have
to guess between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from skill.content.grammar import Grammar, GrammarError
from skill.content.keys import faq_intent_name
from skill.content.loader import ContentError
from skill.content.model import Content

__all__ = [
    "LIMITS",
    "ModelLimits",
    "SampleCollision",
    "expand_samples",
    "faq_intent_name",
    "intent_templates",
]


@dataclass(frozen=True)
class ModelLimits:
    """Budgets the generated model must stay inside.

    Amazon's "Create Intents, Utterances, and Slots" and the interaction model schema set the
    hard rules: a sample holds only words (letters, apostrophes, periods for abbreviations),
    spaces and ``{slot}`` references, and may not repeat within the model. The numbers are our
    own budgets, kept well under the sizes Amazon documents and developers report for a model
    that still builds (a few hundred intents, tens of thousands of slot values, a model of a
    few hundred kilobytes), so a grammar change cannot silently break the build.
    """

    intents: int = 250
    samples_per_intent: int = 2000
    sample_characters: int = 200
    total_characters: int = 200_000


LIMITS = ModelLimits()


class SampleCollision(ContentError):
    """The same expanded sample in two intents."""


def intent_templates(content: Content) -> dict[str, tuple[str, ...]]:
    """Intent name -> its templates: custom intents, one per FAQ topic, then built-ins."""
    table: dict[str, tuple[str, ...]] = dict(content.intents.custom)
    for entry in content.faq:
        if entry.samples:
            table[faq_intent_name(entry.id)] = entry.samples
    table.update(content.intents.builtins)
    return table


def expand_samples(content: Content, limits: ModelLimits = LIMITS) -> dict[str, tuple[str, ...]]:
    """Intent name -> its distinct expanded samples, in template order.

    Raises ``ContentError`` for a malformed template, a sample in two intents
    (``SampleCollision``), or a model past ``limits``.
    """
    # A locale's changes are what can break a base that expands cleanly: name its overlay.
    overlay = f"{content.intents.changed_by}: " if content.intents.changed_by else ""
    try:
        grammar = Grammar(content.intents.phrases)
    except GrammarError as exc:
        raise ContentError(f"{overlay}intents.yaml: phrases: {exc}") from None
    owners: dict[str, tuple[str, str]] = {}  # lower-cased sample -> (intent, template)
    expanded: dict[str, tuple[str, ...]] = {}
    for intent, templates in intent_templates(content).items():
        samples: dict[str, None] = {}
        for template in templates:
            try:
                found = grammar.expand(template)
            except GrammarError as exc:
                raise ContentError(f"{overlay}{intent}: {exc}") from None
            for sample in found:
                key = sample.lower()
                owner = owners.setdefault(key, (intent, template))
                if owner[0] != intent:
                    raise SampleCollision(
                        f"{overlay}the sample {sample!r} is in two intents: {owner[0]} (from the "
                        f"template {owner[1]!r}) and {intent} (from the template {template!r})"
                    )
                samples.setdefault(sample, None)
        expanded[intent] = tuple(samples)
    try:
        check_limits(expanded, limits)
    except ContentError as exc:
        raise ContentError(f"{overlay}{exc}") from None
    return expanded


def check_limits(expanded: Mapping[str, tuple[str, ...]], limits: ModelLimits = LIMITS) -> None:
    """Raise ``ContentError`` when the expanded samples do not fit ``limits``."""
    if len(expanded) > limits.intents:
        raise ContentError(f"{len(expanded)} intents: more than {limits.intents}")
    total = 0
    for intent, samples in expanded.items():
        if len(samples) > limits.samples_per_intent:
            raise ContentError(
                f"{intent}: {len(samples)} samples, more than {limits.samples_per_intent}"
            )
        for sample in samples:
            if len(sample) > limits.sample_characters:
                raise ContentError(
                    f"{intent}: {sample!r} is longer than {limits.sample_characters} characters"
                )
            total += len(sample)
    if total > limits.total_characters:
        raise ContentError(
            f"the samples hold {total} characters, more than {limits.total_characters}"
        )
