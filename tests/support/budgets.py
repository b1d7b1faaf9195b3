"""How long a reply may be, in words of spoken text, and how it must end (GUIDE: one breath)."""

from __future__ import annotations

import re
from typing import Any

from skill.content import bundled_library
from tests.support.dialogue import plain

FIRST_LAUNCH = 45  # the disclaimer and how to stop included
LATER_LAUNCH = 20
STEP = 40  # from "Step N of M" to the end of the reply
ANY_REPLY = 60
FAQ_ANSWER = 35  # the answer itself, before the tail that says how to go on

_STEP = re.compile(r"\bStep \w+ of \w+\b")
#: A reply that keeps the microphone open ends with a question or says what to say.
_INSTRUCTION = re.compile(r"\b(say|ask|name)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def words(text: str) -> int:
    return len(text.split())


def over_budget(speech: str, *, launch: bool, first: bool, open_session: bool) -> str | None:
    """Why this reply breaks its budget or its ending, or None."""
    count = words(speech)
    if count > ANY_REPLY:
        return f"{count} words, over {ANY_REPLY}"
    if launch:
        limit = FIRST_LAUNCH if first else LATER_LAUNCH
        if count > limit:
            return f"a {'first' if first else 'later'} launch of {count} words, over {limit}"
    step = _STEP.search(speech)
    if step and words(speech[step.start() :]) > STEP:
        return f"a step of {words(speech[step.start() :])} words, over {STEP}"
    if open_session:
        last = _SENTENCE_END.split(speech.strip())[-1]
        if not (last.endswith("?") or _INSTRUCTION.search(last)):
            return f"keeps the microphone open but ends without a question or what to say: {last!r}"
    return None


def first_launch(speech: str, locale: str | None) -> bool:
    """Whether ``speech`` is a first launch: it carries the locale's disclaimer."""
    prompts = bundled_library().choose(locale).content.prompts
    return any(disclaimer in speech for disclaimer in prompts["disclaimer"])


class Measuring:
    """A channel that measures every reply it passes back, in the locale of its request."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.replies = 0
        #: The locales the requests carried.
        self.locales: set[str] = set()

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        raw: dict[str, Any] = self.inner.send(envelope)
        locale = envelope["request"].get("locale")
        self.locales.add(locale)
        response = raw.get("response", {})
        speech = plain(response.get("outputSpeech", {}).get("ssml"))
        if speech:
            self.replies += 1
            problem = over_budget(
                speech,
                launch=envelope["request"]["type"] == "LaunchRequest",
                first=first_launch(speech, locale),
                open_session=response.get("shouldEndSession") is False,
            )
            if problem:
                self.problems.append(f"{problem}: {speech!r}")
        return raw

    def close(self) -> None:
        self.inner.close()
