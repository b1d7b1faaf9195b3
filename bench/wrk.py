"""Throughput with ``wrk`` (Debian package ``wrk``), when it is installed: far less client CPU
per request than the Python generator, so more of the two cores go to the servers.

The recorded bodies go into a Lua script; each wrk thread walks them from its own offset.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.load import HOST, LoadResult

_SCRIPT = """\
local bodies = {%s}
local counter, offset, made = 0, 0, 0
function setup(thread) thread:set("tid", made); made = made + 1 end
function init(args) offset = (tonumber(tid) or 0) * 97 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  return wrk.format(nil, "/alexa", nil, bodies[(offset + counter) %% #bodies + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"errors":%%d,"p99_us":%%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(99)))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(body: bytes) -> str:
    text = body.decode("utf-8")
    level = "=" * 3
    if f"]{level}]" in text:
        raise ValueError("body contains the Lua long-bracket terminator")
    return f"[{level}[{text}]{level}]"


def run_wrk(
    port: int,
    conversations: list[list[bytes]],
    *,
    duration_s: float,
    threads: int = 2,
    connections: int = 8,
) -> LoadResult:
    """``wrk`` against 127.0.0.1:``port`` for ``duration_s`` (bounded by wrk and a timeout)."""
    bodies = [body for conversation in conversations for body in conversation]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "alexa.lua"
        script.write_text(_SCRIPT % ", ".join(_lua_string(b) for b in bodies))
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration_s))}s",
            "--timeout=10s",
            f"-s{script}",
            f"http://{HOST}:{port}/alexa",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-1000:]}")
    data = json.loads(line.removeprefix("BENCH "))
    result = LoadResult(
        requests=data["requests"],
        errors=data["errors"],
        elapsed_s=data["duration_us"] / 1e6,
    )
    result.round_p99_ms.append(data["p99_us"] / 1000)
    if data["errors"]:
        result.first_errors.append(f"wrk counted {data['errors']} errors")
    return result
