"""Cold start: a fresh ``python -c`` process from spawn to its first response.

The child imports the app, creates it, and sends one signed LaunchRequest through Flask's test
client. The test CA is made here, in the parent (key generation is not the app's cost): the
child gets the root and chain as PEM and a freshly signed body in a JSON file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from bench.bytecode import compile_repository
from bench.report import Check, Row
from bench.stats import Summary
from bench.workload import HELLO_TURNS, PROJECT_TURNS, Conversations, signed
from tests.support.test_ca import SKILL_ID, fake_alexa_pki

TARGET = Check("ratio<=", 1.2)
REPO = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 60.0

# Both children build the same trust store from the same PEM; only the app differs.
_PRELUDE = """\
import json, sys, time
t0 = time.perf_counter()
{imports}
from cryptography import x509
from cryptography.x509.verification import Store
t1 = time.perf_counter()
spec = json.load(open(sys.argv[1]))
store = Store(x509.load_pem_x509_certificates(spec["root"].encode()))
chain = spec["chain"].encode()
app = {create}
t2 = time.perf_counter()
r = app.test_client().post("/alexa", data=spec["body"].encode(), headers=spec["headers"],
                           content_type="application/json")
t3 = time.perf_counter()
assert r.status_code == 200, (r.status_code, r.get_data())
print(json.dumps([t0, t1, t2, t3]))
"""
PROJECT_CHILD = _PRELUDE.format(
    imports="from pathlib import Path\nfrom skill.settings import Settings\n"
    "from skill.web.flask_app import create_app",
    create='create_app({"SETTINGS": Settings(skill_id=spec["skill_id"], '
    'db_path=Path(spec["db"])), "TRUST_STORE": store, "CERT_FETCH": lambda url: chain})',
)
HELLO_CHILD = _PRELUDE.format(
    imports="from bench.hello_world import create_hello_app",
    create="create_hello_app(skill_id=spec['skill_id'], trust_store=store, "
    "fetch=lambda url: chain)",
)


@dataclass
class ColdResult:
    """Seconds from spawn to first response, and the child's own split of it."""

    project: list[float] = field(default_factory=list)
    hello: list[float] = field(default_factory=list)
    #: side -> list of (interpreter start, imports, create app, first request) in seconds.
    phases: dict[str, list[tuple[float, float, float, float]]] = field(default_factory=dict)


def run_child(code: str, spec: Mapping[str, object], spec_path: Path) -> tuple[float, tuple]:
    spec_path.write_text(json.dumps(spec))
    started = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the child's on Linux
    done = subprocess.run(
        [sys.executable, "-c", code, str(spec_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed:\n{done.stderr[-2000:]}")
    t0, t1, t2, t3 = json.loads(done.stdout.strip().splitlines()[-1])
    return t3 - started, (t0 - started, t1 - t0, t2 - t1, t3 - t2)


def measure_cold(
    runs: int, *, time_limit_s: float = 300.0, log: Callable[[str], None] = lambda _: None
) -> ColdResult:
    compile_repository()  # what run 0 warms, even where the children may not write bytecode
    pki = fake_alexa_pki()
    root = pki.root.public_bytes(Encoding.PEM).decode()
    chain = pki.chains["good"].decode()
    result = ColdResult(phases={"project": [], "hello": []})
    deadline = time.monotonic() + time_limit_s
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        db = str(Path(tmp) / "progress.sqlite3")
        sides = [
            ("project", PROJECT_CHILD, PROJECT_TURNS, result.project),
            ("hello", HELLO_CHILD, HELLO_TURNS, result.hello),
        ]
        # Run 0 is a warm-up for each (bytecode caches, page cache, the database file).
        for index in range(runs + 1):
            if time.monotonic() > deadline:
                log(f"cold: time limit reached after {index} runs")
                break
            for name, code, turns, into in sides if index % 2 == 0 else reversed(sides):
                body, headers = signed(pki, Conversations(turns).next())
                spec = {"root": root, "chain": chain, "body": body.decode(), "headers": headers}
                spec.update(skill_id=SKILL_ID, db=db)
                total, phases = run_child(code, spec, spec_path)
                if index > 0:
                    into.append(total)
                    result.phases[name].append(phases)
    return result


def rows(result: ColdResult) -> list[Row]:
    project, hello = Summary.of(result.project), Summary.of(result.hello)
    notes = [
        f"{project.count} runs each; median phases (interpreter, imports, create_app, "
        "first request):"
    ]
    for side in ("project", "hello"):
        columns = list(zip(*result.phases[side], strict=True))
        medians = [Summary.of(col).median * 1000 for col in columns]
        notes.append(f"{side}: " + ", ".join(f"{m:.0f} ms" for m in medians))
    return [
        Row(
            "cold start, median",
            "ms",
            project.median * 1000,
            hello.median * 1000,
            check=TARGET,
            notes=[" ".join(notes[:1]) + " " + "; ".join(notes[1:])],
        ),
    ]
