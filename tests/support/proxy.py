"""nginx (deploy/nginx/workout-planner.conf) in front of ``serve``, and clients that misbehave:
for tests/test_nginx.py and ``python -m bench.faults``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shutil
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SITE_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "workout-planner.conf"


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
        if count != 1:
            raise ValueError(f"{pattern!r} is not in {SITE_CONFIG.name} exactly once")
    return text


def nginx_binary() -> str | None:
    return shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin")


def nginx_command(directory: Path, *, backend: int, https: int, http: int) -> list[str]:
    """Write a minimal nginx.conf around the site file into ``directory``; the command to run
    nginx in the foreground with it. Raises FileNotFoundError without nginx."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx: scripts/setup.sh installs it from Debian (as root)")
    cert, key = self_signed(directory)
    site = directory / "workout-planner.conf"
    site.write_text(site_config(backend=backend, https=https, http=http, cert=cert, key=key))
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the directory
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
    return [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]


def tls_context(directory: Path) -> ssl.SSLContext:
    """A client context trusting only the throwaway certificate in ``directory``."""
    return ssl.create_default_context(cafile=str(directory / "cert.pem"))


class SlowLoris:
    """Clients that open a request and trickle one header line a second, reconnecting when
    dropped, so that ``count`` of them are always pending. ``connect`` opens one socket."""

    def __init__(self, connect: Callable[[], socket.socket], count: int) -> None:
        self.connect, self.count = connect, count
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

    def _open(self) -> socket.socket | None:
        try:
            sock = self.connect()
            sock.sendall(b"POST /alexa HTTP/1.1\r\nHost: localhost\r\n")
        except OSError:
            return None
        self.opened += 1
        return sock

    def _run(self) -> None:
        socks: list[socket.socket] = []
        while not self._stop.is_set():
            while len(socks) < self.count and not self._stop.is_set():
                sock = self._open()
                if sock is None:
                    break
                socks.append(sock)
            self.most_open = max(self.most_open, len(socks))
            for sock in list(socks):
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:  # the server closed it: the header took too long
                    self.dropped += 1
                    socks.remove(sock)
                    sock.close()
            self._stop.wait(1.0)
        for sock in socks:
            sock.close()
