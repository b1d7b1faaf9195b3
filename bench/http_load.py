"""HTTP throughput: ``workout-planner serve`` against the hello world under gunicorn.

Both with two sync workers and the same gunicorn settings, both without signature checks
(a real Alexa signature cannot be made for a server that trusts only Amazon's roots), both
still checking the skill id. Requests are whole conversations recorded in-process first, so the
project sees the same realistic mix as in the warm benchmark.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import servers, wrk
from bench.hello_world import create_hello_app
from bench.load import LoadResult, run_load
from bench.report import Check, Row
from bench.workload import HELLO_TURNS, PROJECT_TURNS, Turn, chunks, record
from skill.settings import Settings
from skill.web.flask_app import create_app
from tests.support.test_ca import SKILL_ID

TARGET = Check("ratio>=", 0.8)
PROCESSES, THREADS = 2, 4
CONNECTIONS = PROCESSES * THREADS
CONVERSATIONS = 64


@dataclass
class HttpResult:
    using: str = "python"
    project: LoadResult = field(default_factory=LoadResult)
    #: ``serve`` without --db: the skill's own throughput, apart from the durable writes.
    no_store: LoadResult = field(default_factory=LoadResult)
    hello: LoadResult = field(default_factory=LoadResult)
    project_log_errors: list[str] = field(default_factory=list)
    hello_log_errors: list[str] = field(default_factory=list)


def _poster(app: Any) -> Callable[[bytes, dict[str, str]], tuple[int, dict[str, Any]]]:
    client = app.test_client()

    def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        response = client.post(
            "/alexa", data=body, headers=headers, content_type="application/json"
        )
        return response.status_code, response.get_json(silent=True) or {}

    return post


def recorded(side: str, tmp: Path, conversations: int = CONVERSATIONS) -> list[list[bytes]]:
    """Conversations for ``side`` ("project" or "hello"), played once in-process to record
    real session attributes."""
    turns: tuple[Turn, ...]
    if side == "project":
        settings = Settings(skill_id=SKILL_ID, verify_signatures=False, db_path=tmp / "rec.db")
        web_log = logging.getLogger("skill.web")
        level, web_log.level = web_log.level, logging.ERROR  # its "checks are OFF" warning
        try:
            app = create_app({"SETTINGS": settings})
        finally:
            web_log.setLevel(level)
        turns = PROJECT_TURNS
    else:
        app, turns = create_hello_app(verify=False), HELLO_TURNS
    return list(chunks(record(_poster(app), turns, conversations), len(turns)))


@contextlib.contextmanager
def project_server(tmp: Path, *, store: bool = True) -> Iterator[servers.Server]:
    port = servers.free_port()
    name = "project" if store else "no_store"
    command = servers.project_command(port, tmp / "serve.sqlite3" if store else None)
    with servers.running(name, command, port, tmp / f"{name}.log") as server:
        yield server


@contextlib.contextmanager
def hello_server(tmp: Path) -> Iterator[servers.Server]:
    port = servers.free_port()
    with servers.running("hello", servers.hello_command(port), port, tmp / "hello.log") as server:
        yield server


def generator(choice: str = "auto") -> str:
    """ "wrk" when asked for or (``auto``) installed, else "python"."""
    if choice == "auto":
        return "wrk" if wrk.available() else "python"
    return choice


def load(
    server: servers.Server, bodies: list[list[bytes]], duration_s: float, using: str = "python"
) -> LoadResult:
    if using == "wrk":
        return wrk.run_wrk(server.port, bodies, duration_s=duration_s, connections=CONNECTIONS)
    return run_load(
        server.port, bodies, duration_s=duration_s, processes=PROCESSES, threads=THREADS
    )


def measure_http(
    duration_s: float,
    rounds: int,
    *,
    using: str = "auto",
    log: Callable[[str], None] = lambda _: None,
) -> HttpResult:
    """``rounds`` alternating runs of ``duration_s`` seconds each, after a short warm-up."""
    result = HttpResult(using=generator(using))
    with tempfile.TemporaryDirectory(prefix="bench-http-") as name:
        tmp = Path(name)
        project_bodies = recorded("project", tmp)
        bodies = {"project": project_bodies, "no_store": project_bodies}
        bodies["hello"] = recorded("hello", tmp)
        with (
            project_server(tmp) as project,
            project_server(tmp, store=False) as no_store,
            hello_server(tmp) as hello,
        ):
            sides = [(project, result.project), (no_store, result.no_store)]
            sides.append((hello, result.hello))
            for server, _ in sides:
                # Warm-up, not counted.
                load(server, bodies[server.name], min(2.0, duration_s), result.using)
            for index in range(rounds):
                for server, into in sides if index % 2 == 0 else reversed(sides):
                    run = load(server, bodies[server.name], duration_s, result.using)
                    log(f"http: {server.name} round {index + 1}: {run.rps:,.0f} req/s")
                    into.add_run(run)
        result.project_log_errors = servers.error_lines(tmp / "project.log")
        result.hello_log_errors = servers.error_lines(tmp / "hello.log")
    return result


def rows(result: HttpResult) -> list[Row]:
    project, hello = result.project, result.hello
    p99 = [statistics.median(r.round_p99_ms) if r.round_p99_ms else None for r in (project, hello)]
    errors = project.errors + hello.errors + len(result.project_log_errors)
    if result.using == "wrk":
        client = f"wrk, 2 threads, {CONNECTIONS} connections"
    else:
        client = (
            f"python load generator ({PROCESSES} processes x {THREADS} threads, client CPU "
            f"{_cpu_share(project):.0%} / {_cpu_share(hello):.0%} of one core)"
        )
    note = (
        f"{client}; {project.requests:,} project / {hello.requests:,} hello requests, "
        f"{errors} errors; p99 is the median of the rounds' p99"
    )
    if project.first_errors or result.project_log_errors:
        note += f"; first error: {(project.first_errors + result.project_log_errors)[0][:200]}"
    return [
        Row(
            "HTTP throughput",
            "rps",
            project.rps,
            hello.rps,
            check=TARGET,
            ok=errors == 0,
            notes=[note],
        ),
        Row("HTTP latency, p99", "ms", p99[0], p99[1]),
        Row(
            "HTTP throughput without the store",
            "rps",
            result.no_store.rps,
            hello.rps,
            notes=["`serve` without --db: the difference from the first row is the store"],
        ),
    ]


def _cpu_share(result: LoadResult) -> float:
    return result.client_cpu_s / result.elapsed_s if result.elapsed_s else 0.0
