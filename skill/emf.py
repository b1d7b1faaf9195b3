"""The skill's counts (``skill.metrics``) on Lambda, as CloudWatch Embedded Metric Format lines.

Each invocation's counts are printed to stdout once it is answered, one JSON document per metric
and label set, in the documented EMF shape (Amazon CloudWatch User Guide, "Specification:
Embedded metric format"); CloudWatch Logs turns them into metrics in the ``WorkoutPlanner``
namespace with no API calls. Names and labels are the Prometheus ones (without the
``workout_planner_`` prefix and ``_total`` suffix): labels become dimensions.

The documented JSON is written here rather than through the aws-embedded-metrics library, whose
flush is asynchronous (an event loop per invocation) and which would be one more dependency
in the bundle for a few lines of JSON.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from skill import metrics
from skill.metrics import Metric

NAMESPACE = "WorkoutPlanner"
#: EMF allows at most 100 values for one metric in one document.
_MAX_VALUES = 100

_Key = tuple[str, tuple[tuple[str, str], ...]]


class EmfMetrics:
    """A ``skill.metrics.Recorder`` that holds one invocation's counts until ``flush``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.time,
        namespace: str = NAMESPACE,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self.namespace = namespace
        self._counts: dict[_Key, int] = {}
        self._values: dict[_Key, list[float]] = {}

    def count(self, metric: Metric, labels: Mapping[str, str], amount: int = 1) -> None:
        key = (metric.name, tuple(labels.items()))
        self._counts[key] = self._counts.get(key, 0) + amount

    def observe(self, metric: Metric, labels: Mapping[str, str], value: float) -> None:
        self._values.setdefault((metric.name, tuple(labels.items())), []).append(value)

    def documents(self) -> list[dict[str, Any]]:
        """The EMF documents for what was counted since the last flush."""
        stamp = int(self._clock() * 1000)
        found: list[dict[str, Any]] = []
        for (name, labels), total in self._counts.items():
            found.append(self._document(stamp, name, labels, total, "Count"))
        for (name, labels), values in self._values.items():
            for start in range(0, len(values), _MAX_VALUES):
                chunk = values[start : start + _MAX_VALUES]
                found.append(self._document(stamp, name, labels, chunk, "Seconds"))
        return found

    def _document(
        self, stamp: int, name: str, labels: tuple[tuple[str, str], ...], value: Any, unit: str
    ) -> dict[str, Any]:
        directive = {
            "Namespace": self.namespace,
            "Dimensions": [[key for key, _ in labels]],
            "Metrics": [{"Name": name, "Unit": unit}],
        }
        return {
            "_aws": {"Timestamp": stamp, "CloudWatchMetrics": [directive]},
            **dict(labels),
            name: value,
        }

    def flush(self) -> None:
        """Print the pending documents, one per line, and start afresh."""
        out = self._stream or sys.stdout
        for document in self.documents():
            out.write(json.dumps(document, separators=(",", ":")) + "\n")
        out.flush()
        self._counts.clear()
        self._values.clear()


def install_emf(stream: TextIO | None = None) -> EmfMetrics:
    recorder = EmfMetrics(stream)
    metrics.install(recorder)
    return recorder


def answer(
    recorder: EmfMetrics,
    invoke: Callable[[dict[str, Any]], dict[str, Any]],
    event: dict[str, Any],
) -> dict[str, Any]:
    """``invoke(event)``, counted (request type, outcome, latency) and flushed as EMF."""
    started = time.perf_counter()
    outcome = "error"
    try:
        result = invoke(event)
        outcome = "ok"
        return result
    finally:
        request = event.get("request") if isinstance(event, dict) else None
        kind = request.get("type") if isinstance(request, dict) else None
        metrics.request_answered(kind, outcome, time.perf_counter() - started)
        recorder.flush()
