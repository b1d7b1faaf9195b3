"""``python -m bench [--quick] [--only cold,lambda,warm,...]``: run, print, write docs."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import audio, cold, http_load, lambda_cold, soak, warm, writes
from bench.report import FAIL, Row, machine, markdown, notes, text_table, update_sections

SECTIONS = ("cold", "lambda", "warm", "writes", "http", "soak", "audio")
#: How each section's rows are named, so that a run of some sections can update their rows.
ROW_PREFIXES = {
    "cold": "cold start",
    "lambda": "Lambda cold start",
    "warm": "warm request",
    "writes": "durable writes",
    "http": "HTTP",
    "soak": "soak",
    "audio": "audio",
}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Plan:
    """How much of each measurement to do; every loop is bounded by these and a time limit."""

    name: str
    cold_runs: int
    warm_requests: int
    warm_rounds: int
    http_seconds: float
    http_rounds: int
    soak_seconds: float
    soak_probe_seconds: float
    soak_interval_seconds: float
    audio_cues: int | None


FULL = Plan("full", 15, 3000, 10, 10.0, 2, 60.0, 5.0, 5.0, None)
QUICK = Plan("quick", 3, 300, 4, 3.0, 1, 10.0, 2.0, 1.0, 8)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_section(name: str, plan: Plan, using: str) -> list[Row]:
    if name == "cold":
        return cold.rows(cold.measure_cold(plan.cold_runs, log=say))
    if name == "lambda":
        return lambda_cold.rows(lambda_cold.measure_lambda_cold(plan.cold_runs, log=say))
    if name == "writes":
        return writes.rows(writes.measure_writes())
    if name == "warm":
        result = warm.measure_warm(plan.warm_requests, rounds=plan.warm_rounds, log=say)
        return warm.rows(result)
    if name == "http":
        result_http = http_load.measure_http(
            plan.http_seconds, plan.http_rounds, using=using, log=say
        )
        return http_load.rows(result_http)
    if name == "soak":
        result_soak = soak.measure_soak(
            plan.soak_seconds,
            probe_s=plan.soak_probe_seconds,
            interval_s=plan.soak_interval_seconds,
            log=say,
        )
        return soak.rows(result_soak)
    if name == "audio":
        return audio.rows(audio.measure_audio(max_cues=plan.audio_cues, log=say))
    raise ValueError(name)


def parse_only(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {','.join(SECTIONS)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations, 10 s soak")
    parser.add_argument("--only", type=parse_only, default=list(SECTIONS), help="e.g. cold,warm")
    parser.add_argument(
        "--docs",
        type=Path,
        default=None,
        help=f"write the table here (default: {DOCS.name} on a full run of every section); "
        "with --only, an existing file keeps the other sections' rows",
    )
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP throughput client: wrk if installed (auto), else the Python one",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    info = machine()
    rows: list[Row] = []
    crashed = False
    started = time.monotonic()
    for name in SECTIONS:
        if name not in args.only:
            continue
        say(f"== {name} ({plan.name})")
        section_started = time.monotonic()
        try:
            rows += run_section(name, plan, args.load_generator)
        except Exception as exc:  # one broken section must not hide the others' numbers
            crashed = True
            traceback.print_exc()
            rows.append(Row(name, "", None, skipped=f"error: {type(exc).__name__}: {exc}"[:200]))
        say(f"   {name} took {time.monotonic() - section_started:.0f} s")
    info["load average at end"] = machine()["load average at start"]
    info["bench duration"] = f"{time.monotonic() - started:.0f} s"
    print(text_table(rows))
    for line in notes(rows):
        print(f"- {line}")
    docs = args.docs
    if docs is None and not args.quick and list(args.only) == list(SECTIONS):
        docs = DOCS
    if docs is not None:
        docs.parent.mkdir(parents=True, exist_ok=True)
        text = markdown(rows, info, plan.name)
        if list(args.only) != list(SECTIONS) and docs.is_file():
            # Some sections only: their rows and notes replace the same sections' in the file.
            prefixes = tuple(ROW_PREFIXES[name] for name in args.only)
            stamp = f"{', '.join(args.only)} rows: {plan.name} run of {info['date']}"
            stamp += f", load average {info['load average at start']}"
            text = update_sections(docs.read_text(encoding="utf-8"), text, prefixes, stamp)
        docs.write_text(text, encoding="utf-8")
        say(f"wrote {docs}")
    if crashed:
        return 2
    return 1 if args.strict and any(row.status == FAIL for row in rows) else 0


_entry: Callable[[], int] = main

if __name__ == "__main__":
    sys.exit(_entry())
