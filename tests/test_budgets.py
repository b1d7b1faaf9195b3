"""Every reply of every transcript, in every locale it runs in, keeps to its budget and ends
with what to say.

The property tests (tests/test_properties.py) apply the same check to every reply of every
random conversation; tests/test_content.py checks the FAQ answers themselves.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from skill.content import bundled_locales, load_content
from tests.support import budgets, transcripts
from tests.support.transcripts import Case, Run


@pytest.mark.parametrize("case", transcripts.params())
def test_every_reply_of_every_transcript_keeps_its_budget(
    case: Case, transcript_run: Callable[[Case], Run]
) -> None:
    run = transcript_run(case)
    assert run.result.ok, run.result.summary()
    assert run.replies > 3
    assert run.over_budget == ()


@pytest.mark.parametrize("locale", bundled_locales())
def test_faq_answers_keep_their_budget(locale: str) -> None:
    long = {e.id: budgets.words(e.answer) for e in load_content(locale).faq}
    assert {k: n for k, n in long.items() if n > budgets.FAQ_ANSWER} == {}


@pytest.mark.parametrize(
    ("speech", "launch", "first", "problem"),
    [
        (" ".join(["word"] * 61) + "?", False, False, "61 words, over 60"),
        (" ".join(["word"] * 46) + "?", True, True, "first launch of 46 words"),
        ("Welcome back. " + " ".join(["word"] * 20) + "?", True, False, "later launch"),
        ("Step one of five. " + " ".join(["word"] * 37) + "?", False, False, "a step of 41"),
        ("Nice work. That was good.", False, False, "ends without a question"),
    ],
)
def test_the_budget_check_names_what_is_over(speech, launch, first, problem) -> None:
    found = budgets.over_budget(speech, launch=launch, first=first, open_session=True)
    assert found is not None and problem in found


def test_a_reply_within_budget_passes() -> None:
    assert (
        budgets.over_budget("Paused. Say resume.", launch=False, first=False, open_session=True)
        is None
    )
