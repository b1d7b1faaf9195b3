"""``workout-planner audio build`` and ``workout-planner audio check``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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


def locale_cues() -> dict[str, tuple[list[CueSpec], Mapping[str, str]]]:
    """Every bundled locale -> all its cues and its accents (imported here: the content is not
    needed to load the CLI)."""
    from skill.content import load_content
    from skill.content.loader import bundled_locales

    found = {}
    for locale in bundled_locales():
        content = load_content(locale)
        found[locale] = (list(content.cue_specs()), content.voice)
    return found


#: Piper's settings (the fields of PiperSettings): option, field, range, help.
_PIPER_SETTINGS = (
    ("--length-scale", "length_scale", (0.5, 2.0), "Piper's pace: above 1 is slower."),
    ("--noise-scale", "noise_scale", (0.0, 1.0), "Piper's generator noise (0: deterministic)."),
    (
        "--noise-w",
        "noise_w_scale",
        (0.0, 1.0),
        "Piper's phoneme-duration noise (0: deterministic).",
    ),
    (
        "--sentence-silence",
        "sentence_silence",
        (0.0, 2.0),
        "Piper's pause between sentences, in seconds.",
    ),
)


def _piper_options(command: Callable[..., None]) -> Callable[..., None]:
    """One option per Piper setting, passed to the command under the setting's field name."""
    for flag, name, (low, high), text in reversed(_PIPER_SETTINGS):
        command = click.option(
            flag,
            name,
            type=click.FloatRange(low, high),
            default=getattr(PiperSettings, name),
            show_default=True,
            help=text,
        )(command)
    return command


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
@click.option(
    "--tld", help="gTTS Google domain (accent) [default: each locale's, from its voice: gtts]."
)
@click.option(
    "--locale",
    "chosen_locales",
    multiple=True,
    default=("all",),
    show_default=True,
    help="Render this locale's own cues (repeatable; 'all': every locale). The base (en-US) "
    "cues are always brought up to date; the other locales' own cues are kept as they are.",
)
@click.option(
    "--voice",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help=f"Piper voice model (.onnx, its .onnx.json beside it) [default: {DEFAULT_VOICE}].",
)
@_piper_options
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
    tld: str | None,
    chosen_locales: tuple[str, ...],
    voice: Path | None,
    length_scale: float,
    noise_scale: float,
    noise_w_scale: float,
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
        workout-planner audio build --engine gtts --locale en-GB
        workout-planner audio build --engine gtts --lang en --tld co.uk

    Piper has one voice (en_US) and serves every locale; gTTS speaks each locale's own cues
    with its accent. The manifest records the engine of every file.
    """
    from skill.audio.build import BuildError, LocaleCues
    from skill.audio.build import build as run_build
    from skill.audio.engines import Engine, EngineUnavailable, EspeakEngine, GttsEngine
    from skill.content.model import DEFAULT_LOCALE

    bundles = locale_cues()
    wanted = set(bundles) if "all" in chosen_locales else set(chosen_locales)
    unknown = sorted(wanted - set(bundles))
    if unknown:
        known = ", ".join(["all", *sorted(bundles)])
        raise click.BadParameter(
            f"no locale {', '.join(unknown)}; use {known}", param_hint="--locale"
        )
    single: Engine | None = None
    if engine == "piper":
        settings = PiperSettings(length_scale, noise_scale, noise_w_scale, sentence_silence)
        single = PiperEngine(voice, settings)
    elif engine == "espeak":
        single = EspeakEngine()
    accents: dict[str, Engine] = {}

    def engine_for(voices: Mapping[str, str]) -> Engine:
        if single is not None:
            return single
        accent = tld or voices.get("gtts", "com")
        if accent not in accents:  # one engine per accent: its holds' counts are spoken once
            try:
                accents[accent] = GttsEngine(lang=lang, tld=accent)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--lang") from exc
        return accents[accent]

    base_cues, base_voices = bundles[DEFAULT_LOCALE]
    groups = [
        LocaleCues(locale, cues, engine_for(voices) if locale in wanted else None)
        for locale, (cues, voices) in sorted(bundles.items())
        if locale != DEFAULT_LOCALE
    ]
    try:
        report = run_build(
            base_cues,
            out,
            engine_for(base_voices),
            progress=progress,
            jobs=jobs,
            locales=groups,
            base_locale=DEFAULT_LOCALE,
        )
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
    from skill.audio.manifest import MANIFEST_NAME, load_manifest
    from skill.content.model import DEFAULT_LOCALE

    bundles = {locale: cues for locale, (cues, _) in locale_cues().items()}
    base = bundles.pop(DEFAULT_LOCALE)
    problems = run_check(base, out, bundles, base_locale=DEFAULT_LOCALE)
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{len(problems)} problem(s) in {out}", err=True)
        raise SystemExit(1)
    files = len(load_manifest(out / MANIFEST_NAME).files)
    total = len(base) + sum(len(cues) for cues in bundles.values())
    click.echo(
        f"OK: {total} cues of {len(bundles) + 1} locale(s) in {files} files in {out} match "
        "the content and Alexa's audio rules"
    )
