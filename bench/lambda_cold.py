"""Lambda cold start: a fresh process importing the handler module (which builds the skill and
its DynamoDB adapter) and answering one LaunchRequest, beside a hello world using ask-sdk's own
DynamoDbAdapter (``bench/hello_lambda.py``), alternately, in the same run.

Both talk to the same stub DynamoDB endpoint over loopback HTTP (``AWS_ENDPOINT_URL_DYNAMODB``):
a real boto3 round trip each, with no network beyond this machine and no moto in the children
(importing moto would dwarf what is measured).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.bytecode import compile_repository
from bench.report import Check, Row
from bench.stats import Summary
from skill.envelopes import AlexaSession
from tests.support.test_ca import SKILL_ID

TARGET = Check("ratio<=", 1.2)
REPO = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 60.0
TABLE = "bench-progress"

_CHILD = """\
import json, sys, time
t0 = time.perf_counter()
from {module} import handler
t1 = time.perf_counter()
reply = handler(json.load(open(sys.argv[1])), None)
t2 = time.perf_counter()
assert reply["response"]["outputSpeech"], reply
print(json.dumps([t0, t1, t2]))
"""
SIDES = {"project": "skill.lambda_handler", "hello": "bench.hello_lambda"}


class _StubDynamoDB(BaseHTTPRequestHandler):
    """DynamoDB's JSON protocol, just enough: no item is ever found, every write succeeds."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"{}"  # GetItem without an item, PutItem, UpdateItem, DeleteItem
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@dataclass
class LambdaColdResult:
    project: list[float] = field(default_factory=list)
    hello: list[float] = field(default_factory=list)
    #: side -> (interpreter start, import and build, first invocation) per run, in seconds.
    phases: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)


def _child_env(endpoint: str) -> dict[str, str]:
    ours = ("WORKOUT_PLANNER_STORE", "WORKOUT_PLANNER_DB", "AUDIO_BASE_URL", "AWS_PROFILE")
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update(
        ALEXA_SKILL_ID=SKILL_ID,
        DYNAMODB_TABLE=TABLE,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_child(module: str, event_path: Path, env: dict[str, str]) -> tuple[float, tuple]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module), str(event_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lambda cold-start child failed:\n{done.stderr[-2000:]}")
    t0, t1, t2 = json.loads(done.stdout.strip().splitlines()[-1])
    return t2 - started, (t0 - started, t1 - t0, t2 - t1)


def measure_lambda_cold(
    runs: int, *, time_limit_s: float = 300.0, log: Callable[[str], None] = lambda _: None
) -> LambdaColdResult:
    import tempfile

    compile_repository()  # what run 0 warms, even where the children may not write bytecode
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubDynamoDB)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    result = LambdaColdResult(phases={side: [] for side in SIDES})
    deadline = time.monotonic() + time_limit_s
    try:
        env = _child_env(f"http://127.0.0.1:{server.server_address[1]}")
        with tempfile.TemporaryDirectory(prefix="bench-lambda-") as tmp:
            event_path = Path(tmp) / "event.json"
            sides = list(SIDES.items())
            for index in range(runs + 1):  # run 0 warms bytecode and page caches
                if time.monotonic() > deadline:
                    log(f"lambda cold: time limit reached after {index} runs")
                    break
                for side, module in sides if index % 2 == 0 else reversed(sides):
                    event = AlexaSession(skill_id=SKILL_ID).launch()
                    event_path.write_text(json.dumps(event))
                    total, phases = run_child(module, event_path, env)
                    if index > 0:
                        getattr(result, side).append(total)
                        result.phases[side].append(phases)
    finally:
        server.shutdown()
        server.server_close()
    return result


def rows(result: LambdaColdResult) -> list[Row]:
    project, hello = Summary.of(result.project), Summary.of(result.hello)
    notes = [
        f"{project.count} runs each; median phases (interpreter, import and build, first "
        "invocation with one GetItem and one PutItem to a stub DynamoDB):"
    ]
    for side in SIDES:
        columns = list(zip(*result.phases[side], strict=True))
        notes.append(
            side + ": " + ", ".join(f"{Summary.of(c).median * 1000:.0f} ms" for c in columns)
        )
    return [
        Row(
            "Lambda cold start, median",
            "ms",
            project.median * 1000,
            hello.median * 1000,
            check=TARGET,
            notes=[notes[0] + " " + "; ".join(notes[1:])],
        )
    ]
