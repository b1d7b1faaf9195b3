"""The screen: APL documents validated by Amazon's validator, the data they bind, and touch.

Whole routines run with a screen (tests/transcripts/screen/); every document the skill sends
there is checked against the data source sent with it, and every touch is the same machine
event as the spoken intent, so the safety rules hold for touch too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.apl import APL_DIR, DOCUMENTS, document
from skill.chat import Console, InProcess, run_script
from skill.content import ContentError
from skill.content.loader import CONTENT_DIR, load_content_from
from skill.display import MAX_RESPONSE_BYTES
from skill.envelopes import AlexaSession
from skill.factory import build_skill, invoke
from skill.machine import Event
from skill.nlu import Resolver
from skill.reply import Line, Reply
from skill.screen import END_TONE_SECONDS, TOUCH_EVENTS, screen_for, touch_turn
from skill.settings import Settings
from skill.speech import HostedCue, SpeechRenderer
from skill.state import Memory, SessionState, State
from tests.support import transcripts
from tests.support.dialogue import Dialogue

ROOT = Path(__file__).resolve().parent.parent
SCREEN_TRANSCRIPTS = sorted(transcripts.SCREEN_TRANSCRIPTS.glob("*.txt"))
VALIDATOR = Path(__file__).parent / "support" / "apl" / "validate.js"
LAYOUTS = Path(__file__).parent / "support" / "apl" / "packages" / "alexa-layouts" / "1.7.0.json"
BINDING = re.compile(r"\$\{(.*?)\}")
PAYLOAD_PATH = re.compile(r"\bpayload((?:\.[A-Za-z_]\w*)+)")
DATA_PATH = re.compile(r"\bdata\.([A-Za-z_]\w*)")
RENDER = "Alexa.Presentation.APL.RenderDocument"


class Recording:
    """A channel that keeps every response it passes back."""

    def __init__(self, inner: InProcess) -> None:
        self.inner = inner
        self.notes: list[str] = []
        self.responses: list[dict[str, Any]] = []

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.inner.send(envelope)
        self.responses.append(response)
        return response

    def close(self) -> None:
        self.inner.close()


def directives(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in response.get("response", {}).get("directives") or [] if d["type"] == RENDER]


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_file()


@pytest.fixture(scope="module")
def screen_run(tmp_path_factory, resolver) -> list[dict[str, Any]]:
    """Every response of every screen transcript, which must pass."""
    responses: list[dict[str, Any]] = []
    for path in SCREEN_TRANSCRIPTS:
        channel = Recording(InProcess(Settings(), tmp_path_factory.mktemp("db") / "p.sqlite3"))
        try:
            result = run_script(path, Console(channel, resolver, AlexaSession(screen=True)))
        finally:
            channel.close()
        assert result.ok, result.summary()
        responses.extend(channel.responses)
    return responses


@pytest.fixture(scope="module")
def rendered(screen_run) -> list[dict[str, Any]]:
    return [d for response in screen_run for d in directives(response)]


# -- the transcripts --------------------------------------------------------------------------


@pytest.mark.parametrize("case", transcripts.params(transcripts.SCREEN_TRANSCRIPTS))
def test_screen_transcript(case, tmp_path):
    run = transcripts.run(case, tmp_path, screen=True)
    assert run.result.ok, run.result.summary()
    assert run.locales_sent == {case.locale}


def test_the_transcripts_show_every_screen(rendered):
    assert {d["token"].removeprefix("workoutPlanner.") for d in rendered} == set(DOCUMENTS)


def test_the_console_prints_the_screen_and_touches_it(tmp_path):
    from click.testing import CliRunner

    from skill.chat.cli import chat

    lines = "open workout planner\nstart stretching\nno\n--touch pause\n--touch nothing\nquit\n"
    result = CliRunner(env={"AUDIO_BASE_URL": None}).invoke(chat, ["--screen"], input=lines)
    assert result.exit_code == 0, result.output
    assert "screen (step):" in result.output
    assert "countdown: 0:20" in result.output
    assert "touch: previous [Back], repeat [Repeat], pause [Pause], next [Next]" in result.output
    assert "Step 1 of 6 · Paused" in result.output
    assert "no touch target 'nothing' on the screen (it offers resume, pain)" in result.output


def test_a_script_touching_what_is_not_shown_fails_on_that_line(tmp_path, resolver):
    script = tmp_path / "touch.txt"
    script.write_text("> open workout planner\n> --touch next\n< anything\n")
    channel = InProcess(Settings(), tmp_path / "progress.sqlite3")
    try:
        result = run_script(script, Console(channel, resolver, AlexaSession(screen=True)))
    finally:
        channel.close()
    assert not result.ok
    assert result.mismatch is not None and result.mismatch.line == 2
    assert "no touch target 'next'" in str(result.mismatch)


# -- Amazon's validator -----------------------------------------------------------------------


def validate(payload: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "apl-suggester").is_dir():
        pytest.fail("node and node_modules/apl-suggester are needed: run `make setup` (npm ci)")
    completed = subprocess.run(
        [node, str(VALIDATOR)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert isinstance(results, dict)
    return results


def test_every_document_validates_with_zero_warnings():
    results = validate({"documents": {name: document(name) for name in DOCUMENTS}})
    assert set(results) == set(DOCUMENTS)
    assert results == {name: [] for name in DOCUMENTS}


def test_every_data_source_sent_validates_with_zero_warnings(rendered):
    sources = {f"{i}:{d['token']}": d["datasources"] for i, d in enumerate(rendered)}
    assert validate({"datasources": sources}) == {name: [] for name in sources}


def test_the_validator_does_warn():
    """A broken document, an unknown layout and an import it cannot have all warn."""
    broken = json.loads(json.dumps(document("stop")))
    broken["mainTemplate"]["item"]["items"].append({"type": "Text", "fontSize": "huge"})
    unknown = json.loads(json.dumps(document("stop")))
    unknown["mainTemplate"]["item"]["items"].append({"type": "AlexaNoSuchThing"})
    elsewhere = json.loads(json.dumps(document("stop")))
    elsewhere["import"].append({"name": "someone-elses", "version": "1.0.0"})
    results = validate({"documents": {"a": broken, "b": unknown, "c": elsewhere}})
    assert all(results[name] for name in "abc"), results


def _components(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield node
        for value in node.values():
            yield from _components(value)
    elif isinstance(node, list):
        for value in node:
            yield from _components(value)


#: Properties every component (a responsive component too) takes (APL "Component" page).
BASE_PROPERTIES = {
    "type",
    "when",
    "id",
    "width",
    "height",
    "grow",
    "shrink",
    "spacing",
    "paddingTop",
    "paddingBottom",
    "paddingLeft",
    "paddingRight",
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_responsive_components_get_only_their_documented_parameters(name):
    layouts = json.loads(LAYOUTS.read_text())["layouts"]
    used = [c for c in _components(document(name)["mainTemplate"]) if c["type"] in layouts]
    assert used, f"{name} uses no alexa-layouts component"
    for component in used:
        allowed = set(layouts[component["type"]]["parameters"]) | BASE_PROPERTIES
        assert set(component) <= allowed, (component["type"], set(component) - allowed)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_lay_out_for_round_hubs_landscape_hubs_and_tv(name):
    text = json.dumps(document(name))
    assert "@viewportProfile == @hubRoundSmall" in text
    assert "@viewportProfile == @tvLandscapeXLarge" in text
    assert "alexa-layouts" in text
    assert "http" not in text  # nothing is fetched: no images, no fonts, no packages by URL


# -- bindings ---------------------------------------------------------------------------------


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _resolve(data: Any, path: str) -> Any:
    for key in path.strip(".").split("."):
        assert isinstance(data, dict) and key in data, f"{path}: no {key!r}"
        data = data[key]
    return data


def _data_bound(node: Any) -> Iterator[tuple[str, Any]]:
    """(payload path of a ``data`` array, the component it repeats) for every data-bound node."""
    for component in _components(node):
        found = PAYLOAD_PATH.search(str(component.get("data", "")))
        if found:
            yield found.group(1), component.get("items", [])


def test_every_payload_binding_resolves_against_the_data_source_sent(rendered):
    assert rendered
    for directive in rendered:
        doc, payload = directive["document"], directive["datasources"]
        for text in _strings(doc["mainTemplate"]):
            for expression in BINDING.findall(text):
                for path in PAYLOAD_PATH.findall(expression):
                    _resolve(payload, path)
        for array_path, items in _data_bound(doc["mainTemplate"]):
            array = _resolve(payload, array_path)
            assert isinstance(array, list), array_path
            keys = {key for text in _strings(items) for key in DATA_PATH.findall(text)}
            for element in array:
                assert keys <= set(element), (array_path, keys - set(element))


def test_nothing_is_sent_that_no_document_shows(rendered):
    """The data sources carry what the document binds (and target names for the console)."""
    for directive in rendered:
        bound = set()
        for text in _strings(directive["document"]["mainTemplate"]):
            for expression in BINDING.findall(text):
                bound |= {p.strip(".").split(".")[1] for p in PAYLOAD_PATH.findall(expression)}
        assert set(directive["datasources"]["screen"]) <= bound, directive["token"]


# -- what goes out ------------------------------------------------------------------------------


def test_every_reply_with_its_document_stays_within_the_response_limit(screen_run):
    assert screen_run
    for response in screen_run:
        size = len(json.dumps(response, separators=(",", ":")).encode("utf-8"))
        assert size <= MAX_RESPONSE_BYTES, size


def test_every_reply_on_a_screen_carries_its_document(screen_run):
    replies = [r for r in screen_run if r.get("response", {}).get("outputSpeech")]
    assert replies and all(len(directives(r)) == 1 for r in replies)


def test_a_device_without_a_screen_gets_no_document(skill, alexa):
    dialogue = Dialogue(skill, alexa)
    said = [dialogue.start("upper_back"), dialogue.say("AMAZON.NextIntent")]
    said += [dialogue.say("FaqIntent", topic=("crack my back", "crack_safety"))]
    said += [dialogue.say("PainIntent"), dialogue.say("RedFlagIntent")]
    assert all("directives" not in s.response or not s.response["directives"] for s in said)


# -- countdowns ------------------------------------------------------------------------------


def test_the_countdown_is_the_hold_and_starts_when_its_words_end(content):
    routine = content.default_routine
    index = 2
    hold = routine.steps[index].hold_seconds
    step_line = content.step_line(routine, index)
    lead_in = content.prompt("start_over")
    cues = {
        "en-US/prompt.start_over": HostedCue("start-over.mp3", 1.5),
        f"en-US/{step_line.cue}": HostedCue("step.mp3", 9.25 + hold + END_TONE_SECONDS),
    }
    speech = SpeechRenderer(cues, "https://cues.example.com")
    reply = Reply((lead_in, step_line, content.prompt("step_next")), (content.prompt("step_next"),))
    session = SessionState(state=State.IN_STEP, routine_id=routine.id, step_index=index)
    screen = screen_for(session, reply, Event.NEXT, content, speech.cue_seconds)
    assert screen.data["countdown"]["seconds"] == hold
    assert screen.data["countdown"]["startAfterMs"] == 1500 + 9250
    # Without hosted cues the words are spoken as text, at about 150 words a minute.
    spoken = screen_for(session, reply, Event.NEXT, content)
    words = len(lead_in.text.split()) + len(step_line.text.split())
    assert spoken.data["countdown"]["startAfterMs"] == round(words / 2.5 * 1000)


def test_the_countdown_starts_with_the_committed_cues_hold():
    """With the committed cues hosted, the countdown starts where each cue's hold starts."""
    from skill.audio import tones
    from skill.audio.encode import SAMPLE_RATE
    from skill.audio.manifest import load_manifest

    assert len(tones.end_tone(SAMPLE_RATE)) / SAMPLE_RATE == pytest.approx(END_TONE_SECONDS)
    manifest = load_manifest(ROOT / "audio" / "manifest.json")
    cues = {cue_id: HostedCue(e.file, e.duration_seconds) for cue_id, e in manifest.items()}
    speech = SpeechRenderer(cues, "https://cues.example.com")
    content = load_content_from(CONTENT_DIR)
    for routine in content.routines:
        for index, step in enumerate(routine.steps):
            if not step.hold_seconds:
                continue
            line = content.step_line(routine, index)
            session = SessionState(state=State.IN_STEP, routine_id=routine.id, step_index=index)
            reply = Reply((line,), (Line("x"),))
            countdown = screen_for(session, reply, Event.NEXT, content, speech.cue_seconds).data[
                "countdown"
            ]
            hold_ends = countdown["startAfterMs"] / 1000 + step.hold_seconds + END_TONE_SECONDS
            cue = manifest[f"en-US/{line.cue}"]
            assert hold_ends == pytest.approx(cue.duration_seconds, abs=0.002)
            assert countdown["startAfterMs"] > 0


@pytest.mark.parametrize("routine_id", ["upper_back", "stretching", "self_massage"])
def test_every_timed_step_counts_down_its_own_hold(content, routine_id):
    routine = content.routine(routine_id)
    assert routine is not None
    for index, step in enumerate(routine.steps):
        session = SessionState(state=State.IN_STEP, routine_id=routine.id, step_index=index)
        reply = Reply((content.step_line(routine, index),), (Line("x"),))
        data = screen_for(session, reply, Event.NEXT, content).data
        assert data["countdown"]["seconds"] == (step.hold_seconds or 0), step.id
        assert data["progress"] == {"value": index + 1, "total": len(routine.steps)}


# -- touch is just another event ------------------------------------------------------------------

TOUCH_INTENTS = {
    Event.NEXT: "AMAZON.NextIntent",
    Event.PREVIOUS: "AMAZON.PreviousIntent",
    Event.REPEAT: "AMAZON.RepeatIntent",
    Event.PAUSE: "AMAZON.PauseIntent",
    Event.RESUME: "AMAZON.ResumeIntent",
    Event.YES: "AMAZON.YesIntent",
    Event.NO: "AMAZON.NoIntent",
    Event.START_OVER: "AMAZON.StartOverIntent",
    Event.LIST_ROUTINES: "ListRoutinesIntent",
    Event.PAIN: "PainIntent",
}


@pytest.mark.parametrize(
    ("arguments", "event", "routine"),
    [
        (["next", ""], Event.NEXT, None),
        (["pain", ""], Event.PAIN, None),
        (["pain"], Event.PAIN, None),
        (["start_routine", "stretching"], Event.START_ROUTINE, "stretching"),
        (["start_routine", "no_such_routine"], Event.START_ROUTINE, ""),
        (["delete_data", ""], Event.FALLBACK, None),  # only what a screen offers
        (["stop", ""], Event.FALLBACK, None),
        (["nonsense"], Event.FALLBACK, None),
        ([], Event.FALLBACK, None),
        (None, Event.FALLBACK, None),
        ([{"odd": 1}, 2], Event.FALLBACK, None),
    ],
)
def test_a_touch_becomes_a_machine_event(content, arguments, event, routine):
    turn = touch_turn(arguments, content, Memory())
    assert (turn.event, turn.routine) == (event, routine)


def test_every_touchable_event_has_its_spoken_intent():
    assert set(TOUCH_INTENTS) | {Event.START_ROUTINE} == TOUCH_EVENTS


def _reach(dialogue: Dialogue, state: str) -> None:
    dialogue.start("upper_back")
    dialogue.say("AMAZON.NextIntent")
    if state == "paused":
        dialogue.say("AMAZON.PauseIntent")
    elif state == "aside":
        dialogue.say("FaqIntent", topic=("crack my back", "crack_safety"))
    elif state == "pain_stopped":
        dialogue.say("PainIntent")
    assert dialogue.last is not None and dialogue.last.state == state


@pytest.mark.parametrize("state", ["in_step", "paused", "aside", "pain_stopped"])
@pytest.mark.parametrize("event", sorted(TOUCH_INTENTS, key=str))
def test_touching_is_saying_in_every_routine_state(content, settings, state, event):
    """The same state, the same event: a touch and the intent get the same reply and state."""
    outcomes = []
    for touch in (False, True):
        dialogue = Dialogue(build_skill(content=content, settings=settings), AlexaSession())
        _reach(dialogue, state)
        if touch:
            said = dialogue.send(dialogue.alexa.user_event([event.value, ""]))
        else:
            said = dialogue.say(TOUCH_INTENTS[event])
        outcomes.append((said.speech, said.state, said.ended))
    assert outcomes[0] == outcomes[1]


def test_it_hurts_touched_mid_hold_stops_the_routine(content, settings):
    dialogue = Dialogue(build_skill(content=content, settings=settings), AlexaSession(screen=True))
    said = dialogue.start("upper_back")
    countdown = directives(said.raw)[0]["datasources"]["screen"]["countdown"]
    assert countdown["seconds"] == 30
    said = dialogue.send(dialogue.alexa.user_event(["pain", ""]))
    assert said.state == "pain_stopped"
    stop = directives(said.raw)[0]
    assert stop["token"] == "workoutPlanner.stop"
    assert not any(key in stop["datasources"]["screen"] for key in ("targets", "pain"))
    # A touch the stop screen never offered (a stale screen) still cannot carry the routine on.
    said = dialogue.send(dialogue.alexa.user_event(["next", ""]))
    assert said.state == "pain_stopped" and "Step" not in said.speech


@pytest.mark.parametrize("intent", ["RedFlagIntent", "ChestPainIntent"])
def test_urgent_advice_and_the_number_are_shown_with_nothing_to_touch(content, settings, intent):
    dialogue = Dialogue(build_skill(content=content, settings=settings), AlexaSession(screen=True))
    dialogue.start("upper_back")
    said = dialogue.say(intent)
    (urgent,) = directives(said.raw)
    data = urgent["datasources"]["screen"]
    assert urgent["token"] == "workoutPlanner.urgent" and said.ended
    assert data["body"] == said.speech  # the advice, word for word
    assert data["number"] == content.screen.emergency_number
    assert not {"targets", "items", "pain"} & set(data)


def test_a_touch_in_a_session_that_ended_is_answered(content, settings):
    skill = build_skill(content=content, settings=settings)
    response = invoke(skill, AlexaSession(screen=True).user_event(["next", ""]))
    assert response["response"]["outputSpeech"]["ssml"]


# -- content ------------------------------------------------------------------------------------


def _broken(tmp_path: Path, edit: str, replacement: str) -> Path:
    for name in CONTENT_DIR.glob("*.yaml"):
        shutil.copy(name, tmp_path / name.name)
    shutil.copytree(CONTENT_DIR / "locales", tmp_path / "locales")
    screen = tmp_path / "screen.yaml"
    screen.write_text(screen.read_text().replace(edit, replacement))
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "replacement", "problem"),
    [
        ("  next: Next\n", "", "screen.yaml: labels.next: must be a non-empty string"),
        ("Step {number} of {count}", "Step {step}", "screen.yaml: labels.step_of: may only use"),
        ("  pause: Pause\n", "  pause: Pause\n  pauze: Pauze\n", "screen.yaml: labels.pauze:"),
    ],
)
def test_broken_screen_labels_name_the_file_and_field(tmp_path, edit, replacement, problem):
    with pytest.raises(ContentError, match=re.escape(problem)):
        load_content_from(_broken(tmp_path, edit, replacement))


def test_screen_words_come_from_the_content(content):
    """No label is written in the documents: every word shown is bound from the data."""
    for name in DOCUMENTS:
        texts = [
            c.get(key)
            for c in _components(document(name)["mainTemplate"])
            for key in ("text", "buttonText", "primaryText", "headerTitle", "accessibilityLabel")
            if c.get(key)
        ]
        assert texts and all(str(t).startswith("${") for t in texts), (name, texts)
    assert (APL_DIR / "step.json").is_file()
