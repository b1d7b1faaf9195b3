"""Soak: ``serve`` at about 80% of its measured capacity; no errors, flat worker memory."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import http_load, servers
from bench.load import LoadResult, run_load
from bench.report import Check, Row
from bench.stats import slope

LOAD_SHARE = 0.8
#: Worker growth over the soak (after its warm-up) that still counts as flat.
MAX_GROWTH_MIB = 2.0
TARGET = Check("<=", MAX_GROWTH_MIB)
# More threads than the throughput run: a paced thread waiting on a slow answer misses its
# slots, so spare threads keep the rate without adding load.
SOAK_THREADS = 8


@dataclass
class SoakResult:
    duration_s: float
    capacity_rps: float
    target_rps: float
    load: LoadResult = field(default_factory=LoadResult)
    #: (seconds since load start, {worker pid: RSS MiB}) every ``interval``.
    samples: list[tuple[float, dict[int, float]]] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    workers_changed: bool = False

    def series(self, pid: int, since: float = 0.0) -> tuple[list[float], list[float]]:
        points = [(t, rss[pid]) for t, rss in self.samples if pid in rss and t >= since]
        return [t for t, _ in points], [mib for _, mib in points]


def measure_soak(
    duration_s: float,
    *,
    probe_s: float = 5.0,
    interval_s: float = 5.0,
    log: Callable[[str], None] = lambda _: None,
) -> SoakResult:
    """Run the soak against a fresh server. Its capacity is probed first with the same Python
    generator that drives the soak (wrk cannot pace), since that client's CPU is part of what
    the two cores can do."""
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as name:
        tmp = Path(name)
        bodies = http_load.recorded("project", tmp)
        with http_load.project_server(tmp) as server:
            capacity_rps = http_load.load(server, bodies, probe_s, "python").rps
            log(f"soak: measured capacity {capacity_rps:,.0f} req/s")
            result = SoakResult(duration_s, capacity_rps, capacity_rps * LOAD_SHARE)
            log(f"soak: {result.target_rps:,.0f} req/s for {duration_s:.0f} s")
            _run(server, bodies, result, interval_s)
        result.log_errors = servers.error_lines(tmp / "project.log")
    return result


def _run(
    server: servers.Server, bodies: list[list[bytes]], result: SoakResult, interval_s: float
) -> None:
    workers = server.workers()
    done = threading.Event()

    def drive() -> None:
        try:
            result.load = run_load(
                server.port,
                bodies,
                duration_s=result.duration_s,
                rate=result.target_rps,
                threads=SOAK_THREADS,
            )
        finally:
            done.set()

    started = time.monotonic()
    driver = threading.Thread(target=drive, name="soak-load")
    driver.start()
    # Bounded: the load stops itself after duration_s; the wait allows for its shutdown.
    deadline = started + result.duration_s + 90
    while time.monotonic() < deadline:
        now = server.workers()
        if sorted(now) != sorted(workers):
            result.workers_changed = True
        rss = {pid: mib for pid in workers if (mib := servers.rss_mib(pid)) is not None}
        result.samples.append((time.monotonic() - started, rss))
        if done.wait(interval_s):
            break
    rss = {pid: mib for pid in workers if (mib := servers.rss_mib(pid)) is not None}
    result.samples.append((time.monotonic() - started, rss))
    driver.join(timeout=5)


def rows(result: SoakResult) -> list[Row]:
    load = result.load
    errors = load.errors + len(result.log_errors)
    # Memory is judged after a warm-up of a tenth of the run (caches filling is not a leak).
    since = result.duration_s * 0.1
    growths, slopes, ends = [], [], []
    for pid in sorted({pid for _, rss in result.samples for pid in rss}):
        times, mib = result.series(pid, since)
        if len(mib) >= 2:
            growths.append(mib[-1] - mib[0])
            slopes.append(slope(times, mib) * 60)
            ends.append(f"{mib[0]:.1f} → {mib[-1]:.1f} MiB")
    detail = (
        f"{load.requests:,} requests in {load.elapsed_s:.0f} s = {load.rps:,.0f} req/s "
        f"(asked {result.target_rps:,.0f} = {LOAD_SHARE:.0%} of {result.capacity_rps:,.0f}); "
        f"{load.errors} client errors, {len(result.log_errors)} error lines in the log"
    )
    if load.first_errors or result.log_errors:
        detail += f"; first: {(load.first_errors + result.log_errors)[0][:200]}"
    memory = (
        f"worker RSS after warm-up → end: {', '.join(ends) or 'no samples'}; slope "
        + ", ".join(f"{s:+.2f} MiB/min" for s in slopes)
    )
    if result.workers_changed:
        memory += "; WORKERS CHANGED during the soak (one died or was restarted)"
    return [
        Row(
            f"soak {result.duration_s:.0f} s, errors",
            "",
            float(errors),
            ok=errors == 0 and not result.workers_changed,
            notes=[detail],
        ),
        Row(
            "soak, worker RSS growth (max)",
            "MiB",
            max(growths) if growths else None,
            check=TARGET,
            notes=[memory],
        ),
    ]
