"""Audio build: every cue of every locale rendered with Piper (as `make audio` does, one job per
core; cues a locale says as the base does share its file), then a rebuild with nothing to do
(in-process, and as ``workout-planner audio build`` from a fresh process)."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.report import Check, Row

if TYPE_CHECKING:
    from skill.audio.build import BuildReport

TARGET = Check("<", 1.0)
CLI_TIMEOUT_S = 120.0
CLI_RUNS = 5


@dataclass
class AudioResult:
    unavailable: str | None = None
    cues: int = 0  # every locale's (en-US/prompt.x, en-GB/prompt.x, ...)
    files: int = 0
    locales: int = 0
    jobs: int = 1
    full_s: float = 0.0
    noop_s: float = 0.0
    cli_noop_s: float | None = None
    cli_noop_cpu_s: float | None = None
    cli_error: str | None = None


def measure_audio(
    *, max_cues: int | None = None, log: Callable[[str], None] = lambda _: None
) -> AudioResult:
    """Build ``max_cues`` of each locale's cues (all by default) into a temporary directory."""
    try:
        from skill.audio.build import LocaleCues, build
        from skill.audio.cli import locale_cues
        from skill.audio.engines import EngineUnavailable
        from skill.audio.piper_engine import PiperEngine
    except ImportError as exc:  # the audio extra is missing
        return AudioResult(unavailable=f"not available ({exc})")
    from skill.content import DEFAULT_LOCALE

    try:
        PiperEngine().fingerprint  # noqa: B018  # is the voice extra installed?
    except EngineUnavailable as exc:
        return AudioResult(unavailable=f"not available ({exc})")
    bundles = {locale: found[:max_cues] for locale, (found, _) in locale_cues().items()}
    cues = bundles.pop(DEFAULT_LOCALE)
    jobs = len(os.sched_getaffinity(0))
    result = AudioResult(jobs=jobs)

    def run(engine: PiperEngine) -> BuildReport:
        others = [LocaleCues(locale, found, engine) for locale, found in bundles.items()]
        return build(cues, out, engine, progress=False, jobs=jobs, locales=others)

    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        out = Path(tmp) / "audio"
        started = time.perf_counter()  # loading the voice is part of a build
        report = run(PiperEngine())
        result.full_s = time.perf_counter() - started
        if report.kept or not report.rendered:
            return AudioResult(unavailable=f"full build did not render: {report.summary()}")
        result.cues, result.files, result.locales = (
            report.cues,
            len(report.rendered),
            report.locales,
        )
        log(f"audio: full build {result.full_s:.1f} s")
        fresh = PiperEngine()  # as a new run: nothing cached but the imports
        started = time.perf_counter()
        again = run(fresh)
        result.noop_s = time.perf_counter() - started
        if again.rendered or again.removed or fresh.loaded:
            result.unavailable = f"no-op rebuild did work: {again.summary()}"
        if max_cues is None:
            result.cli_noop_s, result.cli_noop_cpu_s, result.cli_error = _cli_noop(out)
        else:
            result.cli_error = "skipped in --quick"
    return result


def _cli_noop(out: Path) -> tuple[float | None, float | None, str | None]:
    """Median wall and CPU seconds of CLI_RUNS fresh ``audio build`` processes with no work."""
    script = shutil.which("workout-planner", path=str(Path(sys.executable).parent))
    cli = [script] if script else [sys.executable, "-c", "from skill.cli import main; main()"]
    # All the content's cues: with fewer in ``out`` (``max_cues``), this run renders the rest.
    command = [*cli, "audio", "build", "--engine", "piper", "--out", str(out), "--no-progress"]
    walls, cpus = [], []
    for _ in range(CLI_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None, None, f"timed out after {CLI_TIMEOUT_S:.0f} s"
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            return None, None, f"exit {done.returncode}: {(done.stderr or done.stdout)[-300:]}"
        if not done.stdout.startswith("rendered 0,"):
            return None, None, f"the CLI rebuild did work: {done.stdout.strip()}"
    return statistics.median(walls), statistics.median(cpus), None


def rows(result: AudioResult) -> list[Row]:
    if result.unavailable:
        return [Row("audio build", "s", None, skipped=result.unavailable)]
    per_file = result.full_s / result.files * 1000
    cpu = f"{result.cli_noop_cpu_s:.2f} s of CPU" if result.cli_noop_cpu_s is not None else ""
    cli = Row(
        "audio no-op rebuild, CLI process",
        "s",
        result.cli_noop_s,
        check=TARGET,
        notes=[f"median of {CLI_RUNS} fresh processes; {cpu} (the rest is waiting for a core)"],
    )
    if result.cli_error:
        cli = Row("audio no-op rebuild, CLI process", "s", None, skipped=result.cli_error)
    return [
        Row(
            f"audio full build ({result.files} files, Piper, {result.jobs} jobs)",
            "s",
            result.full_s,
            notes=[
                f"{per_file:.0f} ms per file, loading the voice included; the files speak "
                f"{result.cues} cues of {result.locales} locales"
            ],
        ),
        Row("audio no-op rebuild, in-process", "s", result.noop_s, check=TARGET),
        cli,
    ]
