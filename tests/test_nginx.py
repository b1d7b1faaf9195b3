"""deploy/nginx for real: nginx from Debian in front of the real ``serve``, on loopback over TLS.

The configuration under test is ``deploy/nginx/workout-planner.conf`` itself; only its ports and
certificate paths are swapped for the ones made here (ephemeral ports, a throwaway self-signed
certificate). It must keep slow and broken clients away from gunicorn's two sync workers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from skill.envelopes import AlexaSession
from tests.support.proxy import SlowLoris, nginx_command, tls_context
from tests.support.test_ca import SKILL_ID, encode
from tests.test_serve import clean_env, cli, free_port

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT_S = 30.0
#: Alexa's own limit: an answer later than this is no answer.
IN_TIME_S = 8.0
SLOW_CLIENTS = 50
ORDINARY_EVERY_S = 0.5
HOLD_S = 30.0


# -- the stack: serve behind nginx -------------------------------------------------------------


@dataclass
class Stack:
    port: int  # nginx's TLS port
    tls: ssl.SSLContext  # trusts the throwaway certificate
    serve_log: Path
    nginx_dir: Path

    def connection(self, timeout: float = IN_TIME_S) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            "localhost", self.port, context=self.tls, timeout=timeout
        )

    def request(
        self, method: str, path: str, body: bytes | None = None, timeout: float = IN_TIME_S
    ) -> tuple[int, bytes]:
        conn = self.connection(timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def raw(self, timeout: float) -> ssl.SSLSocket:
        """A bare TLS connection to nginx, for clients that misbehave."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return self.tls.wrap_socket(sock, server_hostname="localhost")


@contextlib.contextmanager
def started(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def wait_until_up(stack: Stack, logs: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if stack.request("GET", "/healthz", timeout=2)[0] == 200:
                return
        if time.monotonic() > deadline:
            pytest.fail("stack not up:\n" + "\n".join(p.read_text() for p in logs if p.exists()))
        time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("nginx")
    backend, https, http_port = free_port(), free_port(), free_port()
    try:
        nginx = nginx_command(root, backend=backend, https=https, http=http_port)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

    serve_log, nginx_log = root / "serve.log", root / "nginx.out"
    command = [*cli(), "serve", "--no-verify", "--skill-id", SKILL_ID, "--workers", "2"]
    command += ["--db", str(root / "progress.sqlite3"), "--port", str(backend)]
    stack = Stack(https, tls_context(root), serve_log, root)
    with (
        started(command, serve_log, clean_env()),
        started([*nginx, "-g", "daemon off;"], nginx_log),
    ):
        wait_until_up(stack, [serve_log, nginx_log, root / "error.log"])
        yield stack


def launch_body() -> bytes:
    return encode(AlexaSession(skill_id=SKILL_ID).launch())


def app_requests(stack: Stack) -> list[dict[str, object]]:
    """The request lines the app logged (what reached gunicorn)."""
    lines = stack.serve_log.read_text().splitlines()
    return [json.loads(line) for line in lines if '"msg":"request"' in line]


# -- the tests ---------------------------------------------------------------------------------


def test_an_alexa_request_goes_through_the_proxy(stack):
    status, body = stack.request("POST", "/alexa", launch_body())
    assert status == 200
    assert json.loads(body)["response"]["outputSpeech"]["type"] == "SSML"


def test_metrics_stay_private_to_the_host(stack):
    status, body = stack.request("GET", "/metrics", None)
    assert status == 404
    assert json.loads(body) == {"error": "not found"}
    assert not [line for line in app_requests(stack) if line["path"] == "/metrics"]


def test_slow_clients_cannot_starve_ordinary_requests(stack):
    latencies: list[float | None] = []
    with SlowLoris(lambda: stack.raw(timeout=5), SLOW_CLIENTS) as loris:
        started_at = time.monotonic()
        tick = started_at
        while time.monotonic() - started_at < HOLD_S:
            began = time.monotonic()
            try:
                status, _ = stack.request("POST", "/alexa", launch_body(), timeout=IN_TIME_S)
            except (OSError, http.client.HTTPException):
                status = 0
            took = time.monotonic() - began
            latencies.append(took if status == 200 and took <= IN_TIME_S else None)
            tick += ORDINARY_EVERY_S
            time.sleep(max(0.0, tick - time.monotonic()))
    answered = [t for t in latencies if t is not None]
    assert loris.most_open == SLOW_CLIENTS
    assert loris.dropped > 0  # nginx cut the trickling headers off
    assert len(latencies) >= HOLD_S / ORDINARY_EVERY_S / 2
    assert len(answered) >= 0.99 * len(latencies), (len(answered), len(latencies))
    # No slow client ever reached the app server: it logged only complete requests.
    assert all(line["status"] == 200 for line in app_requests(stack) if line["path"] == "/alexa")


def read_until_closed(sock: ssl.SSLSocket) -> bytes:
    data = b""
    with contextlib.suppress(OSError):  # a reset counts as closed
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(
            b'Transfer-Encoding: chunked\r\n\r\n10\r\n{"version":"1.0"\r\n',
            id="chunked-without-last-chunk",
        ),
        pytest.param(b'Content-Length: 4096\r\n\r\n{"version":"1.0",', id="short-content-length"),
    ],
)
def test_a_body_that_never_ends_is_cut_off_by_the_proxy_with_a_4xx(stack, head, request):
    agent = f"never-ending-{request.node.callspec.id}".encode()
    before = len(app_requests(stack))
    began = time.monotonic()
    with stack.raw(timeout=60) as sock:
        sock.sendall(b"POST /alexa HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " + agent + b"\r\n")
        sock.sendall(b"Content-Type: application/json\r\n" + head)
        answer = read_until_closed(sock)
    # nginx ends the request with 408 after client_body_timeout and closes the connection
    # without an answer (its way for timeouts): the client sees no 5xx, gunicorn sees nothing.
    assert time.monotonic() - began < 30
    assert not answer.startswith(b"HTTP/1.1 5"), answer[:100]
    logged = [line for line in proxy_log(stack) if agent.decode() in line]
    assert len(logged) == 1 and '" 408 ' in logged[0], logged
    assert len(app_requests(stack)) == before


def proxy_log(stack: Stack) -> list[str]:
    return (stack.nginx_dir / "access.log").read_text().splitlines()


def test_a_body_over_the_limit_is_refused_by_the_proxy(stack):
    status, body = stack.request("POST", "/alexa", b"{" + b" " * (200 * 1024) + b"}")
    assert status == 413
    assert json.loads(body) == {"error": "request entity too large"}


def test_serve_says_it_expects_a_buffering_proxy(stack):
    assert "buffering reverse proxy" in stack.serve_log.read_text()
