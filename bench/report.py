"""The results table: rows of project / hello world / floor, ratios, targets and PASS/FAIL."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PASS, FAIL, NONE = "PASS", "FAIL", "—"
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class Check:
    """A target: on the project / hello ratio (``ratio<=``, ``ratio>=``) or on the project's
    own value (``<``, ``<=``), e.g. ``Check("ratio<=", 1.2)``."""

    op: str
    limit: float

    def label(self, unit: str) -> str:
        if self.op.startswith("ratio"):
            return f"{self.op[5:].replace('<=', '≤ ').replace('>=', '≥ ')}{self.limit:g}{TIMES}"
        return f"{self.op.replace('<=', '≤')} {format_value(self.limit, unit)}"

    def passes(self, project: float | None, ratio: float | None) -> bool | None:
        value = ratio if self.op.startswith("ratio") else project
        if value is None:
            return None
        op = self.op.removeprefix("ratio")
        return {"<": value < self.limit, "<=": value <= self.limit, ">=": value >= self.limit}[op]


@dataclass(frozen=True)
class Row:
    """One measurement. Values are in ``unit``: "s", "ms", "us", "rps", "MiB", "MiB/min"
    or "" (a plain number). ``None`` means not measured for that side."""

    name: str
    unit: str
    project: float | None
    hello: float | None = None
    floor: float | None = None
    check: Check | None = None
    #: Set instead of values when the measurement could not run (e.g. "not available").
    skipped: str | None = None
    #: A passing condition that is not a number, e.g. "0 errors" (None: nothing extra).
    ok: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.project is None or not self.hello:
            return None
        return self.project / self.hello

    @property
    def status(self) -> str:
        if self.skipped:
            return NONE
        results: list[bool | None] = [self.ok] if self.ok is not None else []
        if self.check is not None:
            results.append(self.check.passes(self.project, self.ratio))
        if not results or any(r is None for r in results):
            return NONE
        return PASS if all(results) else FAIL


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return NONE
    if unit == "rps":
        return f"{value:,.0f} req/s"
    if unit == "s":
        if value < 1:
            return f"{value * 1000:.0f} ms"
        return f"{value:.2f} s" if value < 100 else f"{value:,.0f} s"
    if unit in ("ms", "us"):
        digits = 0 if value >= 100 else 1 if value >= 10 else 2
        shown = f"{value:,.{digits}f}"
        return f"{shown} {'µs' if unit == 'us' else 'ms'}"
    if unit in ("MiB", "MiB/min"):
        return f"{value:+.2f} {unit}" if unit == "MiB/min" else f"{value:.1f} MiB"
    return f"{value:g}"


HEADER = (
    "measurement",
    "project",
    "hello world (verifies too)",
    "floor (json)",
    "project / hello",
    "target",
    "result",
)


def cells(row: Row) -> tuple[str, ...]:
    if row.skipped:
        return (row.name, row.skipped, NONE, NONE, NONE, _target(row), NONE)
    ratio = row.ratio
    return (
        row.name,
        format_value(row.project, row.unit),
        format_value(row.hello, row.unit),
        format_value(row.floor, row.unit),
        _ratio_text(row, ratio),
        _target(row),
        row.status,
    )


def _ratio_text(row: Row, ratio: float | None) -> str:
    if ratio is None:
        return NONE
    shown = f"{ratio:.2f}"
    # Never print a failing ratio that rounds onto its limit (e.g. 1.2036 as "1.20").
    if row.check and row.check.passes(row.project, float(shown)) != row.check.passes(
        row.project, ratio
    ):
        shown = f"{ratio:.3f}"
    return f"{shown}{TIMES}"


def _target(row: Row) -> str:
    return row.check.label(row.unit) if row.check else NONE


def text_table(rows: Sequence[Row]) -> str:
    """A fixed-width table for the terminal."""
    table = [HEADER, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def notes(rows: Iterable[Row]) -> list[str]:
    return [f"{row.name}: {note}" for row in rows for note in row.notes]


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((ln.split(":", 1)[1].strip() for ln in info if "model name" in ln), "")
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cores": str(os.cpu_count()),
        "cpu": model or platform.processor() or "unknown",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "os": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load average at start": " ".join(f"{x:.2f}" for x in load),
    }


def markdown(rows: Sequence[Row], info: dict[str, str], mode: str) -> str:
    """The whole ``docs/benchmarks.md``."""
    out = [
        "# Benchmarks",
        "",
        "Generated by `python -m bench` (`make bench`); do not edit by hand. Every cost of the",
        "skill is measured beside a hello-world ask-sdk-core skill (`bench/hello_world.py`) that",
        "runs behind the same kind of Flask route **and verifies the same request signatures**",
        "(same `RequestVerifier`, same test CA), and beside the floor: `json.loads` +",
        "`json.dumps` of the same request. Project and references are measured alternately in",
        "one run, so drift on the machine affects both alike.",
        "",
        f"Run: {mode}.",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        "",
        markdown_table(rows),
        "",
    ]
    extra = notes(rows)
    if extra:
        out += ["## Notes", "", *(f"- {line}" for line in extra), ""]
    out += [
        "## What each row measures",
        "",
        "- **cold start**: a fresh `python -c` process from spawn to its first response: import,",
        "  `create_app`, one signed LaunchRequest through Flask's test client (median).",
        "- **Lambda cold start**: a fresh process importing `skill/lambda_handler.py` (which",
        "  builds the skill and its DynamoDB adapter) and answering one LaunchRequest, against a",
        "  hello world using ask-sdk's own `DynamoDbAdapter` (`bench/hello_lambda.py`); both",
        "  reach the same stub DynamoDB endpoint over loopback (one GetItem, one PutItem).",
        "- **durable writes per whole routine**: saves and deletes reaching the store for one",
        "  person's whole routine (launch to stop), on a first visit and on a return the same",
        '  day; "before" is the keeper that wrote every step reached.',
        "- **warm request**: Flask test client, signatures verified (test CA); the project with",
        "  its SQLite store in a temporary file and whole routines by 20 people who come back",
        "  (launch, start, the screening answer on a first visit, every step with a repeat and",
        "  an FAQ, finish, stop), the hello world with launch + its intent.",
        "- **HTTP**: `workout-planner serve --no-verify --workers 2` (SQLite store, its JSON log",
        "  line per request) against the hello world under gunicorn with the same settings (2 sync",
        "  workers, preloaded, skill id checked, no signatures: a server cannot be given the test",
        "  CA), loaded over 127.0.0.1 with `wrk` when installed, else the Python client. Both",
        "  share the 2 cores with the client.",
        "- **soak**: a fresh `serve` at 80% of the capacity the soak's own (Python, paced) client",
        "  measures first; zero errors and flat worker memory (RSS from /proc, per worker, judged",
        "  after the first tenth of the run) are required.",
        "- **audio**: all the content's cues rendered with Piper (`make audio`'s engine, voice and",
        "  settings, one job per core) into an empty directory, then a rebuild with nothing to do.",
        "",
    ]
    return "\n".join(out)


def update_sections(old: str, new: str, prefixes: tuple[str, ...], stamp: str) -> str:
    """``old`` with its table rows and notes named by ``prefixes`` replaced by ``new``'s.

    The machine lines stay those of ``old``'s run; ``stamp`` (``"audio rows: ..."``, one more
    line among them) says when the replaced rows were measured. The closing explanations are
    ``new``'s, the current code's.
    """

    def ours(line: str) -> bool:
        return line.startswith(tuple(f"{mark} {p}" for p in prefixes for mark in "|-"))

    heading = "## What each row measures"
    fresh = [line for line in new.split(heading)[0].splitlines() if ours(line)]
    stamp_key = "- " + stamp.split(":")[0] + ":"
    out: list[str] = []
    section = ""  # the rows are the results table's (before any heading) and the notes'
    for line in old.split(heading)[0].splitlines():
        if line.startswith("## "):
            section = line
        if line.startswith(stamp_key):
            continue  # an earlier partial run's stamp
        if section in ("", "## Notes") and ours(line):
            out += [f for f in fresh if f[0] == line[0]]
            fresh = [f for f in fresh if f[0] != line[0]]
        elif line.startswith("- bench duration:"):
            out += [line, f"- {stamp}"]
        else:
            out.append(line)
    return "\n".join(out).rstrip("\n") + "\n\n" + heading + new.split(heading)[1]
