"""What each request read from a store, so its save can tell whether someone wrote in between.

Both stores use optimistic concurrency: a read remembers the record's revision and its text, and
the request's save is conditional on that revision. This bounded map pairs the two by the Alexa
request id (ask-sdk gives a persistence adapter the request envelope, nothing else).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Attributes = Mapping[str, object]
#: ``merge(base, theirs, mine)``: what this request read, what is stored now, what it writes.
MergeHook = Callable[[Attributes, Attributes, Attributes], Attributes]


@dataclass(frozen=True)
class StoredRead:
    """One record as a request read it (or as its own last write left it)."""

    revision: int | None  # None: there was no record
    text: str  # the attributes as read (JSON), so later mutation by the handler cannot leak in
    reliable: bool = True  # False when the read failed: any stored record must be merged with
    #: False after a merged write: ``text`` is this request's own view, no longer what is
    #: stored, so its next save must merge again rather than overwrite the merge.
    current: bool = True
    #: Requests already applied to the record (key, expiry), where the store keeps them in it.
    applied: tuple[tuple[str, float], ...] = ()


class RequestReads:
    """A small bounded, thread-safe map of (request id, record key) -> what that request read."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, str], StoredRead] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, rid: str | None, key: str, read: StoredRead) -> None:
        if rid is None:
            return
        with self._lock:
            self._items[(rid, key)] = read
            self._items.move_to_end((rid, key))
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def get(self, rid: str | None, key: str) -> StoredRead | None:
        if rid is None:
            return None
        with self._lock:
            return self._items.get((rid, key))


def encode_attributes(attributes: Attributes) -> str:
    """The canonical JSON text of a record (sorted keys, compact); NaN and non-JSON raise."""
    return json.dumps(dict(attributes), sort_keys=True, separators=(",", ":"), allow_nan=False)
