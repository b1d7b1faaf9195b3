"""Every reply of every transcript keeps to its budget and ends with what to say.

The property tests (tests/test_properties.py) apply the same check to every reply of every
random conversation; tests/test_content.py checks the FAQ answers themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skill.chat import Console, InProcess, run_script
from skill.nlu import Resolver
from skill.settings import Settings
from tests.support import budgets
from tests.support.dialogue import plain

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


class Measuring:
    """A channel that measures every reply it passes back."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.problems: list[str] = []
        self.replies = 0

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        raw = self.inner.send(envelope)
        response = raw.get("response", {})
        speech = plain(response.get("outputSpeech", {}).get("ssml"))
        if speech:
            self.replies += 1
            launch = envelope["request"]["type"] == "LaunchRequest"
            problem = budgets.over_budget(
                speech,
                launch=launch,
                first="not a substitute" in speech,
                open_session=response.get("shouldEndSession") is False,
            )
            if problem:
                self.problems.append(f"{problem}: {speech!r}")
        return raw

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_every_reply_of_every_transcript_keeps_its_budget(path: Path, tmp_path: Path) -> None:
    channel = Measuring(InProcess(Settings(), tmp_path / "progress.sqlite3"))
    try:
        result = run_script(path, Console(channel, Resolver.from_file()))
    finally:
        channel.close()
    assert result.ok, result.summary()
    assert channel.replies > 3
    assert channel.problems == []


def test_faq_answers_keep_their_budget(content) -> None:
    long = {e.id: budgets.words(e.answer) for e in content.faq}
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
