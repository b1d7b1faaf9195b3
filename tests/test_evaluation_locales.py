"""Each locale's own evaluation set: how people in that market say things, resolved by exact
matching through that locale's committed model (tests/nlu/evaluation.<locale>.tsv).

The sets are mostly the locale's own vocabulary ("I've done my back in", "my back is paining"),
so most of their lines must miss in en-US's model: the models really differ.
"""

from __future__ import annotations

from collections import Counter

import pytest

from skill.model import model_path
from skill.nlu import FALLBACK, Resolver
from tests.support.evaluation import SAFETY, Case, evaluation_file, read_cases

LOCALES = ("en-GB", "en-CA", "en-AU", "en-IN")
OVERALL = 0.95
#: At least this share of a locale's lines are its own: en-US's model does not resolve them.
REGIONAL = 0.6


@pytest.fixture(scope="module")
def resolvers() -> dict[str, Resolver]:
    """Exact matching only, over each committed model (en-US's too)."""
    return {
        locale: Resolver.from_file(model_path(locale), near=False) for locale in ("en-US", *LOCALES)
    }


def cases(locale: str) -> list[Case]:
    return read_cases(evaluation_file(locale))


def misses(resolver: Resolver, locale: str) -> list[tuple[Case, str]]:
    found = [(case, case.wrong(resolver.resolve(case.said))) for case in cases(locale)]
    wrong = [(case, problem) for case, problem in found if problem]
    print(f"\n{locale}: {len(found) - len(wrong)} of {len(found)} lines resolve as expected")
    for _, problem in wrong:
        print("  miss:", problem)
    return wrong


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_has_a_set_of_its_own(locale: str) -> None:
    found = cases(locale)
    intents = Counter(case.intent for case in found)
    assert len(found) >= 30
    assert sum(intents[name] for name in SAFETY) >= 10
    assert len({case.said.lower() for case in found}) == len(found), "a line is in twice"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_expected_intent_is_in_the_locale_model(resolvers, locale: str) -> None:
    assert {case.intent for case in cases(locale)} <= set(resolvers[locale].intents)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_locale_model_resolves_its_lines(resolvers, locale: str) -> None:
    wrong = misses(resolvers[locale], locale)
    safety = [problem for case, problem in wrong if case.intent in SAFETY]
    assert not safety, "\n".join(safety)
    assert len(wrong) <= (1 - OVERALL) * len(cases(locale)), "\n".join(p for _, p in wrong)


@pytest.mark.parametrize("locale", LOCALES)
def test_most_lines_are_the_locale_s_own(resolvers, locale: str) -> None:
    """en-US's model does not hold them: the locale's overlay is what makes them resolve."""
    found = cases(locale)
    own = [case for case in found if case.wrong(resolvers["en-US"].resolve(case.said))]
    assert len(own) >= REGIONAL * len(found), f"{len(own)} of {len(found)}"


@pytest.mark.parametrize(
    ("locale", "said", "intent"),
    [
        ("en-GB", "I've done my back in", "PainIntent"),
        ("en-GB", "my back is giving me gyp", "PainIntent"),
        ("en-GB", "ring nine nine nine", "ChestPainIntent"),
        ("en-GB", "should I go to A and E", "RedFlagIntent"),
        ("en-AU", "I've stuffed my back", "PainIntent"),
        ("en-AU", "I feel crook", "PainIntent"),
        ("en-AU", "ring triple zero", "ChestPainIntent"),
        ("en-IN", "my back is paining", "PainIntent"),
        ("en-IN", "I am having pain in my back", "PainIntent"),
        ("en-IN", "kindly stop", "AMAZON.StopIntent"),
        ("en-CA", "should I go to a walk in clinic", "FaqSeeDoctorIntent"),
        ("en-CA", "should I go to emerg", "RedFlagIntent"),
    ],
)
def test_a_regional_line_resolves_in_its_locale_only(resolvers, locale, said, intent) -> None:
    assert resolvers[locale].resolve(said).intent == intent
    assert resolvers["en-US"].resolve(said).intent == FALLBACK
