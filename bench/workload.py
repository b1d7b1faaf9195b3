"""The requests the benchmarks send: conversations for the project and for the hello world.

Envelopes come from ``skill.envelopes.AlexaSession`` (what Alexa sends); signatures from the
test CA in ``tests.support.test_ca`` (no network). The project's conversations are whole
routines by a pool of :data:`PEOPLE` people who come back, the way the skill is used: after
their first visit, each session is a returning one (the first visit's own writes are counted
in the "durable writes per whole routine" rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.hello_world import HELLO_INTENT
from skill.envelopes import AlexaSession, SlotValue
from tests.support.test_ca import SKILL_ID, FakeAlexaPKI, encode

#: (intent or "launch", slots[, the state it answers: sent only when the skill is in it]).
Turn = tuple[str, dict[str, SlotValue]] | tuple[str, dict[str, SlotValue], str]

#: A whole routine: open the skill, start the routine (answering the one-time screening
#: question when it is asked), every step with a "repeat" and a question on the way, finish,
#: and leave.
PROJECT_TURNS: tuple[Turn, ...] = (
    ("launch", {}),
    ("StartRoutineIntent", {"routine": ("upper back", "upper_back")}),
    ("AMAZON.NoIntent", {}, "screening"),
    ("AMAZON.NextIntent", {}),
    ("AMAZON.RepeatIntent", {}),
    ("AMAZON.NextIntent", {}),
    ("FaqIntent", {"topic": ("is it safe to crack my back", "crack_safety")}),
    ("AMAZON.NextIntent", {}),
    ("AMAZON.NextIntent", {}),
    ("AMAZON.NextIntent", {}),
    ("AMAZON.NextIntent", {}),
    ("AMAZON.StopIntent", {}),
)
HELLO_TURNS: tuple[Turn, ...] = (("launch", {}), (HELLO_INTENT, {}))
#: How many people share the project's conversations (each comes back after the others).
PEOPLE = 20


def envelope(session: AlexaSession, turn: Turn) -> dict[str, Any]:
    name, slots = turn[0], turn[1]
    return session.launch() if name == "launch" else session.intent(name, **slots)


@dataclass
class Conversations:
    """An endless stream of envelopes: ``turns`` over and over, by ``people`` people in turn."""

    turns: tuple[Turn, ...]
    skill_id: str = SKILL_ID
    people: int = PEOPLE

    def __post_init__(self) -> None:
        self._pool = [AlexaSession(skill_id=self.skill_id) for _ in range(self.people)]
        self._conversation = -1
        self._session = self._pool[0]
        self._index = 0
        self._state: str | None = None

    def next(self) -> dict[str, Any]:
        while True:
            if self._index == 0:
                self._conversation += 1
                self._session = self._pool[self._conversation % self.people]
                self._session.restart()
            turn = self.turns[self._index]
            self._index = (self._index + 1) % len(self.turns)
            if len(turn) < 3 or turn[2] == self._state:  # type: ignore[misc]
                return envelope(self._session, turn)

    def absorb(self, response: dict[str, Any]) -> None:
        self._session.absorb(response)
        attributes = response.get("sessionAttributes") or {}
        self._state = (attributes.get("workoutPlanner") or {}).get("state")


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
