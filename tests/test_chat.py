"""The chat console and its script runner, against the real skill (in process and over HTTP).

The transcripts in tests/transcripts/ are whole conversations: the project's end-to-end tests.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from click.testing import CliRunner

from skill.audio.manifest import MANIFEST_NAME, CueFile, write_manifest
from skill.chat import ChannelError, Console, InProcess, OverHttp, parse_script, run_script
from skill.chat import play as play_module
from skill.chat.cli import _repl, chat, describe
from skill.chat.console import SILENCE
from skill.chat.models import load_resolver, resolver_for
from skill.chat.script import ScriptError
from skill.chat.view import Heard, plain
from skill.content import bundled_locales, load_content
from skill.factory import build_skill, invoke
from skill.nlu import Resolver
from skill.settings import Settings
from tests.support import transcripts
from tests.support.transcripts import Case, Run

TRANSCRIPTS = sorted(transcripts.TRANSCRIPTS.glob("*.txt"))
# Unset whatever the developer's shell has, so the console runs the same everywhere.
CLEAN_ENV: dict[str, str | None] = {"AUDIO_BASE_URL": None, "ALEXA_SKILL_ID": None}


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_file()


@pytest.fixture
def channel(tmp_path) -> Iterator[InProcess]:
    channel = InProcess(Settings(), tmp_path / "progress.sqlite3")
    yield channel
    channel.close()


class Recording:
    """A channel that keeps every envelope it passes on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(envelope)
        return self.inner.send(envelope)

    def close(self) -> None:
        self.inner.close()


def run_chat(*args: str, input: str | None = None) -> Any:
    return CliRunner(env=CLEAN_ENV).invoke(chat, list(args), input=input)


# -- the transcripts --------------------------------------------------------------------------


def test_the_required_conversations_are_scripted():
    names = {path.stem for path in TRANSCRIPTS}
    assert {
        "first_routine",  # first launch, screening, the whole upper back routine, completion
        "pain_mid_routine",  # pain stops the routine; "next" does not carry it on
        "faq_mid_routine",  # a question mid-routine, then "next" picks up at the same step
        "red_flag_and_chest_pain",
        "screening_yes",  # upper back declined, the shoulder release guided
    } <= names


@pytest.mark.parametrize("case", transcripts.params())
def test_transcript(case: Case, transcript_run: Callable[[Case], Run]) -> None:
    run = transcript_run(case)
    assert run.result.ok, run.result.summary()
    assert run.result.checks > 0
    assert run.result.locale == case.locale and run.locales_sent == {case.locale}


def test_each_transcript_runs_in_every_locale_unless_it_names_its_own():
    locales = bundled_locales()
    assert len(locales) == 5
    runs: dict[str, list[str]] = {}
    for case in transcripts.cases():
        runs.setdefault(case.path.name, []).append(case.locale)
    assert runs["first_routine.txt"] == list(locales)
    assert runs["red_flag_and_chest_pain.txt"] == list(locales)
    assert runs["safety_en-GB.txt"] == ["en-GB"]  # it names its locale: that one only
    assert runs["safety_en-AU.txt"] == ["en-AU"] and runs["safety_en-IN.txt"] == ["en-IN"]
    assert all(len(found) in (1, len(locales)) for found in runs.values())
    ids = [param.id for param in transcripts.params()]
    assert "first_routine.txt[en-GB]" in ids and "safety_en-AU.txt[en-AU]" in ids


def test_the_command_runs_every_script():
    args = [arg for path in TRANSCRIPTS for arg in ("--script", str(path))]
    result = run_chat(*args)
    assert result.exit_code == 0, result.output
    assert f"{len(TRANSCRIPTS)} of {len(TRANSCRIPTS)} scripts passed" in result.output


def test_a_failing_script_exits_non_zero_and_names_the_line(tmp_path):
    script = tmp_path / "wrong.txt"
    script.write_text(
        "# expects the wrong thing on line 4\n"
        "> open workout planner\n"
        "< Welcome to Workout Planner\n"
        "< Goodbye forever\n"
        "> next\n",
        encoding="utf-8",
    )
    result = run_chat("--script", str(script))
    assert result.exit_code == 1
    assert f"{script}:4: expected 'Goodbye forever'" in result.output
    assert "in the reply to 'open workout planner' (line 2, in en-US)" in result.output
    assert "speech: Welcome to Workout Planner." in result.output
    assert "0 of 1 scripts passed" in result.output


def test_a_forbidden_phrase_and_a_wrong_intent_fail(tmp_path, channel, resolver):
    script = tmp_path / "forbid.txt"
    script.write_text("> open workout planner\n! welcome\n", encoding="utf-8")
    result = run_script(script, Console(channel, resolver))
    assert not result.ok
    assert "forbid.txt:2: did not expect 'welcome'" in result.summary()

    script.write_text("> it hurts\n= AMAZON.NextIntent\n", encoding="utf-8")
    result = run_script(script, Console(channel, resolver))
    assert "expected the intent AMAZON.NextIntent" in result.summary()
    assert "PainIntent" in result.summary()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("< hello\n> open workout planner\n", ":1: '<' before anything was said"),
        ("> open workout planner\nhello\n", ":2: a line starts with one of"),
        ("> open workout planner\n<\n", ":2: '<' needs a phrase"),
        ("# nothing\n", "nothing is said"),
    ],
)
def test_a_malformed_script_is_refused(tmp_path, text, problem):
    with pytest.raises(ScriptError, match=problem):
        parse_script(text, "s.txt")
    script = tmp_path / "bad.txt"
    script.write_text(text, encoding="utf-8")
    assert run_chat("--script", str(script)).exit_code == 2


# -- the console ------------------------------------------------------------------------------


def test_the_console_prints_speech_reprompt_and_card(tmp_path):
    lines = "open workout planner\nstart the upper back routine\nno\nquit\n"
    result = run_chat("--show-intent", "--db", str(tmp_path / "p.sqlite3"), input=lines)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Alexa: Welcome to Workout Planner." in out
    assert "reprompt: Shall we start the upper back routine?" in out
    assert "card: [Workout Planner] Welcome to Workout Planner." in out
    assert "intent: StartRoutineIntent routine='upper back'->upper_back (exact)" in out
    assert "Alexa: Got it. Let's do the upper back routine" in out  # the third turn's wording
    assert "card: [Step 1 of 5: Warm up]" in out
    assert "(session ended: SessionEndedRequest sent)" in out


def test_ctrl_d_ends_the_session(tmp_path):
    result = run_chat(input="open workout planner\n")
    assert result.exit_code == 0, result.output
    assert "(session ended: SessionEndedRequest sent)" in result.output


def test_a_turn_that_ends_the_session_says_so():
    result = run_chat(input="open workout planner\nstop\nquit\n")
    assert "Alexa: Take it easy. Goodbye!" in result.output  # the second turn's wording
    assert '(session ended; say "open workout planner" to start again)' in result.output


def test_sessions_are_carried_the_way_alexa_carries_them(channel, resolver):
    recording = Recording(channel)
    console = Console(recording, resolver)
    console.say("open workout planner")
    console.say("start the upper back routine")
    console.say("no")
    first, second, third = recording.sent
    assert first["request"]["type"] == "LaunchRequest"
    assert [e["session"]["new"] for e in recording.sent] == [True, False, False]
    assert len({e["session"]["sessionId"] for e in recording.sent}) == 1
    assert third["session"]["attributes"]["workoutPlanner"]["pending_routine_id"] == "upper_back"
    slot = second["request"]["intent"]["slots"]["routine"]
    assert slot["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["id"] == (
        "upper_back"
    )

    assert console.say("stop").heard.ended
    console.say("open workout planner")
    reopened = recording.sent[-1]
    assert reopened["session"]["new"] is True
    assert reopened["session"]["sessionId"] != first["session"]["sessionId"]
    users = {e["session"]["user"]["userId"] for e in recording.sent}
    assert len(users) == 1

    console.end()
    ended = recording.sent[-1]
    assert ended["request"]["type"] == "SessionEndedRequest"
    assert ended["request"]["reason"] == "USER_INITIATED"
    assert ended["session"]["sessionId"] == reopened["session"]["sessionId"]
    assert console.end() is None  # nothing open: nothing sent
    assert len(recording.sent) == 5 + 1


def test_silence_opens_the_skill_then_reprompts_then_ends(channel, resolver):
    recording = Recording(channel)
    console = Console(recording, resolver)
    assert console.say("").request == "LaunchRequest"
    quiet = console.say("")
    assert quiet.request == SILENCE
    reprompt = "Shall we start the upper back routine? Say yes, or name another."
    assert quiet.heard.speech == reprompt
    assert len(recording.sent) == 1  # Alexa replays the reprompt itself
    gone = console.say("")
    assert gone.request == "SessionEndedRequest"
    assert recording.sent[-1]["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS"
    assert not console.in_session


def test_opening_the_skill_again_starts_a_new_session(channel, resolver):
    recording = Recording(channel)
    console = Console(recording, resolver)
    console.say("open workout planner")
    console.say("ask workout planner to start stretching")
    before, after = recording.sent
    assert after["session"]["new"] is True
    assert after["session"]["sessionId"] != before["session"]["sessionId"]


def test_a_model_file_is_optional(tmp_path):
    assert load_resolver(tmp_path / "missing.json").resolve("next").intent == "AMAZON.NextIntent"


# -- over HTTP --------------------------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _minimal_app(skill: Any) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        out = json.dumps(invoke(skill, body)).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [out]

    return app


def _web_app(tmp_path: Path) -> Any:
    settings = Settings(verify_signatures=False, db_path=tmp_path / "web.sqlite3")
    try:
        from skill.web.flask_app import create_app
    except ImportError:
        return _minimal_app(build_skill(settings=settings))
    return create_app({"SETTINGS": settings})


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/alexa"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(tmp_path) -> Iterator[str]:
    with _serve(_web_app(tmp_path)) as url:
        yield url


def test_a_script_runs_against_a_server(server):
    result = run_chat("--url", server, "--script", str(TRANSCRIPTS[0]))
    assert result.exit_code == 0, result.output
    assert "1 of 1 scripts passed" in result.output


def test_the_console_talks_to_a_server(server):
    result = run_chat("--url", server, input="open workout planner\nquit\n")
    assert result.exit_code == 0, result.output
    assert f"server: {server} (it must run with --no-verify)" in result.output
    assert "Alexa: Welcome to Workout Planner." in result.output


def test_a_server_that_refuses_says_why():
    def refuse(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"bad signature"]

    with _serve(refuse) as url, pytest.raises(ChannelError, match="--no-verify"):
        OverHttp(url).send({"request": {"type": "LaunchRequest"}})


def test_an_unreachable_server_is_an_error_not_a_crash(tmp_path):
    with _serve(_minimal_app(None)) as url:
        pass  # started and stopped: nothing listens there now
    result = run_chat("--url", url, input="open workout planner\nquit\n")
    assert result.exit_code == 0
    assert "error: cannot reach" in result.output
    script = tmp_path / "s.txt"
    script.write_text("> open workout planner\n< Welcome\n", encoding="utf-8")
    assert run_chat("--url", url, "--script", str(script)).exit_code == 1


def test_leaving_when_the_server_is_gone_does_not_hang(channel, resolver, monkeypatch, capsys):
    class Gone(Recording):
        def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
            if envelope["request"]["type"] == "SessionEndedRequest":
                raise ChannelError("cannot reach the server")
            return super().send(envelope)

    lines = iter(["open workout planner"])

    def typed(prompt: str = "") -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", typed)
    _repl(Console(Gone(channel), resolver), show_intent=False, player=None)
    captured = capsys.readouterr()
    assert "Alexa: Welcome to Workout Planner." in captured.out
    assert "error: cannot reach the server" in captured.err


# -- cues -------------------------------------------------------------------------------------


@pytest.fixture
def audio_dir(tmp_path) -> Path:
    """A manifest (and stand-in MP3 files) for every cue of every bundled locale."""
    directory = tmp_path / "audio"
    directory.mkdir()
    base = {spec.id: spec.text for spec in load_content().cue_specs()}
    cues = {}
    for locale in bundled_locales():
        for spec in load_content(locale).cue_specs():
            own = "" if base.get(spec.id) == spec.text else f"-{locale}"
            name = spec.id.replace(".", "-") + own + ".mp3"
            (directory / name).write_bytes(b"ID3")
            cues[f"{locale}/{spec.id}"] = CueFile(name, spec.text, 1.0, "test", "0" * 64)
    write_manifest(directory / MANIFEST_NAME, cues)
    return directory


def test_hosted_cues_are_shown(audio_dir):
    base = ["--audio-base-url", "https://cdn.example/audio", "--audio-dir", str(audio_dir)]
    result = run_chat(*base, input="open workout planner\nquit\n")
    assert result.exit_code == 0, result.output
    said = "Alexa: [cue: en-US/prompt.welcome_first] [cue: en-US/prompt.disclaimer]"
    assert said in result.output
    assert "  cues: en-US/prompt.welcome_first, en-US/prompt.disclaimer," in result.output


def test_hosted_cues_are_shown_by_their_locale_s_ids(audio_dir):
    """en-GB's own chest-pain cue, and the base's file under en-GB's id where they share it."""
    base = ["--audio-base-url", "https://cdn.example/audio", "--audio-dir", str(audio_dir)]
    lines = "open workout planner\nI have chest pain\nquit\n"
    result = run_chat(*base, "--locale", "en-GB", input=lines)
    assert result.exit_code == 0, result.output
    assert "  cues: en-GB/prompt.welcome_first, en-GB/prompt.disclaimer," in result.output
    assert "Alexa: [cue: en-GB/prompt.chest_pain]" in result.output
    assert "en-US/" not in result.output


def test_play_plays_the_locale_s_own_cue_files(audio_dir, played):
    lines = "open workout planner\nI have chest pain\nquit\n"
    result = run_chat("--play", "--audio-dir", str(audio_dir), "--locale", "en-GB", input=lines)
    assert result.exit_code == 0, result.output
    assert played()[0] == "prompt-welcome_first.mp3"  # en-GB says it as en-US does: one file
    assert "prompt-chest_pain-en-GB.mp3" in played()


def test_scripts_match_the_words_of_hosted_cues(audio_dir):
    args = ["--audio-base-url", "https://cdn.example/audio", "--audio-dir", str(audio_dir)]
    result = run_chat(*args, "--script", str(TRANSCRIPTS[0]))
    assert result.exit_code == 0, result.output


def test_without_a_manifest_cues_are_spoken_as_text(tmp_path):
    args = ["--audio-base-url", "https://cdn.example/audio", "--audio-dir", str(tmp_path)]
    result = run_chat(*args, input="open workout planner\nquit\n")
    assert "manifest.json: cues are spoken as text" in result.output
    assert "Alexa: Welcome to Workout Planner." in result.output


@pytest.fixture
def played(tmp_path, monkeypatch):
    """The only player found is a script that notes the files it is given; returns them."""
    log = tmp_path / "played.txt"
    player = tmp_path / "fakeplay"
    player.write_text(f'#!/bin/sh\necho "$1" >> {log}\n', encoding="utf-8")
    player.chmod(0o755)
    monkeypatch.setattr(play_module, "PLAYERS", ((str(player),),))
    return lambda: [Path(line).name for line in log.read_text(encoding="utf-8").split()]


def test_play_uses_the_first_player_found(audio_dir, played):
    result = run_chat("--play", "--audio-dir", str(audio_dir), input="open workout planner\nquit\n")
    assert result.exit_code == 0, result.output
    assert played()[:2] == ["prompt-welcome_first.mp3", "prompt-disclaimer.mp3"]


def test_play_without_a_player_says_so(audio_dir, monkeypatch):
    monkeypatch.setattr(play_module, "PLAYERS", (("no-such-player-here",),))
    result = run_chat("--play", "--audio-dir", str(audio_dir), input="quit\n")
    assert "no audio player found (tried no-such-player-here)" in result.output
    assert "showing the words instead" in result.output


def test_play_without_a_player_shows_the_words_not_cue_names(audio_dir, monkeypatch):
    monkeypatch.setattr(play_module, "PLAYERS", (("no-such-player-here",),))
    result = run_chat("--play", "--audio-dir", str(audio_dir), input="open workout planner\nquit\n")
    assert "[cue:" not in result.output
    assert "Welcome to Workout Planner" in result.output


def test_a_missing_cue_file_is_noted(tmp_path):
    cue_player = play_module.CuePlayer(tmp_path, (sys.executable, "-c", "pass"))
    assert cue_player.play(["https://cdn.example/audio/absent.mp3"]) == [
        f"cue file not found: {tmp_path / 'absent.mp3'}"
    ]


# -- reading replies --------------------------------------------------------------------------


def test_ssml_reads_as_text_with_cues_marked():
    ssml = (
        '<speak>Hi <audio src="https://x.example/a/step-1.mp3"/> there &amp; '
        '<break time="1s"/>bye</speak>'
    )
    assert plain(ssml) == "Hi [cue: step-1.mp3] there & bye"
    assert plain(ssml, {"step-1.mp3": "Step one."}) == "Hi Step one. there & bye"


def test_an_empty_response_has_ended():
    heard = Heard.from_response({"version": "1.0", "response": {}})
    assert heard.ended and heard.speech == "" and not heard.contains("anything")


# -- what a line resolved to, said honestly ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("next", "intent: AMAZON.NextIntent (exact)"),
        ("nxt", "intent: AMAZON.NextIntent (near: 0.86 similar to 'next')"),
        ("my back hurts a lot when I twist", "(contains 'my back hurts a lot', 59% of the line)"),
        ("start yoga", "routine='yoga'->unresolved (exact, slot value not in the catalogue)"),
        ("purple monkey dishwasher", "intent: AMAZON.FallbackIntent (no match)"),
    ],
)
def test_show_intent_says_how_a_line_matched(resolver, line, shown):
    described = describe(resolver.resolve(line))
    assert shown in described
    if "contains" in shown:
        assert "near" not in described  # a sample inside a longer line is not a similarity


# -- "done" and "I'm done": the step is done inside a routine ---------------------------------


def test_done_in_a_routine_finishes_the_step_and_outside_one_says_there_is_none(channel, resolver):
    content = load_content()
    console = Console(channel, resolver)
    console.say("open workout planner")
    console.say("start the upper back routine")
    assert "Step one of five" in console.say("no").heard.speech
    said = console.say("I'm done")
    assert said.resolution is not None and said.resolution.intent == "AMAZON.NextIntent"
    assert "Step two of five" in said.heard.speech
    assert "Step three of five" in console.say("done").heard.speech

    outside = Console(channel, resolver)
    outside.say("open workout planner")
    heard = outside.say("I'm done").heard
    variants = content.prompts["not_in_routine"]
    variants = (variants,) if isinstance(variants, str) else variants
    assert any(variant in heard.speech for variant in variants), heard.speech
    assert not heard.ended
    assert "Step" not in heard.speech


def test_im_done_for_today_stops(channel, resolver):
    console = Console(channel, resolver)
    console.say("open workout planner")
    assert console.say("I'm done for today").heard.ended


@pytest.mark.parametrize(
    ("locale", "number"),
    [("en-GB", "nine nine nine"), ("en-AU", "triple zero"), ("en-IN", "one one two")],
)
def test_the_console_talks_in_the_locale_given(locale, number):
    result = run_chat("--locale", locale, input="open workout planner\nI have chest pain\n")
    assert result.exit_code == 0, result.output
    assert f"Call {number} right away" in result.output


# -- locales: the console and its scripts talk in one, heard by its own model ------------------

#: A line only the en-GB and en-AU models know: their "physiotherapist" synonym of the FAQ topic.
REGIONAL = "tell me about should I see a physiotherapist"


def test_each_locale_is_heard_by_its_own_model(tmp_path):
    heard = {
        locale: resolver_for(locale).resolve(REGIONAL).slots.get("topic")
        for locale in ("en-US", "en-GB")
    }
    assert heard["en-GB"] == ("should i see a physiotherapist", "see_doctor")
    assert heard["en-US"] is None
    # Without the model file, the model is built from that locale's bundle, not en-US's.
    built = resolver_for("en-GB", tmp_path).resolve(REGIONAL)
    assert built.slots == {"topic": ("should i see a physiotherapist", "see_doctor")}


@pytest.mark.parametrize(("locale", "topic"), [("en-GB", "->see_doctor"), ("en-US", None)])
def test_the_console_resolves_lines_with_the_locale_model(locale, topic):
    result = run_chat("--locale", locale, "--show-intent", input=f"{REGIONAL}\nquit\n")
    assert result.exit_code == 0, result.output
    described = next(line for line in result.output.splitlines() if "intent:" in line)
    assert (topic in described) if topic else ("topic=" not in described), described


def test_a_model_file_given_overrides_the_locale_model(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(
        json.dumps(_one_intent_model("ThanksIntent", "much obliged old bean")), "utf-8"
    )
    args = ["--locale", "en-GB", "--model", str(model), "--show-intent"]
    result = run_chat(*args, input="open workout planner\nmuch obliged old bean\nquit\n")
    assert result.exit_code == 0, result.output
    assert "intent: ThanksIntent (exact)" in result.output
    assert (
        run_chat(
            "--locale", "en-GB", "--show-intent", input="much obliged old bean\n"
        ).output.count("ThanksIntent")
        == 0
    )


def _one_intent_model(intent: str, sample: str) -> dict[str, Any]:
    language = {
        "invocationName": "workout planner",
        "intents": [{"name": intent, "samples": [sample]}],
    }
    return {"interactionModel": {"languageModel": language}}


@pytest.mark.parametrize("locale", ["en-NZ", "fr-FR", "english"])
def test_an_unknown_locale_is_a_usage_error(locale):
    result = run_chat("--locale", locale, input="quit\n")
    assert result.exit_code == 2
    assert f"Invalid value for '--locale': no content for the locale {locale!r}" in result.output
    assert "Traceback" not in result.output


def test_a_locale_tag_is_taken_whatever_its_case(tmp_path):
    result = run_chat("--locale", "en_gb", input="open workout planner\nI have chest pain\n")
    assert result.exit_code == 0, result.output
    assert "Call nine nine nine right away" in result.output


def _script(tmp_path: Path, text: str, name: str = "s.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CHEST_PAIN = (
    "> open workout planner\n> I have chest pain\n< Call {emergency_number_said} right away\n"
)


def test_a_script_that_names_its_locale_talks_in_it(tmp_path, channel, resolver):
    script = _script(tmp_path, "# in the UK\n@ locale en-GB\n" + REGIONAL_SCRIPT)
    assert parse_script(script.read_text(), str(script)).locale == "en-GB"
    recording = Recording(channel)
    result = run_script(script, Console(recording, resolver))  # an en-US console
    assert result.ok, result.summary()
    assert result.summary().startswith(f"{script}: ok in en-GB")
    assert {envelope["request"]["locale"] for envelope in recording.sent} == {"en-GB"}


def test_the_locale_changes_only_between_sessions(channel, resolver):
    console = Console(channel, resolver)
    console.say("open workout planner")
    with pytest.raises(ValueError, match="between sessions"):
        console.talk_in("en-GB", resolver)
    assert console.session.locale == "en-US"
    console.end()
    console.talk_in("en-AU", resolver)
    assert "Call triple zero right away" in console.say("I have chest pain").heard.speech


#: Passes only in en-GB: its number, and a line its model alone resolves to the FAQ topic.
REGIONAL_SCRIPT = (
    "> open workout planner\n"
    f"> {REGIONAL}\n"
    "= FaqIntent\n"
    "< see your GP or a physiotherapist\n"
    "> I have chest pain\n"
    "< Call nine nine nine right away\n"
)


def test_the_script_locale_line_wins_over_the_command_line(tmp_path):
    named = _script(tmp_path, "@ locale en-GB\n" + REGIONAL_SCRIPT, "named.txt")
    unnamed = _script(tmp_path, CHEST_PAIN, "unnamed.txt")
    result = run_chat("--locale", "en-AU", "--script", str(named), "--script", str(unnamed))
    assert result.exit_code == 0, result.output
    assert f"{named}: ok in en-GB" in result.output
    assert f"{unnamed}: ok in en-AU" in result.output  # --locale: for scripts without the line


def test_a_script_locale_line_is_heard_with_a_model_given(tmp_path):
    # --model overrides the locale's model for the script's lines too; the locale still talks.
    model = tmp_path / "model.json"
    model.write_text(json.dumps(_one_intent_model("ChestPainIntent", "ticker trouble")), "utf-8")
    script = _script(tmp_path, "@ locale en-AU\n> ticker trouble\n< Call triple zero\n")
    result = run_chat("--model", str(model), "--script", str(script))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_placeholders_are_the_facts_of_the_locale_talked_in(tmp_path, locale):
    right = _script(tmp_path, CHEST_PAIN + "! {urgent_route_said}\n", "right.txt")
    wrong = _script(tmp_path, "> I have chest pain\n! {emergency_number_said}\n", "wrong.txt")
    result = run_chat("--locale", locale, "--script", str(right), "--script", str(wrong))
    assert result.exit_code == 1
    assert f"{right}: ok in {locale}" in result.output
    facts = load_content(locale).facts
    assert f"{wrong}:2: did not expect {facts.emergency_number_said!r}" in result.output
    assert f"(line 1, in {locale})" in result.output


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("> hi\n@ locale en-GB\n", ":2: '@ locale' comes once, before anything is said"),
        ("@ locale en-GB\n@ locale en-AU\n> hi\n", ":2: '@ locale' comes once"),
        ("@ language en-GB\n> hi\n", ":1: the setting line is '@ locale <tag>'"),
        ("@ locale\n> hi\n", ":1: the setting line is '@ locale <tag>'"),
        ("@ locale British\n> hi\n", ":1: 'British' is not a locale tag like en-GB"),
        ("@ locale en-NZ\n> hi\n", ":1: no content for the locale en-NZ; one of: en-US"),
        ("> hi\n< call {emergency_numbr}\n", ":2: {emergency_numbr} is not a locale fact"),
        ("> hi\n! {}\n", ":2: {} is not a locale fact; one of: {country}"),
    ],
)
def test_a_malformed_locale_line_or_placeholder_is_refused(tmp_path, text, problem):
    script = _script(tmp_path, text)
    result = run_chat("--script", str(script))
    assert result.exit_code == 2
    assert f"error: {script}{problem}" in result.output
