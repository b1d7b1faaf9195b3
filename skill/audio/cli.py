"""``workout-planner audio build`` and ``workout-planner audio check``."""

from __future__ import annotations

from pathlib import Path

import click

from skill.cues import CueSpec
from skill.settings import DEFAULT_AUDIO_DIR

_OUT = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_AUDIO_DIR,
    show_default=True,
    help="Directory of the MP3 files and manifest.json.",
)


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
    type=click.Choice(["gtts", "espeak"]),
    default="gtts",
    show_default=True,
    help="gtts: Google's voice, needs the internet. espeak: espeak-ng, offline.",
)
@click.option("--lang", default="en", show_default=True, help="gTTS language.")
@click.option("--tld", default="com", show_default=True, help="gTTS Google domain (accent).")
@_OUT
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on a TTY.")
def build(engine: str, lang: str, tld: str, out: Path, progress: bool) -> None:
    """Render the cues that changed and update manifest.json.

    Unchanged cues are kept, files no cue uses any more are removed.

    \b
    Example:
        workout-planner audio build --engine espeak
        workout-planner audio build --engine gtts --lang en --tld co.uk
    """
    from skill.audio.build import BuildError
    from skill.audio.build import build as run_build
    from skill.audio.engines import EngineUnavailable, EspeakEngine, GttsEngine

    try:
        chosen = EspeakEngine() if engine == "espeak" else GttsEngine(lang=lang, tld=tld)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--lang") from exc
    try:
        report = run_build(load_cues(), out, chosen, progress=progress)
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
