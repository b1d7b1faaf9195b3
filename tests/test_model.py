"""The interaction model: generated from the content, complete, and unambiguous."""

from __future__ import annotations

import json
import re
from collections import Counter

from skill.intents import INTENT_EVENTS
from skill.model import MODEL_PATH, build_model, render_model

REQUIRED_BUILTINS = {
    f"AMAZON.{name}Intent"
    for name in [
        "Help",
        "Stop",
        "Cancel",
        "Fallback",
        "NavigateHome",
        "Next",
        "Previous",
        "Repeat",
        "StartOver",
        "Pause",
        "Resume",
        "Yes",
        "No",
    ]
}


def committed() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]


def test_committed_model_is_generated_from_the_content(content) -> None:
    assert MODEL_PATH.read_text(encoding="utf-8") == render_model(content), (
        "interaction_model/en-US.json is stale: run `workout-planner model`"
    )


def test_every_model_intent_is_handled_and_every_handled_intent_is_modelled() -> None:
    assert {intent["name"] for intent in committed()["intents"]} == set(INTENT_EVENTS)


def test_required_builtins_are_present() -> None:
    assert {intent["name"] for intent in committed()["intents"]} >= REQUIRED_BUILTINS


def test_no_sample_in_two_intents() -> None:
    owners = Counter(
        sample.lower() for intent in committed()["intents"] for sample in intent["samples"]
    )
    assert [sample for sample, count in owners.items() if count > 1] == []


def test_custom_intents_have_ample_samples_and_numbers_spelled_out() -> None:
    for intent in committed()["intents"]:
        if not intent["name"].startswith("AMAZON."):
            assert len(intent["samples"]) >= 7, intent["name"]
        for sample in intent["samples"]:
            assert not re.search(r"\d", sample), sample
            for slot in re.findall(r"{(\w+)}", sample):
                assert slot in {s["name"] for s in intent.get("slots", [])}, sample


def test_pain_has_at_least_25_varied_samples() -> None:
    pain = next(i for i in committed()["intents"] if i["name"] == "PainIntent")
    assert len(set(pain["samples"])) >= 25
    assert {"it hurts", "ouch", "that's painful", "I felt a sharp pain"} <= set(pain["samples"])


def test_slot_types_carry_the_content_ids_and_synonyms(content) -> None:
    types = {
        t["name"]: t["values"]
        for t in build_model(content)["interactionModel"]["languageModel"]["types"]
    }
    assert {v["id"] for v in types["ROUTINE_NAME"]} == {r.id for r in content.routines}
    assert {v["id"] for v in types["FAQ_TOPIC"]} == {e.id for e in content.faq}
    assert all(v["name"]["synonyms"] for v in types["FAQ_TOPIC"])


def test_invocation_name() -> None:
    assert committed()["invocationName"] == "workout planner"


def test_model_command_writes_and_checks(tmp_path) -> None:
    from click.testing import CliRunner

    from skill.cli import main

    out = tmp_path / "en-US.json"
    runner = CliRunner()
    stale = runner.invoke(main, ["model", "--check", "--out", str(out)])
    assert stale.exit_code == 1 and "stale" in stale.output
    assert runner.invoke(main, ["model", "--out", str(out)]).exit_code == 0
    assert runner.invoke(main, ["model", "--check", "--out", str(out)]).exit_code == 0
    assert out.read_text() == MODEL_PATH.read_text()
