"""The requests the benchmarks send: conversations for the project and for the hello world.

Envelopes come from ``skill.envelopes.AlexaSession`` (what Alexa sends); signatures from the
test CA in ``tests.support.test_ca`` (no network). Each conversation is a new person, so the
project's store sees a first-time user every time and the mix stays the same throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.hello_world import HELLO_INTENT
from skill.envelopes import AlexaSession, SlotValue
from tests.support.test_ca import SKILL_ID, FakeAlexaPKI, encode

Turn = tuple[str, dict[str, SlotValue]]

#: A realistic session: launch, start a routine, answer the screening question, two steps,
#: a question, and stopping for pain.
PROJECT_TURNS: tuple[Turn, ...] = (
    ("launch", {}),
    ("StartRoutineIntent", {"routine": ("upper back", "upper_back")}),
    ("AMAZON.NoIntent", {}),
    ("AMAZON.NextIntent", {}),
    ("AMAZON.RepeatIntent", {}),
    ("FaqIntent", {"topic": ("is it safe to crack my back", "crack_safety")}),
    ("PainIntent", {}),
)
HELLO_TURNS: tuple[Turn, ...] = (("launch", {}), (HELLO_INTENT, {}))


def envelope(session: AlexaSession, turn: Turn) -> dict[str, Any]:
    name, slots = turn
    return session.launch() if name == "launch" else session.intent(name, **slots)


@dataclass
class Conversations:
    """An endless stream of envelopes: ``turns`` over and over, each time a new person."""

    turns: tuple[Turn, ...]
    skill_id: str = SKILL_ID

    def __post_init__(self) -> None:
        self._session = AlexaSession(skill_id=self.skill_id)
        self._index = 0

    def next(self) -> dict[str, Any]:
        if self._index == 0:
            self._session = AlexaSession(skill_id=self.skill_id)  # a new person
        turn = self.turns[self._index]
        self._index = (self._index + 1) % len(self.turns)
        return envelope(self._session, turn)

    def absorb(self, response: dict[str, Any]) -> None:
        self._session.absorb(response)


Post = Callable[[bytes, dict[str, str]], tuple[int, dict[str, Any]]]


def signed(pki: FakeAlexaPKI, env: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The raw body and the signature headers Alexa would send with it."""
    body = encode(env)
    return body, pki.signed_headers(body)


def record(post: Post, turns: tuple[Turn, ...], conversations: int) -> list[bytes]:
    """Bodies of whole conversations, played once through ``post`` (an unverified app) so each
    turn carries the session attributes the skill really returned. For replaying over HTTP."""
    stream = Conversations(turns)
    bodies: list[bytes] = []
    for _ in range(conversations * len(turns)):
        body = encode(stream.next())
        status, reply = post(body, {})
        if status != 200:
            raise RuntimeError(f"recording failed: HTTP {status} {reply}")
        stream.absorb(reply)
        bodies.append(body)
    return bodies


def chunks(bodies: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(bodies), size):
        yield bodies[start : start + size]
