"""A small bounded HTTP load generator: a few processes of keep-alive ``http.client`` threads.

Bounded in time (``duration_s``) and count (``max_requests`` per thread), and it only ever
connects to 127.0.0.1. Each thread replays whole recorded conversations in order, so no two
threads drive the same person at once. With ``rate`` set, threads pace themselves to that many
requests per second in total (for the soak); otherwise they send as fast as answers come back.
"""

from __future__ import annotations

import http.client
import multiprocessing
import resource
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bench.stats import percentile

HOST = "127.0.0.1"  # loopback only, whatever the caller says
REQUEST_TIMEOUT_S = 10.0
_HEADERS = {"Content-Type": "application/json"}


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    #: Per-request latency in milliseconds (successful and failed alike).
    latencies_ms: list[float] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)
    #: CPU seconds the client processes used (to tell whether the client was the limit).
    client_cpu_s: float = 0.0
    #: p99 latency of each sequential run (see ``add_run``), in milliseconds.
    round_p99_ms: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0

    def merge(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.elapsed_s = max(self.elapsed_s, other.elapsed_s)
        self.latencies_ms += other.latencies_ms
        self.first_errors += other.first_errors[: max(0, 5 - len(self.first_errors))]
        self.client_cpu_s += other.client_cpu_s

    def add_run(self, run: LoadResult) -> None:
        """Add a run that came after the others: elapsed times add up, each keeps its p99."""
        elapsed = self.elapsed_s + run.elapsed_s
        p99s = self.round_p99_ms + (run.round_p99_ms or [_p99(run.latencies_ms)])
        self.merge(run)
        self.elapsed_s, self.round_p99_ms = elapsed, p99s


def _p99(latencies: list[float]) -> float:
    return percentile(latencies, 99) if latencies else 0.0


def _thread(
    port: int,
    conversations: list[list[bytes]],
    deadline: float,
    max_requests: int,
    interval_s: float,
    out: LoadResult,
    lock: threading.Lock,
) -> None:
    local = LoadResult()
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    bodies = [body for conversation in conversations for body in conversation]
    next_at = time.perf_counter()
    try:
        while local.requests < max_requests:
            if interval_s:
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                next_at += interval_s
            if time.monotonic() >= deadline:
                break
            body = bodies[local.requests % len(bodies)]
            started = time.perf_counter()
            try:
                conn.request("POST", "/alexa", body, _HEADERS)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                local.errors += 1
                if len(local.first_errors) < 5:
                    local.first_errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()  # reconnects on the next request
            local.latencies_ms.append((time.perf_counter() - started) * 1000)
            local.requests += 1
    finally:
        conn.close()
    with lock:
        out.merge(local)


def _process(
    port: int,
    streams: list[list[list[bytes]]],
    duration_s: float,
    max_requests: int,
    rate: float | None,
) -> LoadResult:
    """One client process: a thread per stream (a list of conversations)."""
    out, lock = LoadResult(), threading.Lock()
    before = resource.getrusage(resource.RUSAGE_SELF)
    interval = len(streams) / rate if rate else 0.0
    started = time.perf_counter()
    deadline = time.monotonic() + duration_s
    threads = [
        threading.Thread(
            target=_thread, args=(port, stream, deadline, max_requests, interval, out, lock)
        )
        for stream in streams
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + 2 * REQUEST_TIMEOUT_S)
    out.elapsed_s = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.client_cpu_s = (usage.ru_utime + usage.ru_stime) - (before.ru_utime + before.ru_stime)
    return out


def run_load(
    port: int,
    conversations: list[list[bytes]],
    *,
    duration_s: float,
    processes: int = 2,
    threads: int = 4,
    rate: float | None = None,
    max_requests: int = 1_000_000,
) -> LoadResult:
    """Load ``127.0.0.1:port`` POST /alexa for ``duration_s``; ``rate`` is requests/s in total."""
    streams = processes * threads
    if len(conversations) < streams:
        raise ValueError(f"need at least {streams} conversations, got {len(conversations)}")
    # Conversation k goes to stream k mod streams: each person is driven by one thread only.
    per_stream = [conversations[k::streams] for k in range(streams)]
    per_process = [per_stream[p * threads : (p + 1) * threads] for p in range(processes)]
    total = LoadResult()
    # spawn: no forking of a parent that may hold threads or open sockets.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        futures = [
            pool.submit(
                _process,
                port,
                chunk,
                duration_s,
                max_requests,
                rate / processes if rate else None,
            )
            for chunk in per_process
        ]
        for future in futures:
            total.merge(future.result(timeout=duration_s + 60))
    return total
