"""Running the same work in several threads at once, with their failures brought back."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(work: Callable[[], object], count: int) -> list[BaseException]:
    """Run ``work`` in ``count`` threads and wait for all; what any of them raised, in a list."""
    failures: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as exc:  # surfaced to the test's own thread by the caller
            failures.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures
