"""``workout-planner audio build`` and ``workout-planner audio check``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from skill.audio.piper_engine import DEFAULT_VOICE, PiperEngine, PiperSettings
from skill.cues import CueSpec
from skill.settings import DEFAULT_AUDIO_DIR

_OUT = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_AUDIO_DIR,
    show_default=True,
    help="Directory of the MP3 files and manifest.json.",
)


def _cores() -> int:
    """The cores this process may run on (fewer than the machine's in a container)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_cues() -> list[CueSpec]:
    """The cues the content defines (imported here: the content is not needed to load the CLI)."""
    from skill.content import load_content

    return list(load_content().cue_specs())


@click.group()
def audio() -> None:
    """Render and check the pre-generated audio cues (MP3 for Alexa's <audio> tag)."""


@audio.command()
@click.option(
    "--engine",
    type=click.Choice(["gtts", "piper", "espeak"]),
    default="gtts",
    show_default=True,
    help="gtts: Google's voice, needs the internet. piper: a neural voice, offline (the "
    "'voice' extra; `make audio` uses it). espeak: espeak-ng, offline and robotic.",
)
@click.option("--lang", default="en", show_default=True, help="gTTS language.")
@click.option("--tld", default="com", show_default=True, help="gTTS Google domain (accent).")
@click.option(
    "--voice",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help=f"Piper voice model (.onnx, its .onnx.json beside it) [default: {DEFAULT_VOICE}].",
)
@click.option(
    "--length-scale",
    type=click.FloatRange(0.5, 2.0),
    default=PiperSettings.length_scale,
    show_default=True,
    help="Piper's pace: above 1 is slower.",
)
@click.option(
    "--noise-scale",
    type=click.FloatRange(0.0, 1.0),
    default=PiperSettings.noise_scale,
    show_default=True,
    help="Piper's generator noise (0: deterministic).",
)
@click.option(
    "--noise-w",
    type=click.FloatRange(0.0, 1.0),
    default=PiperSettings.noise_w_scale,
    show_default=True,
    help="Piper's phoneme-duration noise (0: deterministic).",
)
@click.option(
    "--sentence-silence",
    type=click.FloatRange(0.0, 2.0),
    default=PiperSettings.sentence_silence,
    show_default=True,
    help="Piper's pause between sentences, in seconds.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=_cores(),
    show_default="the cores available",
    help="Cues rendered at once.",
)
@_OUT
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on a TTY.")
def build(
    engine: str,
    lang: str,
    tld: str,
    voice: Path | None,
    length_scale: float,
    noise_scale: float,
    noise_w: float,
    sentence_silence: float,
    jobs: int,
    out: Path,
    progress: bool,
) -> None:
    """Render the cues that changed and update manifest.json.

    Unchanged cues are kept, files no cue uses any more are removed. The engine, the voice
    and its settings are part of each cue's hash: changing one re-renders what it affects.

    \b
    Example:
        workout-planner audio build --engine piper
        workout-planner audio build --engine piper --length-scale 1.1
        workout-planner audio build --engine gtts --lang en --tld co.uk
    """
    from skill.audio.build import BuildError
    from skill.audio.build import build as run_build
    from skill.audio.engines import Engine, EngineUnavailable, EspeakEngine, GttsEngine

    chosen: Engine
    if engine == "piper":
        settings = PiperSettings(length_scale, noise_scale, noise_w, sentence_silence)
        chosen = PiperEngine(voice, settings)
    elif engine == "espeak":
        chosen = EspeakEngine()
    else:
        try:
            chosen = GttsEngine(lang=lang, tld=tld)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--lang") from exc
    try:
        report = run_build(load_cues(), out, chosen, progress=progress, jobs=jobs)
    except EngineUnavailable as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    except BuildError as exc:
        click.echo(f"audio build failed: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(report.summary())


@audio.command()
@_OUT
def check(out: Path) -> None:
    """Check the MP3 files against the content and Alexa's rules.

    Lists every problem and exits 1; prints one OK line and exits 0 when there is none.

    \b
    Example:
        workout-planner audio check --out audio/
    """
    from skill.audio.check import check as run_check

    cues = load_cues()
    problems = run_check(cues, out)
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{len(problems)} problem(s) in {out}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {len(cues)} cues in {out} match the content and Alexa's audio rules")
