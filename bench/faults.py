"""``python -m bench.faults``: issue #15's fault table, repeated against the real ``serve``.

Each fault is made for real on 127.0.0.1 (2 sync workers, a SQLite file) and what people would
have noticed is counted: requests answered, answered in time, writes lost, what /healthz and
the log said. The figures go to docs/reliability.md. A report, not a timed test: run it on a
quiet machine, or read the load average it records beside the figures.

    python -m bench.faults            # every fault, then docs/reliability.md
    python -m bench.faults --only lock,replay --no-write
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import http.client
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.servers import HOST, REPO, free_port, running
from skill.envelopes import AlexaSession
from skill.progress import Progress
from tests.support.proxy import SlowLoris, nginx_command, tls_context
from tests.support.test_ca import SKILL_ID, encode

DOCS = REPO / "docs" / "reliability.md"
ALEXA_WAITS_S = 8.0
ERROR = '"level":"ERROR"'  # how an error line starts in the JSON log


@dataclass(frozen=True)
class Finding:
    fault: str
    load: str
    outcome: str
    held_by: str = ""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- talking to serve ----------------------------------------------------------------------------


def serve_command(port: int, db: Path | None, *, verify: bool = False) -> list[str]:
    script = shutil.which("workout-planner", path=str(Path(sys.executable).parent))
    cli = [script] if script else [sys.executable, "-c", "from skill.cli import main; main()"]
    command = [*cli, "serve", "--skill-id", SKILL_ID, "--workers", "2", "--host", HOST]
    command += ["--port", str(port), *(["--db", str(db)] if db else [])]
    return command if verify else [*command, "--no-verify"]


def post(port: int, body: bytes, timeout: float = ALEXA_WAITS_S) -> tuple[int, float, bytes]:
    """(status or 0 when unanswered, seconds, body)."""
    began = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", "/alexa", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, time.monotonic() - began, response.read()
    except (OSError, http.client.HTTPException):
        return 0, time.monotonic() - began, b""
    finally:
        conn.close()


def healthz(port: int) -> tuple[int, float, str]:
    began = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=ALEXA_WAITS_S)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, time.monotonic() - began, response.read().decode()
    except (OSError, http.client.HTTPException) as exc:
        return 0, time.monotonic() - began, type(exc).__name__
    finally:
        conn.close()


def launch() -> bytes:
    return encode(AlexaSession(skill_id=SKILL_ID).launch())


def people(db: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM user_attributes").fetchone()[0])
    except sqlite3.Error:
        return -1


def log_count(log: Path, *marks: str) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if all(mark in line for mark in marks))


def turns(port: int, count: int) -> tuple[int, float]:
    """``count`` launches by new people: (answered 200, slowest reply)."""
    results = [post(port, launch()) for _ in range(count)]
    return sum(1 for r in results if r[0] == 200), max(r[1] for r in results)


def health_text(port: int) -> str:
    status, took, body = healthz(port)
    return f"/healthz {status} in {took * 1000:.0f} ms ({body.strip()[:90]})"


@contextlib.contextmanager
def serving(
    work: Path, name: str, db: Path | None, *, verify: bool = False
) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log = work / f"{name}.log"
    with running(name, serve_command(port, db, verify=verify), port, log):
        yield port, log


def without_root_override() -> list[str]:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        return []
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


# -- the faults ----------------------------------------------------------------------------------


def slow_clients(work: Path) -> list[Finding]:
    """10 slowloris clients, bare and behind nginx; an ordinary request every 0.5 s for 30 s."""
    found = []
    with serving(work, "slow", work / "slow.sqlite3") as (port, _log):

        def bare() -> socket.socket:
            return socket.create_connection((HOST, port), timeout=5)

        found.append(_ordinary_under(SlowLoris(bare, 10), lambda: post(port, launch()), "bare"))
        proxy = work / "nginx"
        proxy.mkdir()
        https, plain = free_port(), free_port()
        try:
            command = nginx_command(proxy, backend=port, https=https, http=plain)
        except FileNotFoundError as exc:
            return [*found, Finding("slow clients behind nginx", "-", f"not run: {exc}")]
        tls = tls_context(proxy)

        def tls_socket() -> socket.socket:
            sock = socket.create_connection((HOST, https), timeout=5)
            return tls.wrap_socket(sock, server_hostname="localhost")

        def via_proxy() -> tuple[int, float, bytes]:
            began = time.monotonic()
            conn = http.client.HTTPSConnection("localhost", https, context=tls, timeout=8)
            try:
                conn.request("POST", "/alexa", body=launch())
                response = conn.getresponse()
                return response.status, time.monotonic() - began, response.read()
            except (OSError, http.client.HTTPException):
                return 0, time.monotonic() - began, b""
            finally:
                conn.close()

        with (proxy / "out.log").open("wb") as out:
            nginx = subprocess.Popen([*command, "-g", "daemon off;"], stdout=out, stderr=out)
            try:
                time.sleep(1.0)
                found.append(_ordinary_under(SlowLoris(tls_socket, 50), via_proxy, "nginx"))
            finally:
                nginx.terminate()
                nginx.wait(timeout=15)
    return found


def _ordinary_under(
    loris: SlowLoris, ordinary: Callable[[], tuple[int, float, bytes]], where: str
) -> Finding:
    results = []
    with loris:
        time.sleep(2.0)
        started = time.monotonic()
        while time.monotonic() - started < 30:
            began = time.monotonic()
            results.append(ordinary())
            time.sleep(max(0.0, 0.5 - (time.monotonic() - began)))
    in_time = [r for r in results if r[0] == 200 and r[1] <= ALEXA_WAITS_S]
    slowest = max(r[1] for r in results)
    return Finding(
        f"{loris.count} slow clients trickling headers ({where})",
        f"{loris.count} slowloris + 1 request / 0.5 s for 30 s",
        f"{len(in_time)}/{len(results)} answered within 8 s; slowest {slowest:.2f} s; "
        f"{loris.dropped} slow connections dropped by the server",
    )


def read_only(work: Path) -> list[Finding]:
    db = work / "ro.sqlite3"
    with serving(work, "ro-setup", db) as (port, _):
        turns(port, 5)
    db.chmod(0o444)
    port = free_port()
    log = work / "ro.log"
    command = [*without_root_override(), *serve_command(port, db)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while healthz(port)[0] == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            if process.poll() is not None:
                return [
                    Finding(
                        "DB files read-only at start",
                        "start",
                        f"serve refused to start (exit {process.returncode}): " + _last_error(log),
                    )
                ]
            answered, slowest = turns(port, 100)
            health = health_text(port)
        finally:
            process.terminate()
            process.wait(timeout=15)
    return [
        Finding(
            "DB files read-only at start",
            "100 new people",
            f"{answered}/100 answered (slowest {slowest:.2f} s); "
            f"{log_count(log, ERROR, 'save failed')} failed saves logged as errors; "
            f"{health}",
        )
    ]


def _last_error(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line]
    return (lines[-1] if lines else log.read_text(errors="replace")[-200:]).strip()[:160]


def directory_removed(work: Path) -> list[Finding]:
    directory = work / "gone"
    db = directory / "progress.sqlite3"
    with serving(work, "gone", db) as (port, log):
        turns(port, 5)
        shutil.rmtree(directory)
        answered, slowest = turns(port, 100)
        health = health_text(port)
    recreated = directory.exists()
    restart = "not tried"
    with contextlib.suppress(RuntimeError), serving(work, "gone-restart", db) as (_, again):
        restart = f"restart: {log_count(again, 'persistence.created')} 'created' log line(s)"
    return [
        Finding(
            "DB directory removed while serving",
            "100 turns after the removal",
            f"{answered}/100 answered (slowest {slowest:.2f} s); "
            f"{log_count(log, ERROR, 'file_missing')} errors logged (file_missing); "
            f"file recreated while serving: {'yes' if recreated else 'no'}; {health}; {restart}",
        )
    ]


_LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def lock_held(work: Path) -> list[Finding]:
    db = work / "lock.sqlite3"
    with serving(work, "lock", db) as (port, log):
        turns(port, 3)
        holder = subprocess.Popen(
            [sys.executable, "-c", _LOCK_HOLDER, str(db), "15"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None
        holder.stdout.readline()
        results: list[tuple[int, float, bytes]] = []
        checks: list[tuple[int, float, str]] = []
        stop = time.monotonic() + 14

        def client() -> None:
            while time.monotonic() < stop:
                results.append(post(port, launch()))

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        while time.monotonic() < stop:
            checks.append(healthz(port))
            time.sleep(1.0)
        for thread in threads:
            thread.join()
        holder.wait(timeout=30)
    answered = [r for r in results if r[0] == 200]
    slowest = max(r[1] for r in results)
    return [
        Finding(
            "another process holding the write lock 15 s",
            "8 clients in a loop",
            f"{len(answered)}/{len(results)} answered; replies p50 "
            f"{_median([r[1] for r in results]):.2f} s, slowest {slowest:.2f} s; "
            f"/healthz slowest {max(c[1] for c in checks) * 1000:.0f} ms, "
            f"{sum(1 for c in checks if c[0] == 503)}/{len(checks)} said 503; "
            f"{log_count(log, ERROR, 'SQLITE_BUSY')} lost saves logged as errors",
        )
    ]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def disk_full(work: Path) -> list[Finding]:
    """A 4 MB tmpfs, filled; then freed. Needs mount (root with CAP_SYS_ADMIN)."""
    volume = work / "volume"
    volume.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(volume)], capture_output=True
    )
    if mounted.returncode != 0:
        return [Finding("disk full (4 MB volume)", "-", "not run: cannot mount a tmpfs here")]
    try:
        db = volume / "progress.sqlite3"
        with serving(work, "full", db) as (port, log):
            turns(port, 5)
            filler = volume / "filler"
            with filler.open("wb") as out, contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            answered, slowest = turns(port, 100)
            health = health_text(port)
            filler.unlink()
            wal = Path(f"{db}-wal")
            biggest, until = 0, time.monotonic() + 4
            while time.monotonic() < until:
                turns(port, 5)
                biggest = max(biggest, wal.stat().st_size if wal.exists() else 0)
            after = health_text(port)
        return [
            Finding(
                "disk full (4 MB volume)",
                "100 new people while full; then 4 s of writes once freed",
                f"{answered}/100 answered (slowest {slowest:.2f} s); "
                f"{log_count(log, ERROR, 'save failed')} failed saves logged as "
                f"errors; {health}; after freeing: WAL at most {biggest / 1024:.0f} KiB, {after}",
            )
        ]
    finally:
        subprocess.run(["umount", str(volume)], capture_output=True)


def damaged(work: Path) -> list[Finding]:
    db = work / "damaged.sqlite3"
    with serving(work, "damaged-setup", db) as (port, _):
        turns(port, 39)
    size = db.stat().st_size
    with db.open("r+b") as file:
        file.seek(size // 2)
        file.write(b"\xa5" * (size - size // 2))
    log = work / "damaged.log"
    result = subprocess.run(
        serve_command(free_port(), db), cwd=REPO, capture_output=True, text=True, timeout=60
    )
    log.write_text(result.stdout + result.stderr)
    message = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
    return [
        Finding(
            "second half of the DB file corrupted",
            "39 people stored, then a start",
            f"serve exit {result.returncode}: {message[:150]}",
        )
    ]


def never_ending_body(work: Path) -> list[Finding]:
    with serving(work, "body", work / "body.sqlite3") as (port, log):
        began = time.monotonic()
        with socket.create_connection((HOST, port), timeout=60) as sock:
            sock.sendall(
                b"POST /alexa HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b'10\r\n{"version":"1.0"\r\n'
            )
            answer = b""
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    answer += chunk
        took = time.monotonic() - began
        status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "connection closed"
        killed = log_count(log, "WORKER TIMEOUT")
    return [
        Finding(
            "a body that never ends (bare serve)",
            "1 chunked request without its last chunk",
            f"{status} after {took:.1f} s; {killed} worker(s) killed for timeout "
            "(behind nginx: cut off after 5 s, never reaches gunicorn; tests/test_nginx.py)",
        )
    ]


def replay(work: Path) -> list[Finding]:
    db = work / "replay.sqlite3"
    with serving(work, "replay", db) as (port, _log):
        session = AlexaSession(skill_id=SKILL_ID)
        body, count = b"", 0
        reply = _step(port, session, session.launch())
        reply = _step(port, session, session.intent("StartRoutineIntent"))
        if reply.get("sessionAttributes", {}).get("workoutPlanner", {}).get("state") == "screening":
            reply = _step(port, session, session.intent("AMAZON.NoIntent"))
        for _ in range(40):
            envelope = session.intent("AMAZON.NextIntent")
            before = _completions(db)
            body = encode(envelope)
            reply = _step(port, session, envelope, body)
            if _completions(db) > before:
                break
        statuses = [post(port, body)[0] for _ in range(2)]
        count = _completions(db)
    return [
        Finding(
            "the same request replayed 3 times within the window",
            "the completing request, sent 3 times",
            f"replies {[200, *statuses]}; completions stored: {count}",
        )
    ]


def _step(
    port: int, session: AlexaSession, envelope: dict[str, object], body: bytes | None = None
) -> dict[str, object]:
    status, _, data = post(port, body or encode(envelope))
    reply: dict[str, object] = json.loads(data) if status == 200 else {}
    session.absorb(reply)
    return reply


def _completions(db: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT attributes FROM user_attributes").fetchall()
    except sqlite3.Error:
        return -1
    return sum(Progress.from_attributes(json.loads(text)).completed_total for (text,) in rows)


def cert_urls(work: Path) -> list[Finding]:
    """Signature checks on: 100 fresh, well-formed cert URLs (no network: each fetch fails)."""
    with serving(work, "certs", None, verify=True) as (port, log):
        for i in range(100):
            body = launch()
            conn = http.client.HTTPConnection(HOST, port, timeout=ALEXA_WAITS_S)
            try:
                conn.request(
                    "POST",
                    "/alexa",
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "SignatureCertChainUrl": f"https://s3.amazonaws.com/echo.api/x{i}.pem",
                        "Signature-256": "QUJD",
                    },
                )
                conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
        fetches = log_count(log, "could not fetch the Alexa cert chain")
        refused = log_count(log, "fetch budget spent")
    return [
        Finding(
            "100 never-seen certificate URLs",
            "100 signed-looking requests, fresh timestamps",
            f"{fetches} outbound fetches (2 workers); {refused} refused without fetching",
        )
    ]


def odd_input(work: Path) -> list[Finding]:
    with serving(work, "odd", work / "odd.sqlite3") as (port, _log):
        session = AlexaSession(skill_id=SKILL_ID, user_id="amzn1.ask.account.\ud800")
        bodies = [encode(session.launch())]
        envelope = AlexaSession(skill_id=SKILL_ID).intent(
            "StartRoutineIntent", routine=("upper back", "x")
        )
        slot = envelope["request"]["intent"]["slots"]["routine"]  # type: ignore[index]
        slot["resolutions"]["resolutionsPerAuthority"][0]["values"] = []
        bodies.append(encode(envelope))
        replies = [post(port, body) for body in bodies]
    apologies = sum(1 for r in replies if b"something went wrong" in r[2])
    return [
        Finding(
            "empty resolution values; a lone surrogate in the user id",
            "1 request each",
            f"statuses {[r[0] for r in replies]}; apologies {apologies}",
        )
    ]


FAULTS: dict[str, Callable[[Path], list[Finding]]] = {
    "slow": slow_clients,
    "readonly": read_only,
    "removed": directory_removed,
    "full": disk_full,
    "lock": lock_held,
    "damaged": damaged,
    "body": never_ending_body,
    "replay": replay,
    "certs": cert_urls,
    "odd": odd_input,
}
_STORE, _NGINX, _WEB = "test_store_faults.py", "test_nginx.py", "test_web.py"
#: The tests (under tests/) that hold each row in `make test`.
HELD_BY = {
    "slow": f"{_NGINX}::test_slow_clients_cannot_starve_ordinary_requests",
    "readonly": f"{_STORE}::test_read_only_database_files_are_reported_not_ignored",
    "removed": f"{_STORE}::test_a_deleted_database_is_an_error_never_a_fresh_start",
    "full": f"{_STORE}::test_a_full_disk_is_reported_and_every_person_still_answered, "
    "test_the_wal_stays_bounded_under_steady_writes",
    "lock": f"{_STORE}::test_another_process_holding_the_write_lock_costs_no_reply_its_time",
    "damaged": f"{_STORE}::test_a_damaged_database_is_reported_and_refused_at_start",
    "body": f"{_NGINX}::test_a_body_that_never_ends_is_cut_off_by_the_proxy_with_a_4xx",
    "replay": "test_replay.py",
    "certs": "test_verify.py::test_a_hundred_unseen_urls_cost_at_most_the_fetch_budget, "
    f"{_WEB}::test_a_hundred_unseen_cert_urls_cannot_make_the_app_fetch",
    "odd": f"{_WEB}::test_hostile_but_well_formed_input_gets_a_normal_reply",
}


NOTES = """
Reading the table:

- Read-only and damaged files now stop `serve` at start with the reason (its start-up check
  is a real write and `PRAGMA quick_check`); a fault that appears while serving is logged at
  error level per lost write, and `/healthz` says 503 with the reason for a minute after it.
- The write lock: each worker's first save gives up after the 1 s busy timeout, later ones
  after 50 ms until one gets the lock. With 8 clients looping on 2 sync workers, `/healthz`
  waits its turn behind queued requests; the check itself gives up on the lock in 250 ms
  (the in-process test holds it under 1 s and every reply under 2 s).
- Bare `serve` still falls to slow clients and never-ending bodies: gunicorn's sync workers
  are meant to sit behind the buffering proxy of deploy/nginx, which `serve` says at start.
"""


def markdown(findings: list[Finding], load_before: str, load_after: str) -> str:
    lines = [
        "# Reliability under faults and abuse",
        "",
        "Issue #15's fault table, repeated with `python -m bench.faults` against the real",
        "`serve` (2 sync gunicorn workers, a SQLite file) on 127.0.0.1. A report, not a test:",
        "the tests that hold each row are tests/test_store_faults.py, tests/test_nginx.py,",
        "tests/test_verify.py and tests/test_web.py.",
        "",
        f"- run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node() or 'host'}",
        f"- cores: {os.cpu_count()}; Python {platform.python_version()}",
        f"- load average (1, 5, 15 min) before: {load_before}; after: {load_after}",
        "  (the machine was shared with other work: slow replies may be the neighbours')",
        "",
        "| fault | load held | what happened | held in `make test` by |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {f.fault} | {f.load} | {f.outcome.replace('|', '/')} | `{f.held_by}` |"
        for f in findings
    ]
    return "\n".join(lines) + "\n" + NOTES


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--only", default=",".join(FAULTS), help=f"of {','.join(FAULTS)}")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in FAULTS]
    if unknown:
        parser.error(f"unknown: {','.join(unknown)}")
    before = _load()
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="faults-") as scratch:
        for name in chosen:
            work = Path(scratch) / name
            work.mkdir()
            say(f"fault: {name}")
            try:
                found = FAULTS[name](work)
            except Exception as exc:  # a report records a failed run instead of stopping
                found = [Finding(name, "-", f"run failed: {type(exc).__name__}: {exc}")]
            findings += [dataclasses.replace(f, held_by=HELD_BY[name]) for f in found]
            for finding in found:
                say(f"  {finding.fault}: {finding.outcome}")
    page = markdown(findings, before, _load())
    print(page)
    if not args.no_write:
        DOCS.write_text(page)
        say(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
