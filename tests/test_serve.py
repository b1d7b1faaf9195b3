"""``workout-planner serve`` for real: gunicorn in a subprocess, spoken to over loopback HTTP."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gunicorn
import pytest

from skill.envelopes import AlexaSession
from tests.support.test_ca import SKILL_ID, encode

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 15.0
# Never through a proxy, whatever the environment says: these are loopback requests.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def cli() -> list[str]:
    script = shutil.which("workout-planner", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-c", "from skill.cli import main; main()"]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the skill's own settings, plus ``extra``."""
    ours = ("ALEXA_SKILL_ID", "ALEXA_VERIFY", "WORKOUT_PLANNER_DB", "AUDIO_BASE_URL", "AUDIO_DIR")
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, Any]:
    """(status, parsed JSON body); HTTP errors are answers here, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _HTTP.open(request, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@contextlib.contextmanager
def running(command: list[str], port: int, log: Path, env: dict[str, str]) -> Iterator[str]:
    """Start ``command``, wait until /healthz answers, yield the base URL; always stop it."""
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"server not up in {STARTUP_TIMEOUT_S}s:\n{log.read_text()}")
                with contextlib.suppress(OSError):
                    if http("GET", f"{base}/healthz")[0] == 200:
                        break
                time.sleep(0.1)
            yield base
            process.terminate()
            assert process.wait(timeout=STOP_TIMEOUT_S) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)


def test_serve_answers_alexa_over_http_and_stops_cleanly(tmp_path):
    port = free_port()
    db = tmp_path / "var" / "progress.sqlite3"
    command = [*cli(), "serve", "--no-verify", "--skill-id", SKILL_ID, "--db", str(db)]
    command += ["--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with running(command, port, log, clean_env()) as base:
        assert db.exists()  # created before the first request
        session = AlexaSession(skill_id=SKILL_ID)
        status, reply = http("POST", f"{base}/alexa", encode(session.launch()))
        assert status == 200
        assert reply["version"] == "1.0"
        assert reply["response"]["outputSpeech"]["type"] == "SSML"
        assert reply["response"]["shouldEndSession"] is False

        assert http("POST", f"{base}/alexa", b"[]") == (400, {"error": "body is not a JSON object"})
        # --no-verify drops signatures and timestamps, never the skill id.
        stranger = AlexaSession(skill_id="amzn1.ask.skill.someone-else").launch()
        status, reply = http("POST", f"{base}/alexa", encode(stranger))
        assert (status, reply) == (400, {"error": "request is not for this skill"})
        assert http("GET", f"{base}/healthz") == (200, {"status": "ok"})

    output = log.read_text()
    assert "WARNING: --no-verify" in output
    request_lines = [json.loads(line) for line in output.splitlines() if '"msg":"request"' in line]
    assert [line["status"] for line in request_lines if line["path"] == "/alexa"] == [
        200,
        400,
        400,
    ]


def test_serve_refuses_to_start_without_a_skill_id(tmp_path):
    result = subprocess.run(
        [*cli(), "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--skill-id (or ALEXA_SKILL_ID) is required" in result.stderr


def test_gunicorn_loads_skill_web_app_from_the_environment(tmp_path):
    port = free_port()
    db = tmp_path / "env.sqlite3"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "skill.web:app"]
    if gunicorn.version_info >= (24,):  # its shared per-user control socket is not wanted here
        command.insert(-1, "--no-control-socket")
    env = clean_env(ALEXA_SKILL_ID=SKILL_ID, WORKOUT_PLANNER_DB=str(db))
    with running(command, port, tmp_path / "gunicorn.log", env) as base:
        # Verification is on by default: an unsigned request is refused.
        launch = encode(AlexaSession(skill_id=SKILL_ID).launch())
        assert http("POST", f"{base}/alexa", launch) == (
            400,
            {"error": "missing signature headers"},
        )
    assert db.exists()


def test_serve_says_when_it_is_ready_and_metrics_sum_every_worker(tmp_path):
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    command = [*cli(), "serve", "--no-verify", "--skill-id", SKILL_ID, "--workers", "2"]
    command += ["--port", str(port)]
    log = tmp_path / "serve.log"
    env = clean_env(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    launches = 12
    with running(command, port, log, env) as base:
        # Concurrent requests, so both sync workers answer some of them.
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            body = encode(AlexaSession(skill_id=SKILL_ID).launch())
            statuses = list(
                pool.map(lambda _: http("POST", f"{base}/alexa", body)[0], range(launches))
            )
        assert statuses == [200] * launches
        for _ in range(3):  # whichever worker answers the scrape, it sees every worker's counts
            with _HTTP.open(f"{base}/metrics", timeout=REQUEST_TIMEOUT_S) as response:
                text = response.read().decode()
            line = 'workout_planner_requests_total{outcome="ok",type="LaunchRequest"}'
            assert f"{line} {float(launches)}" in text, text
        assert list(metrics_dir.glob("*.db"))
    output = log.read_text()
    ready = f"Workout Planner is ready on http://127.0.0.1:{port}/alexa"
    assert ready in output
    assert "no store: progress will not last" in output
    assert f"talk to it with: workout-planner chat --url http://127.0.0.1:{port}/alexa" in output
    assert "NOTE: no --store or --db: progress is kept only for the session" in output


def test_serve_help_names_the_environment_variables():
    result = subprocess.run(
        [*cli(), "serve", "--help"], capture_output=True, text=True, env=clean_env(), timeout=60
    )
    assert result.returncode == 0
    assert "ALEXA_SKILL_ID" in result.stdout
    assert "WORKOUT_PLANNER_DB" in result.stdout
    assert "WORKOUT_PLANNER_STORE" in result.stdout


def test_a_worker_leaving_keeps_the_metrics_directory_of_the_others(tmp_path):
    # Workers are forked inside serve(): one that exits (a restart, a timeout) must not remove
    # the directory that the master made and every other worker still writes to.
    port = free_port()
    command = [*cli(), "serve", "--no-verify", "--skill-id", SKILL_ID, "--workers", "2"]
    command += ["--port", str(port)]
    log = tmp_path / "serve.log"
    body = encode(AlexaSession(skill_id=SKILL_ID).launch())
    with running(command, port, log, clean_env()) as base:
        (line,) = [json.loads(x) for x in log.read_text().splitlines() if '"metrics_dir"' in x]
        metrics_dir = Path(line["metrics_dir"])
        assert metrics_dir.is_dir()
        workers = _workers(log)
        os.kill(workers[0], signal.SIGTERM)  # graceful: the worker leaves through serve()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while _alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert metrics_dir.is_dir()
        for _ in range(4):
            assert http("POST", f"{base}/alexa", body)[0] == 200
        with _HTTP.open(f"{base}/metrics", timeout=REQUEST_TIMEOUT_S) as response:
            assert b"workout_planner_requests_total" in response.read()
    assert not metrics_dir.exists()  # the master removes it when the service stops


def _workers(log: Path) -> list[int]:
    found = [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log.read_text())]
    assert found, log.read_text()
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
