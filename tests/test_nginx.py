"""deploy/nginx for real: nginx from Debian in front of the real ``serve``, on loopback over TLS.

The configuration under test is ``deploy/nginx/workout-planner.conf`` itself; only its ports and
certificate paths are swapped for the ones made here (ephemeral ports, a throwaway self-signed
certificate). It must keep slow and broken clients away from gunicorn's two sync workers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skill.envelopes import AlexaSession
from tests.support.test_ca import SKILL_ID, encode
from tests.test_serve import clean_env, cli, free_port

pytestmark = pytest.mark.slow

SITE_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "workout-planner.conf"
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


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for localhost and 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_config(*, backend: int, https: int, http: int, cert: Path, key: Path) -> str:
    """The shipped site file with only its ports and certificate paths replaced."""
    text = SITE_CONFIG.read_text()
    swaps = [
        (r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{backend};"),
        (r"listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
        (r"listen \[::\]:443 ssl;", ""),
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"listen \[::\]:80;", ""),
        (r"ssl_certificate /\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key /\S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in swaps:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"{pattern!r} is not in {SITE_CONFIG.name} exactly once"
    return text


def nginx_binary() -> str:
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin")
    if not found:
        pytest.fail("nginx is missing: scripts/setup.sh installs it from Debian (as root)")
    return found


def main_config(directory: Path, site: Path) -> Path:
    """A minimal nginx.conf around the site file, everything kept in ``directory``."""
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach tmp_path
    conf = directory / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\n"
        f"pid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} info;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {directory / 'access.log'};\n"
        f"    client_body_temp_path {temp['body']};\n"
        f"    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n"
        f"    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n"
        f"    include {site};\n"
        "}\n"
    )
    return conf


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
    cert, key = self_signed(root)
    site = root / "workout-planner.conf"
    site.write_text(site_config(backend=backend, https=https, http=http_port, cert=cert, key=key))
    conf = main_config(root, site)
    nginx = [nginx_binary(), "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

    serve_log, nginx_log = root / "serve.log", root / "nginx.out"
    command = [*cli(), "serve", "--no-verify", "--skill-id", SKILL_ID, "--workers", "2"]
    command += ["--db", str(root / "progress.sqlite3"), "--port", str(backend)]
    tls = ssl.create_default_context(cafile=str(cert))
    stack = Stack(https, tls, serve_log, root)
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


class SlowLoris:
    """Clients that open a request and trickle one header line at a time, reconnecting when
    dropped, so that ``count`` of them are always pending."""

    def __init__(self, stack: Stack, count: int) -> None:
        self.stack, self.count = stack, count
        self.opened = 0
        self.dropped = 0
        self.most_open = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowLoris:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _open(self) -> ssl.SSLSocket | None:
        try:
            sock = self.stack.raw(timeout=5)
            sock.sendall(b"POST /alexa HTTP/1.1\r\nHost: localhost\r\n")
        except OSError:
            return None
        self.opened += 1
        return sock

    def _run(self) -> None:
        socks: list[ssl.SSLSocket] = []
        while not self._stop.is_set():
            while len(socks) < self.count and not self._stop.is_set():
                sock = self._open()
                if sock is not None:
                    socks.append(sock)
            self.most_open = max(self.most_open, len(socks))
            for sock in list(socks):
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:  # nginx closed it: the header took too long
                    self.dropped += 1
                    socks.remove(sock)
                    sock.close()
            self._stop.wait(1.0)
        for sock in socks:
            sock.close()


def test_slow_clients_cannot_starve_ordinary_requests(stack):
    latencies: list[float | None] = []
    with SlowLoris(stack, SLOW_CLIENTS) as loris:
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
