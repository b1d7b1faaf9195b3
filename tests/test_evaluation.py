"""The evaluation set: how people really say things, resolved by exact matching over the model.

tests/nlu/evaluation.tsv is written by hand, apart from the grammar. Every line is resolved with
near and contained matching off, so a line passes only when the model holds it as a sample: what
an offline client hears, and the floor under what Alexa's NLU generalises from.
"""

from __future__ import annotations

from collections import Counter

import pytest

from skill.nlu import Resolver
from tests.support.evaluation import SAFETY, read_cases
from tests.support.intents import NAVIGATION_INTENTS

#: Said about pain without being pain: they must never stop a routine as pain.
NEGATIVES = {"FaqFeelingFineIntent", "FaqIfItHurtsIntent"}
OVERALL = 0.95


CASES = read_cases()


@pytest.fixture(scope="module")
def exact() -> Resolver:
    return Resolver.from_file(near=False)


@pytest.fixture(scope="module")
def misses(exact) -> dict[str, list[str]]:
    """Intent -> the lines that did not resolve to it, printed for whoever runs the tests."""
    found: dict[str, list[str]] = {}
    for case in CASES:
        problem = case.wrong(exact.resolve(case.said))
        if problem:
            found.setdefault(case.intent, []).append(problem)
    missed = sum(len(lines) for lines in found.values())
    print(f"\nevaluation: {len(CASES) - missed} of {len(CASES)} lines resolve as expected")
    for lines in found.values():
        for problem in lines:
            print("  miss:", problem)
    return found


def test_the_set_is_big_and_varied_enough() -> None:
    intents = Counter(case.intent for case in CASES)
    assert len(CASES) >= 400
    assert sum(intents[name] for name in SAFETY) >= 150
    assert sum(intents[name] for name in NAVIGATION_INTENTS) >= 100
    faq = sum(n for name, n in intents.items() if name.startswith("Faq") and name not in NEGATIVES)
    assert faq >= 60
    assert all(intents[name] >= 5 for name in NEGATIVES)
    assert len({case.said.lower() for case in CASES}) == len(CASES), "a line is in twice"


def test_every_expected_intent_is_in_the_model(exact) -> None:
    assert {case.intent for case in CASES} <= set(exact.intents)


def test_safety_intents_resolve_every_line(misses) -> None:
    wrong = [line for name in SAFETY for line in misses.get(name, [])]
    assert not wrong, "\n".join(wrong)


def test_negatives_never_resolve_to_pain(misses) -> None:
    wrong = [line for name in NEGATIVES for line in misses.get(name, [])]
    assert not wrong, "\n".join(wrong)


def test_at_least_95_percent_overall(misses) -> None:
    missed = [line for lines in misses.values() for line in lines]
    assert len(CASES) - len(missed) >= OVERALL * len(CASES), "\n".join(missed)
