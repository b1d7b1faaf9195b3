"""Metrics: what a conversation counts, read back from /metrics and from the Lambda's EMF lines,
and proof that nothing a person says or is can become a label."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import AskSdkException
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from skill import metrics
from skill.content import Content
from skill.emf import EmfMetrics, answer
from skill.envelopes import AlexaSession
from skill.factory import build_skill, invoke
from skill.metrics import ALL, CLOSED, NONE, OTHER, Metric
from skill.settings import Settings
from tests.support.dialogue import Dialogue
from tests.support.signed import SignedAlexa

ROOT = Path(__file__).resolve().parent.parent


class Captured:
    """A recorder keeping every count, the shared choke point of both exporters."""

    def __init__(self) -> None:
        self.counts: list[tuple[Metric, dict[str, str], float]] = []

    def count(self, metric: Metric, labels: Mapping[str, str], amount: int = 1) -> None:
        self.counts.append((metric, dict(labels), amount))

    def observe(self, metric: Metric, labels: Mapping[str, str], value: float) -> None:
        self.counts.append((metric, dict(labels), value))

    def of(self, metric: Metric) -> list[dict[str, str]]:
        return [labels for m, labels, _ in self.counts if m is metric]


@pytest.fixture
def captured() -> Iterator[Captured]:
    before = metrics.recorder()
    recorder = metrics.install(Captured())
    yield recorder
    metrics.install(before)


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Mapping[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# -- /metrics after a scripted conversation -----------------------------------------------------


def test_metrics_count_a_conversation_over_verified_http(client, signed_alexa: SignedAlexa):
    before = scrape(client)
    signed_alexa.post(signed_alexa.session.launch())
    signed_alexa.post(
        signed_alexa.session.intent("StartRoutineIntent", routine=("upper back", "upper_back"))
    )
    signed_alexa.post(signed_alexa.session.intent("AMAZON.NoIntent"))  # the screening question
    signed_alexa.post(signed_alexa.session.intent("AMAZON.NextIntent"))  # step two
    signed_alexa.post(signed_alexa.session.intent("PainIntent"))
    refused = client.post("/alexa", json=signed_alexa.session.launch())  # unsigned
    assert refused.status_code == 400
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("workout_planner_requests_total", type="LaunchRequest", outcome="ok") == 1
    assert delta("workout_planner_requests_total", type="IntentRequest", outcome="ok") == 4
    assert delta("workout_planner_requests_total", type="LaunchRequest", outcome="rejected") == 1
    assert delta("workout_planner_verification_failures_total", check="headers") == 1
    assert delta("workout_planner_reply_seconds_count", type="IntentRequest") == 4
    assert delta("workout_planner_routines_started_total", routine="upper_back") == 1
    assert delta("workout_planner_pain_stops_total", routine="upper_back", step="2") == 1
    assert delta("workout_planner_routines_abandoned_total", routine="upper_back", step="2") == 0


def test_store_faults_are_counted_by_kind(app, client, signed_alexa: SignedAlexa):
    db = app.config["SETTINGS"].db_path
    signed_alexa.post(signed_alexa.session.launch())
    before = scrape(client)
    with sqlite3.connect(db) as broken:
        broken.execute("DROP TABLE user_attributes")
    signed_alexa.session.restart()  # a session's first request reads the store (#13)
    signed_alexa.post(signed_alexa.session.launch())  # still answered
    after = scrape(client)
    labels = {"store": "sqlite", "operation": "get", "reason": "unavailable"}
    name = "workout_planner_store_faults_total"
    assert value(after, name, **labels) > value(before, name, **labels)


def test_metrics_are_not_served_through_the_public_proxy(client):
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        response = client.get("/metrics", headers={header: "203.0.113.7"})
        assert response.status_code == 404, header
    assert client.get("/metrics").status_code == 200


# -- the conversation counts, decided in one place ----------------------------------------------


def test_finishing_a_routine_counts_start_and_finish(content: Content, captured: Captured):
    dialogue = Dialogue(build_skill(content=content, settings=Settings()), AlexaSession())
    dialogue.start("stretching")
    while dialogue.last is not None and dialogue.last.state != "finished":
        dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.PreviousIntent")  # back into the last step: not a new start
    dialogue.say("AMAZON.NextIntent")  # finished again: counted once
    assert captured.of(metrics.ROUTINES_STARTED) == [{"routine": "stretching"}]
    assert captured.of(metrics.ROUTINES_FINISHED) == [{"routine": "stretching"}]
    assert captured.of(metrics.ROUTINES_ABANDONED) == []


@pytest.mark.parametrize(
    ("leave", "expected"),
    [
        ("AMAZON.StopIntent", {"routine": "upper_back", "step": "2"}),
        ("AMAZON.NavigateHomeIntent", {"routine": "upper_back", "step": "2"}),
        ("SessionEnded", {"routine": "upper_back", "step": "2"}),
    ],
)
def test_leaving_a_routine_counts_it_abandoned_at_its_step(
    content: Content, captured: Captured, leave: str, expected: dict[str, str]
):
    dialogue = Dialogue(build_skill(content=content, settings=Settings()), AlexaSession())
    dialogue.start("upper_back")
    dialogue.say("AMAZON.NextIntent")
    if leave == "SessionEnded":
        dialogue.send(dialogue.alexa.session_ended("EXCEEDED_MAX_REPROMPTS"))
    else:
        dialogue.say(leave)
    assert captured.of(metrics.ROUTINES_ABANDONED) == [expected]


def test_another_routine_abandons_the_first_and_starts_the_second(
    content: Content, captured: Captured
):
    dialogue = Dialogue(build_skill(content=content, settings=Settings()), AlexaSession())
    dialogue.start("upper_back")
    dialogue.say("StartRoutineIntent", routine=("stretching", "stretching"))
    assert captured.of(metrics.ROUTINES_ABANDONED) == [{"routine": "upper_back", "step": "1"}]
    assert captured.of(metrics.ROUTINES_STARTED) == [
        {"routine": "upper_back"},
        {"routine": "stretching"},
    ]


@pytest.mark.parametrize(
    ("intent", "metric", "labels"),
    [
        ("PainIntent", metrics.PAIN_STOPS, {"routine": "upper_back", "step": "3"}),
        (
            "RedFlagIntent",
            metrics.RED_FLAGS,
            {"routine": "upper_back", "step": "3", "kind": "red_flag"},
        ),
        (
            "ChestPainIntent",
            metrics.RED_FLAGS,
            {"routine": "upper_back", "step": "3", "kind": "chest_pain"},
        ),
    ],
)
def test_pain_and_red_flags_are_placed_at_the_step_they_interrupt(
    content: Content, captured: Captured, intent: str, metric: Metric, labels: dict[str, str]
):
    dialogue = Dialogue(build_skill(content=content, settings=Settings()), AlexaSession())
    dialogue.start("upper_back")
    dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.NextIntent")
    dialogue.say(intent)
    assert captured.of(metric) == [labels]
    assert captured.of(metrics.ROUTINES_ABANDONED) == []  # stopped for safety, not left


def test_a_red_flag_outside_a_routine_has_no_step(content: Content, captured: Captured):
    dialogue = Dialogue(build_skill(content=content, settings=Settings()), AlexaSession())
    dialogue.launch()
    dialogue.say("RedFlagIntent")
    assert captured.of(metrics.RED_FLAGS) == [{"routine": NONE, "step": NONE, "kind": "red_flag"}]


# -- nothing personal reaches a label -----------------------------------------------------------


def _allowed(content: Content) -> dict[str, frozenset[str]]:
    longest = max(len(routine.steps) for routine in content.routines)
    return {
        **CLOSED,
        "routine": frozenset({r.id for r in content.routines} | {NONE, OTHER}),
        "step": frozenset({str(n) for n in range(1, longest + 1)} | {NONE, OTHER}),
    }


_text = st.text(min_size=1, max_size=40)
_intents = (
    st.sampled_from(
        ["StartRoutineIntent", "FaqIntent", "PainIntent", "RedFlagIntent", "AMAZON.NextIntent"]
    )
    | _text
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user_id=_text,
    intent=_intents,
    slot=_text,
    routine=_text,
    step=st.integers(-5, 50) | _text,
    state=st.sampled_from(["in_step", "paused", "aside", "finished"]) | _text,
    request_type=st.sampled_from(["IntentRequest", "SessionEndedRequest"]) | _text,
)
def test_no_user_id_slot_value_or_attribute_reaches_a_label(
    content: Content, captured: Captured, user_id, intent, slot, routine, step, state, request_type
):
    captured.counts.clear()
    skill = build_skill(content=content, settings=Settings())
    alexa = AlexaSession(user_id=user_id)
    alexa.attributes = {
        "workoutPlanner": {"version": 1, "state": state, "routine_id": routine, "step_index": step}
    }
    alexa.new = False
    envelope = alexa.intent(intent, routine=slot, topic=(slot, slot))
    envelope["request"]["type"] = request_type
    # The SDK refuses some forged envelopes outright; what was counted before must hold too.
    with contextlib.suppress(AskSdkException):
        invoke(skill, envelope)
    metrics.request_answered(request_type, "ok", 0.01)
    metrics.verification_failed(slot)
    metrics.store_fault(user_id, slot, intent)
    allowed = _allowed(content)
    assert captured.counts
    for metric, labels, _ in captured.counts:
        assert tuple(labels) == metric.labels
        for name, label in labels.items():
            assert label in allowed[name], (metric.name, name, label)


def test_every_check_and_fault_reason_in_the_code_is_a_known_label():
    # New verification checks or store fault reasons must join skill.metrics.CLOSED, or they
    # would all be counted as "other".
    checks = _first_string_args(ROOT / "skill" / "web" / "verify.py", "VerificationError")
    assert checks and checks <= CLOSED["check"], checks - CLOSED["check"]
    reasons = set()
    for path in (ROOT / "skill" / "persistence").glob("*.py"):
        for call in _calls(path, "log_fault"):
            if len(call.args) >= 3 and isinstance(call.args[2], ast.Constant):
                reasons.add(call.args[2].value)
            if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
                assert call.args[1].value in CLOSED["operation"], call.args[1].value
    assert reasons and reasons <= CLOSED["reason"], reasons - CLOSED["reason"]
    operations = _first_string_args(ROOT / "skill" / "persistence" / "sqlite.py", "_failed")
    assert operations <= CLOSED["operation"], operations - CLOSED["operation"]


def _calls(path: Path, name: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text())
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and name in (getattr(node.func, "id", None), getattr(node.func, "attr", None))
    ]


def _first_string_args(path: Path, name: str) -> set[str]:
    return {
        call.args[0].value
        for call in _calls(path, name)
        if call.args and isinstance(call.args[0], ast.Constant)
    }


# -- Lambda: the same counts as CloudWatch EMF lines --------------------------------------------


def _failing(envelope: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("the function failed")


def test_lambda_counts_become_emf_documents(content: Content):
    out = io.StringIO()
    recorder = EmfMetrics(out, clock=lambda: 1_700_000_000.5)
    before = metrics.recorder()
    metrics.install(recorder)
    try:
        skill = build_skill(content=content, settings=Settings())
        alexa = AlexaSession()
        for envelope in (
            alexa.launch(),
            alexa.intent("StartRoutineIntent", routine=("upper back", "upper_back")),
        ):
            reply = answer(recorder, lambda e: invoke(skill, e), envelope)
            alexa.absorb(reply)
        reply = answer(recorder, lambda e: invoke(skill, e), alexa.intent("AMAZON.NoIntent"))
        with pytest.raises(RuntimeError):
            answer(recorder, _failing, alexa.intent("AMAZON.HelpIntent"))
    finally:
        metrics.install(before)
    documents = [json.loads(line) for line in out.getvalue().splitlines()]
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert document["_aws"]["Timestamp"] == 1_700_000_000_500
        assert directive["Namespace"] == "WorkoutPlanner"
        (metric,) = directive["Metrics"]
        assert metric["Name"] in document  # the value
        for dimension in directive["Dimensions"][0]:
            assert isinstance(document[dimension], str)
    by_name = {}
    for document in documents:
        name = document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
        by_name.setdefault(name, []).append(document)
    requests = [(d["type"], d["outcome"], d["requests"]) for d in by_name["requests"]]
    assert requests == [
        ("LaunchRequest", "ok", 1),
        ("IntentRequest", "ok", 1),
        ("IntentRequest", "ok", 1),
        ("IntentRequest", "error", 1),
    ]
    assert [d["routine"] for d in by_name["routines_started"]] == ["upper_back"]
    seconds = by_name["reply_seconds"][0]
    assert seconds["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Seconds"
    assert all(isinstance(v, float) for v in seconds["reply_seconds"])


def test_every_metric_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Operating it") :]
    for metric in ALL:
        suffix = "" if metric.buckets else "_total"
        assert f"workout_planner_{metric.name}{suffix}" in section, metric.name
    assert re.search(r"scrape_configs:", section)
