"""What a verifier remembers about certificate URLs, so a request cannot make the server fetch.

Pure and thread-safe. Every request may name any well-formed ``SignatureCertChainUrl``; each
new one would cost an outbound download holding a worker for up to the fetch timeout. So:

- verified chains are kept by normalised URL, and only verified chains live in that map: a URL
  that failed can never push the real chain out;
- a failure is remembered for ``failure_ttl_s`` per normalised URL, in a separate bounded map;
- new downloads are rationed by a token bucket per worker (``burst`` at once, then one every
  ``refill_s``); a request over the ration is refused without fetching;
- one download per URL at a time (``fetching``): when a fresh worker is sent a burst of requests,
  they wait for the first one's download and find the chain cached, rather than each spending
  the ration and the later ones being refused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

Chain = TypeVar("Chain")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a URL's chain was refused, and until when that answer stands."""

    check: str
    reason: str
    until: float


class FetchBudget:
    """A token bucket: ``burst`` fetches at once, refilled at one per ``refill_s`` seconds."""

    def __init__(self, burst: int, refill_s: float) -> None:
        self.burst = burst
        self.refill_s = refill_s
        self._tokens = float(burst)
        self._at: float | None = None

    def take(self, now: float) -> bool:
        """Spend one fetch if the budget allows it at ``now`` (call under a lock)."""
        if self._at is not None and now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at) / self.refill_s)
        self._at = now if self._at is None else max(self._at, now)
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class ChainCache(Generic[Chain]):
    """Verified chains, remembered failures and the fetch budget of one verifier."""

    def __init__(
        self,
        *,
        max_chains: int,
        max_failures: int,
        failure_ttl_s: float,
        budget: FetchBudget,
    ) -> None:
        self.max_chains = max_chains
        self.max_failures = max_failures
        self.failure_ttl_s = failure_ttl_s
        self.budget = budget
        # Values are (chain, valid_until); insertion order is age, oldest first.
        self._chains: OrderedDict[str, tuple[Chain, float]] = OrderedDict()
        self._failures: OrderedDict[str, Failure] = OrderedDict()
        self._lock = threading.Lock()
        # URL -> (its download's lock, how many requests hold or wait for it): an entry lives
        # only while someone is in ``fetching``, so the map is bounded by the worker's threads.
        self._downloads: dict[str, tuple[threading.Lock, int]] = {}

    def chain(self, url: str, now: float) -> Chain | None:
        """The verified chain for ``url`` if it is still valid at ``now``."""
        found = self._chains.get(url)  # a dict read is atomic; entries are never mutated
        return found[0] if found is not None and now < found[1] else None

    def failure(self, url: str, now: float) -> Failure | None:
        """A failure remembered for ``url`` that still stands at ``now``."""
        found = self._failures.get(url)
        return found if found is not None and now < found.until else None

    @contextmanager
    def fetching(self, url: str) -> Iterator[None]:
        """Hold ``url``'s download: a second request for it waits here, then looks again."""
        with self._lock:
            lock, users = self._downloads.get(url, (threading.Lock(), 0))
            self._downloads[url] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, users = self._downloads[url]
                if users == 1:
                    del self._downloads[url]
                else:
                    self._downloads[url] = (lock, users - 1)

    def may_fetch(self, now: float) -> bool:
        """Whether one more download fits the budget (spends it if so)."""
        with self._lock:
            return self.budget.take(now)

    def store_chain(self, url: str, chain: Chain, valid_until: float, now: float) -> None:
        with self._lock:
            self._failures.pop(url, None)
            self._chains.pop(url, None)
            if len(self._chains) >= self.max_chains:
                for stale in [u for u, (_, until) in self._chains.items() if until <= now]:
                    del self._chains[stale]
            while len(self._chains) >= self.max_chains:
                self._chains.popitem(last=False)
            self._chains[url] = (chain, valid_until)

    def store_failure(self, url: str, check: str, reason: str, now: float) -> None:
        with self._lock:
            self._failures.pop(url, None)
            if len(self._failures) >= self.max_failures:
                for stale in [u for u, f in self._failures.items() if f.until <= now]:
                    del self._failures[stale]
            while len(self._failures) >= self.max_failures:
                self._failures.popitem(last=False)
            self._failures[url] = Failure(check, reason, now + self.failure_ttl_s)

    def __len__(self) -> int:
        """How many verified chains are cached."""
        return len(self._chains)
