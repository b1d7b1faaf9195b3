"""The skill's counts (``skill.metrics``) in the Prometheus text format, at ``GET /metrics``.

Under ``workout-planner serve`` every gunicorn worker writes its counts to files in
``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes a fresh one and removes it at exit), and
``/metrics`` sums them, so one scrape sees all workers whichever worker answers it. Without
that variable (tests, ``flask run``) the counts are this process's own.

``/metrics`` is for the operator's scraper, not the internet: the reverse proxy never forwards it
(deploy/nginx keeps to /alexa, /audio and /healthz), and a request that came through a proxy
(it carries ``X-Forwarded-For`` or ``Forwarded``) gets a 404 here too, should a proxy forward
everything by mistake.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from skill import metrics
from skill.metrics import ALL, Metric

#: prometheus_client's own switch for multiprocess mode; set before it is first imported.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "workout_planner_"
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")

bp = Blueprint("metrics", __name__)
log = logging.getLogger("skill.web.metrics")


class PrometheusMetrics:
    """A ``skill.metrics.Recorder`` backed by prometheus_client counters and a histogram."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self._series: dict[str, Any] = {}
        #: (metric, label values) -> its child: ``labels()`` validates and locks on every call.
        self._children: dict[tuple[str, tuple[str, ...]], Any] = {}
        for metric in ALL:
            name, labels = PREFIX + metric.name, metric.labels
            if metric.buckets:
                self._series[metric.name] = Histogram(
                    name, metric.help, labels, registry=self.registry, buckets=metric.buckets
                )
            else:
                self._series[metric.name] = Counter(
                    name, metric.help, labels, registry=self.registry
                )

    def _child(self, metric: Metric, labels: Mapping[str, str]) -> Any:
        key = (metric.name, tuple(labels[name] for name in metric.labels))
        child = self._children.get(key)
        if child is None:
            series = self._series[metric.name]
            # Label values come from closed sets (skill.metrics), so this stays small.
            child = self._children[key] = series.labels(**labels) if metric.labels else series
        return child

    def count(self, metric: Metric, labels: Mapping[str, str], amount: int = 1) -> None:
        try:
            self._child(metric, labels).inc(amount)
        except OSError as exc:  # the multiprocess files are gone: a count lost, never a reply
            log.warning("metric not recorded", extra={"metric": metric.name, "error": str(exc)})

    def observe(self, metric: Metric, labels: Mapping[str, str], value: float) -> None:
        try:
            self._child(metric, labels).observe(value)
        except OSError as exc:
            log.warning("metric not recorded", extra={"metric": metric.name, "error": str(exc)})

    def exposition(self) -> tuple[bytes, str]:
        """(the text a scrape gets, its content type): every worker's counts when multiprocess."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        registry = self.registry
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST


_installed: PrometheusMetrics | None = None
_lock = threading.Lock()


def install_prometheus() -> PrometheusMetrics:
    """The process's Prometheus recorder (made once), installed as its exporter."""
    global _installed
    with _lock:
        if _installed is None:
            _installed = PrometheusMetrics()
        metrics.install(_installed)  # again: another exporter may have been installed since
        return _installed


def prepare_multiprocess_dir(path: Path) -> None:
    """Point prometheus_client at ``path`` for this process and the workers it forks, emptied of
    a previous run's files (counts restart with the service, as Prometheus expects)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: let the collector forget a dead worker's live gauges."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


@bp.get("/metrics")
def metrics_view() -> Response:
    if any(request.headers.get(name) for name in _PROXY_HEADERS):
        raise NotFound()  # came through the public proxy: not for the internet
    body, content_type = install_prometheus().exposition()
    response = Response(body, 200, content_type=content_type)
    response.cache_control.no_store = True
    return response
