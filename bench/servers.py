"""Start the project's ``serve`` and the hello world under gunicorn on 127.0.0.1, and always
stop them; read the workers' memory from /proc."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.test_ca import SKILL_ID

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
# Never through a proxy: these requests are for loopback only.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_OUR_ENV = ("ALEXA_SKILL_ID", "ALEXA_VERIFY", "WORKOUT_PLANNER_DB", "AUDIO_BASE_URL", "AUDIO_DIR")


@dataclass(frozen=True)
class Server:
    name: str
    pid: int
    port: int
    log: Path

    def workers(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mib(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def project_command(port: int, db: Path | None) -> list[str]:
    script = shutil.which("workout-planner", path=str(Path(sys.executable).parent))
    cli = [script] if script else [sys.executable, "-c", "from skill.cli import main; main()"]
    return [
        *cli,
        "serve",
        "--no-verify",
        "--skill-id",
        SKILL_ID,
        *(["--db", str(db)] if db else []),
        "--workers",
        "2",
        "--host",
        HOST,
        "--port",
        str(port),
    ]


def hello_command(port: int) -> list[str]:
    # The options ``serve`` gives gunicorn (skill/web/serve.py), as command-line flags.
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers=2",
        "--worker-class=sync",
        "--preload",
        "--timeout=30",
        "--graceful-timeout=10",
        "--error-logfile=-",
        "--log-level=info",
        "--no-control-socket",
        f"--bind={HOST}:{port}",
        "bench.hello_world:create_hello_app(verify=False)",
    ]


@contextlib.contextmanager
def running(
    name: str, command: list[str], port: int, log: Path, workers: int = 2
) -> Iterator[Server]:
    """Start ``command``, wait for GET /healthz and all ``workers``, yield; stop it (and its
    workers) whatever happens."""
    env = {k: v for k, v in os.environ.items() if k not in _OUR_ENV}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            _wait_ready(process, port, log)
            server = Server(name, process.pid, port, log)
            # /healthz answers as soon as the first worker is up; the rest follow.
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while len(server.workers()) < workers and time.monotonic() < deadline:
                time.sleep(0.05)
            yield server
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not up in {STARTUP_TIMEOUT_S:.0f} s:\n{_tail(log)}")
        url = f"http://{HOST}:{port}/healthz"
        with contextlib.suppress(OSError), _HTTP.open(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    workers = Server("", process.pid, 0, Path()).workers()
    process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of master and workers
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
    # A master killed hard leaves its workers behind: end those too (ours, by pid).
    for pid in workers:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def error_lines(log: Path) -> list[str]:
    """Log lines at ERROR or above, or tracebacks: what a clean run must not have."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    marks = ('"level":"ERROR"', '"level":"CRITICAL"', "Traceback", "[ERROR]", "[CRITICAL]")
    return [line for line in text.splitlines() if any(mark in line for mark in marks)]


def _tail(log: Path, chars: int = 2000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""
