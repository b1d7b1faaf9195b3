"""Warm requests in-process, through Flask's test client, with signature verification on."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from bench.hello_world import create_hello_app
from bench.report import Check, Row
from bench.stats import Summary
from bench.workload import HELLO_TURNS, PROJECT_TURNS, Conversations, signed
from skill.settings import Settings
from skill.web.flask_app import create_app
from tests.support.test_ca import SKILL_ID, FakeAlexaPKI, fake_alexa_pki

TARGET = Check("ratio<=", 1.3)


#: The skill's own cost, without its store: no slower than the hello world (issue #13).
NO_STORE_TARGET = Check("ratio<=", 1.0)


@dataclass
class WarmResult:
    """Per-request times in microseconds."""

    project: list[float] = field(default_factory=list)
    #: The same mix without the store: the skill's own cost, apart from the durable writes.
    no_store: list[float] = field(default_factory=list)
    hello: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def project_app(pki: FakeAlexaPKI, db_path: Path | None) -> Flask:
    settings = Settings(skill_id=SKILL_ID, db_path=db_path)
    return create_app({"SETTINGS": settings, "TRUST_STORE": pki.store(), "CERT_FETCH": pki.fetch})


def hello_app(pki: FakeAlexaPKI) -> Flask:
    return create_hello_app(trust_store=pki.store(), fetch=pki.fetch)


class _Side:
    """One app and its conversation stream; ``run`` times ``count`` signed requests."""

    def __init__(self, app: Flask, stream: Conversations, pki: FakeAlexaPKI) -> None:
        self.client: FlaskClient = app.test_client()
        self.stream = stream
        self.pki = pki

    def run(self, count: int, into: list[float], errors: list[str], bodies: list[str]) -> None:
        for _ in range(count):
            body, headers = signed(self.pki, self.stream.next())  # signing is not timed
            started = time.perf_counter_ns()
            response = self.client.post(
                "/alexa", data=body, headers=headers, content_type="application/json"
            )
            elapsed = time.perf_counter_ns() - started
            reply: dict[str, Any] = response.get_json(silent=True) or {}
            if response.status_code != 200:
                errors.append(f"HTTP {response.status_code}: {reply.get('error')}")
            into.append(elapsed / 1000)
            self.stream.absorb(reply)
            bodies.append(body.decode())


def _floor(bodies: list[str], into: list[float]) -> None:
    loads, dumps, clock = json.loads, json.dumps, time.perf_counter_ns
    for text in bodies:
        started = clock()
        dumps(loads(text))
        into.append((clock() - started) / 1000)


def measure_warm(
    requests: int,
    *,
    db_dir: Path | None = None,
    rounds: int = 10,
    time_limit_s: float = 300.0,
    log: Callable[[str], None] = lambda _: None,
) -> WarmResult:
    """About ``requests`` timed requests per side, in alternating rounds, within a time limit."""
    pki = fake_alexa_pki()
    result = WarmResult()
    with tempfile.TemporaryDirectory(prefix="bench-warm-", dir=db_dir) as tmp:
        db = Path(tmp) / "progress.sqlite3"
        project = _Side(project_app(pki, db), _stream(PROJECT_TURNS), pki)
        no_store = _Side(project_app(pki, None), _stream(PROJECT_TURNS), pki)
        hello = _Side(hello_app(pki), _stream(HELLO_TURNS), pki)
        # Not timed: the first request of each fetches and verifies the chain, fills caches.
        for side, turns in (
            (project, PROJECT_TURNS),
            (no_store, PROJECT_TURNS),
            (hello, HELLO_TURNS),
        ):
            side.run(len(turns), [], result.errors, [])
        per_round = max(1, requests // rounds)
        deadline = time.monotonic() + time_limit_s
        for index in range(rounds):
            if time.monotonic() > deadline:
                log(f"warm: time limit reached after {index} rounds")
                break
            bodies: list[str] = []
            sides = [(project, result.project), (no_store, result.no_store), (hello, result.hello)]
            for side, into in sides if index % 2 == 0 else reversed(sides):
                side.run(per_round, into, result.errors, bodies if side is project else [])
            _floor(bodies, result.floor)
    return result


def _stream(turns: Any) -> Conversations:
    return Conversations(turns, SKILL_ID)


def rows(result: WarmResult) -> list[Row]:
    project, hello = Summary.of(result.project), Summary.of(result.hello)
    floor = Summary.of(result.floor)
    errors = len(result.errors)
    notes = [
        f"{project.count} project and {hello.count} hello-world requests; "
        f"{errors} non-200 answers" + (f" (first: {result.errors[0]})" if errors else "")
    ]
    return [
        Row(
            "warm request, median",
            "us",
            project.median,
            hello.median,
            floor.median,
            check=TARGET,
            ok=errors == 0,
            notes=notes,
        ),
        Row("warm request, p99", "us", project.p99, hello.p99, floor.p99),
        Row(
            "warm request without the store, median",
            "us",
            Summary.of(result.no_store).median,
            hello.median,
            floor.median,
            check=NO_STORE_TARGET,
            notes=[
                "the same mix with no persistence adapter: the skill's own cost; the "
                "difference from the first row is the store, whose writes are fsynced "
                "(synchronous=FULL) before the response is sent"
            ],
        ),
    ]
