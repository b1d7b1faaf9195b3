"""``workout-planner chat``: talk to the skill in the terminal, the way Alexa does.

    workout-planner chat                        # the skill in this process, a temporary store
    workout-planner chat --db var/chat.sqlite3  # keep progress between runs
    workout-planner chat --show-intent          # also print what each line resolved to
    workout-planner chat --audio-base-url https://example.com/audio --play
    workout-planner chat --url http://127.0.0.1:8080/alexa   # a server run with --no-verify
    workout-planner chat --script tests/transcripts/first_routine.txt
    workout-planner chat --screen               # an Echo Show: print what the screen shows
    workout-planner chat --screen --script tests/transcripts/screen/touch_routine.txt
    workout-planner chat --locale en-GB         # an en-GB device: its bundle and its model

With --screen, "--touch NAME" (typed, or a script line "> --touch next") touches NAME on the
screen the last reply showed.

Each line is resolved with the locale's own model (interaction_model/<locale>.json, or one built
from its bundle); --model resolves every line with the file given instead.

Scripts: see ``skill.chat.script`` for the format; exit status 0 when every script passes,
1 on the first mismatch in any script (named by file and line), 2 for a malformed script. A
script with a locale line (``@ locale en-GB``) talks in that locale whatever --locale says;
--locale is the locale of the scripts without one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import click

from skill.chat.channel import Channel, ChannelError, InProcess, OverHttp
from skill.chat.console import SILENCE, Console, Exchange, TouchError
from skill.chat.models import UnknownLocale, load_resolver, resolver_for, spoken_locale
from skill.chat.play import CuePlayer
from skill.chat.script import ScriptError, load_script, run_script
from skill.content import DEFAULT_LOCALE
from skill.envelopes import DEFAULT_SKILL_ID, AlexaSession
from skill.nlu import CONTAINED, EXACT, NEAR, UNLISTED, Resolution, Resolver
from skill.settings import Settings

#: The console's person: the same user on every run, so ``--db`` keeps their progress.
CONSOLE_USER_ID = "amzn1.ask.account.workout-planner-console"
QUIT = frozenset({"quit", "/quit"})


#: File name -> words, and locale -> file name -> cue id: what the console shows of cues.
CueBook = tuple[dict[str, str], dict[str, dict[str, str]]]


def cue_book(audio_dir: Path) -> tuple[CueBook, str | None]:
    """What the manifest says of each cue file (its words, and the cue id it plays in each
    locale), and a note when it can't be read."""
    try:
        from skill.audio.manifest import load_manifest, split_key

        manifest = load_manifest(audio_dir / "manifest.json")
    except FileNotFoundError:
        return ({}, {}), f"no {audio_dir / 'manifest.json'}: cues are spoken as text"
    except (ImportError, OSError, ValueError) as exc:
        return ({}, {}), f"audio manifest unusable ({exc}): cues are spoken as text"
    ids: dict[str, dict[str, str]] = {}
    for key, name in manifest.cues.items():
        ids.setdefault(split_key(key)[0], {})[name] = key
    return ({name: found.text for name, found in manifest.files.items()}, ids), None


def format_exchange(exchange: Exchange, *, show_intent: bool = False) -> list[str]:
    """The lines the console prints for one turn."""
    lines = []
    if show_intent and exchange.resolution is not None:
        lines.append("  " + describe(exchange.resolution, exchange.said))
    heard = exchange.heard
    if exchange.request == SILENCE:
        lines.append(f"(silence: Alexa repeats the reprompt) {heard.reprompt}")
        return lines
    if exchange.request == "SessionEndedRequest":
        return [*lines, "(session ended)"]
    lines.append(click.style("Alexa: ", bold=True) + (heard.speech or "(says nothing)"))
    if heard.reprompt:
        lines.append(f"  reprompt: {heard.reprompt}")
    if heard.card_title or heard.card_text:
        lines.append(f"  card: [{heard.card_title}] {heard.card_text}")
    if heard.cues:
        lines.append("  cues: " + ", ".join(heard.cue_names))
    if heard.shown:
        lines.append(f"  screen ({heard.shown.document}):")
        lines.extend(f"    {line}" for line in heard.shown.lines)
        targets = ", ".join(f"{t.name} [{t.label}]" for t in heard.shown.targets)
        lines.append(f"  touch: {targets or '(nothing)'}")
    if heard.ended:
        lines.append('(session ended; say "open workout planner" to start again)')
    return lines


def describe(resolution: Resolution, said: str = "") -> str:
    """What a line resolved to, and honestly how: an exact sample, a near one (with its
    character similarity), a sample inside a longer line (with the share it covers), or none.
    ``said`` is accepted for callers that pass the line; the resolution already knows."""
    slots = " ".join(
        f"{name}={spoken!r}->{ident or 'unresolved'}"
        for name, (spoken, ident) in resolution.slots.items()
    )
    how = {
        EXACT: "exact",
        NEAR: f"near: {resolution.score:.2f} similar to {resolution.sample!r}",
        CONTAINED: f"contains {resolution.sample!r}, {resolution.score:.0%} of the line",
        UNLISTED: "exact, slot value not in the catalogue",
    }.get(resolution.match, "no match")
    return f"intent: {resolution.intent} {slots} ({how})".replace("  ", " ")


@click.command()
@click.option(
    "--url",
    metavar="URL",
    help="Send requests to a running server (e.g. http://127.0.0.1:8080/alexa) instead of an "
    "in-process skill. Run the server with --no-verify: the console cannot sign requests.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file for progress (default: a temporary one, removed at the end).",
)
@click.option(
    "--script",
    "scripts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run a scripted conversation instead of the console (repeatable).",
)
@click.option(
    "--show-intent", is_flag=True, help="Print the intent and slots each line resolved to."
)
@click.option(
    "--audio-base-url",
    envvar="AUDIO_BASE_URL",
    metavar="URL",
    help="Where cues are hosted (default: $AUDIO_BASE_URL); replies then carry <audio> cues.",
)
@click.option(
    "--audio-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Settings().audio_dir,
    show_default=True,
    help="Local cues and manifest.json.",
)
@click.option("--play", is_flag=True, help="Play the cues from --audio-dir (ffplay, mpg123, ...).")
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Interaction model to resolve every line against (default: the locale's own, "
    "interaction_model/<locale>.json).",
)
@click.option(
    "--screen",
    is_flag=True,
    help="Be a device with a screen (an Echo Show): print what it shows; --touch NAME touches.",
)
@click.option(
    "--locale",
    default=DEFAULT_LOCALE,
    show_default=True,
    callback=lambda _ctx, _param, value: _known_locale(value),
    help="The device's locale (en-GB, en-CA, en-AU, en-IN): the skill answers in its bundle "
    "and lines are resolved with its model. A script's own locale line wins.",
)
@click.option("--skill-id", default=None, help="Skill id in the envelopes (the server's).")
@click.option("--user-id", default=None, help="Alexa user id (default: one fixed console user).")
def chat(
    url: str | None,
    db: Path | None,
    scripts: tuple[Path, ...],
    show_intent: bool,
    audio_base_url: str | None,
    audio_dir: Path,
    play: bool,
    model_path: Path | None,
    screen: bool,
    locale: str,
    skill_id: str | None,
    user_id: str | None,
) -> None:
    """Talk to the skill the way Alexa does: each line you type becomes a request.

    \b
    Type what you would say: "open workout planner", "start the upper back routine", "next",
    "it hurts". An empty line is silence. "quit" or Ctrl-D ends the session.

    \b
    --script FILE runs a scripted conversation and checks the replies (exit 0 when all pass,
    1 on a mismatch, 2 for a malformed script):
      # a comment
      @ locale en-GB
      > open workout planner
      < Welcome to Workout Planner
      ! Step one
      > I have chest pain
      < Call {emergency_number_said} right away

    A script's "@ locale" line wins over --locale; "{...}" are the locale's facts.

    \b
    --screen is an Echo Show: under each reply it prints what the screen shows and what it
    offers to touch; "--touch NAME" (typed, or a script line) touches NAME:
      workout-planner chat --screen
      you> --touch It hurts — stop

    With --url the server keeps its own store (--db is for the in-process skill).
    """
    settings = dataclasses.replace(
        Settings.from_env(),
        audio_dir=audio_dir,
        audio_base_url=(audio_base_url or "").rstrip("/") or None,
    )
    player = CuePlayer(audio_dir) if play else None
    audible = player is not None and player.command is not None
    if audible and url is None and settings.audio_base_url is None:
        # Only hosted cues become <audio>; point the skill at the local files to hear them.
        # With no player to hear them, the replies keep their words instead of cue names.
        settings = dataclasses.replace(settings, audio_base_url=audio_dir.resolve().as_uri())
    cues, manifest_note = cue_book(audio_dir)
    skill_id = skill_id or settings.skill_id or DEFAULT_SKILL_ID

    def connect() -> Channel:
        return OverHttp(url) if url else InProcess(settings, db)

    # --model hears every line with one file; otherwise each locale with its own model.
    fixed = load_resolver(model_path, locale) if model_path else None
    resolvers = _Resolvers(fixed)
    if scripts:
        person = (lambda: user_id) if user_id else (lambda: f"amzn1.ask.account.{uuid.uuid4().hex}")
        raise SystemExit(
            _run_scripts(
                scripts, connect, resolvers, skill_id, person, cues, screen=screen, locale=locale
            )
        )

    notes = []
    if (settings.audio_base_url or play) and manifest_note:
        notes.append(manifest_note)
    if player is not None and player.note:
        notes.append(f"{player.note}; showing the words instead")
    channel = connect()
    session = AlexaSession(
        skill_id=skill_id, user_id=user_id or CONSOLE_USER_ID, screen=screen, locale=locale
    )
    console = Console(channel, resolvers(locale), session, *cues)
    click.echo('Workout Planner console. Say "open workout planner" (or press Enter) to begin;')
    click.echo('"quit" or Ctrl-D to end.')
    for note in [*channel.notes, *notes]:
        click.echo(f"  note: {note}")
    try:
        _repl(console, show_intent=show_intent, player=player)
    finally:
        channel.close()


def _repl(console: Console, *, show_intent: bool, player: CuePlayer | None) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        try:
            line = input("you> ")
            if not sys.stdin.isatty():  # piped or scripted input: show what was "said"
                click.echo(line)
        except (EOFError, KeyboardInterrupt):
            click.echo()
            line = "quit"
        if line.strip().lower() in QUIT:
            _quit(console)
            return
        try:
            exchange = console.say(line)
        except (ChannelError, TouchError) as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        for out in format_exchange(exchange, show_intent=show_intent):
            click.echo(out)
        if player is not None:
            for problem in player.play(exchange.heard.cues):
                click.echo(f"  note: {problem}")


def _quit(console: Console) -> None:
    try:
        ended = console.end()
    except ChannelError as exc:  # leaving anyway: say so, don't loop
        click.echo(f"error: {exc}", err=True)
        return
    if ended is not None:
        click.echo("(session ended: SessionEndedRequest sent)")


def _known_locale(value: str) -> str:
    try:
        return spoken_locale(value)
    except UnknownLocale as exc:
        raise click.BadParameter(str(exc)) from None


class _Resolvers:
    """Each locale's resolver, built once per run (or the one ``--model`` names, for all)."""

    def __init__(self, fixed: Resolver | None) -> None:
        self.fixed = fixed
        self._built: dict[str, Resolver] = {}

    def __call__(self, locale: str) -> Resolver:
        if self.fixed is not None:
            return self.fixed
        if locale not in self._built:
            self._built[locale] = resolver_for(locale)
        return self._built[locale]


def _run_scripts(
    scripts: tuple[Path, ...],
    connect: Callable[[], Channel],
    resolvers: Callable[[str], Resolver],
    skill_id: str,
    person: Callable[[], str],
    cues: CueBook,
    *,
    screen: bool = False,
    locale: str = DEFAULT_LOCALE,
) -> int:
    """Run each script in its own locale (its ``@ locale`` line), else in ``locale``."""
    failed = 0
    for path in scripts:
        try:
            script = load_script(path)
        except ScriptError as exc:
            click.echo(f"error: {exc}", err=True)
            return 2
        speaks = script.locale or locale
        # Each script is a first-time user: a new user id, and a new store unless --db.
        channel = connect()
        try:
            session = AlexaSession(
                skill_id=skill_id, user_id=person(), screen=screen, locale=speaks
            )
            console = Console(channel, resolvers(speaks), session, *cues)
            result = run_script(script, console, resolvers)
        except ChannelError as exc:
            click.echo(f"error: {path}: {exc}", err=True)
            failed += 1
            continue
        finally:
            channel.close()
        click.echo(result.summary(), err=not result.ok)
        failed += not result.ok
    total = len(scripts)
    click.echo(f"{total - failed} of {total} scripts passed")
    return 1 if failed else 0
