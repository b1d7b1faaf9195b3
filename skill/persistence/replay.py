"""Replays count once: what a store records with a durable write, so that the same signed
request, sent again while its timestamp still passes verification, changes nothing.

Alexa signs a request, not a moment: anyone holding a captured request can send it again for
as long as the verifier accepts its timestamp (150 s; an hour for skill events). A store keeps
the request's key with each write, in the same transaction (SQLite) or the same conditional
write (DynamoDB), for that long; a write whose request was already applied raises
:class:`Replay` and the store leaves everything as it was. Requests that write nothing record
nothing, so the hot path gains no write.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

#: The verifier's timestamp tolerances (skill.web.verify), which bound how long a replay works.
REPLAY_WINDOW_S = 150.0
SKILL_EVENT_REPLAY_WINDOW_S = 3600.0
_REQUEST_SALT = b"workout-planner/request-key/v1\x00"


@dataclass(frozen=True)
class AppliedRequest:
    """What a store keeps with a durable write so that the same request never applies twice."""

    key: str  # salted SHA-256 of the request id: bounded, and any odd id encodes
    expires_at: float  # epoch seconds after which no replay of it can pass verification


class Replay(Exception):
    """The request was applied before: the store changes nothing."""


def applied_request(
    rid: str | None, *, skill_event: bool = False, now: float | None = None
) -> AppliedRequest | None:
    """The replay record for request id ``rid`` (None without an id).

    A replay passes verification while its timestamp is within one window of the clock, and a
    timestamp can itself be up to one window ahead of now: two windows from now cover both.
    """
    if not rid:
        return None
    window = SKILL_EVENT_REPLAY_WINDOW_S if skill_event else REPLAY_WINDOW_S
    digest = hashlib.sha256(_REQUEST_SALT + rid.encode("utf-8", "surrogatepass")).hexdigest()
    return AppliedRequest(digest, (time.time() if now is None else now) + 2 * window)


class AppliedBy:
    """The request envelopes (this process) whose write is already recorded as applied.

    A request may save more than once; only a new envelope carrying the same id (a replay)
    must be refused. Envelopes are not hashable, so they are kept by id with a weak reference.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[int, weakref.ref[object]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, envelope: object) -> None:
        with self._lock:
            self._items[id(envelope)] = weakref.ref(envelope)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __contains__(self, envelope: object) -> bool:
        with self._lock:
            found = self._items.get(id(envelope))
        return found is not None and found() is envelope
