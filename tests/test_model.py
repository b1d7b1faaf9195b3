"""The interaction model: generated from the content, complete, and unambiguous."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from skill.content import Content, load_content
from skill.intents import INTENT_EVENTS, faq_intents, handled_intents
from skill.model import MODEL_DIR, build_model, model_path, render_model
from tests.support.intents import NAVIGATION_INTENTS

#: Every English-speaking market; each has its own committed model.
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")

REQUIRED_BUILTINS = {*NAVIGATION_INTENTS, "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent"}


@pytest.fixture(params=LOCALES)
def locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def content(locale: str) -> Content:
    """This locale's bundle (shadows the en-US fixture: every test here runs per locale)."""
    return load_content(locale)


@pytest.fixture
def committed(locale: str) -> dict:
    text = model_path(locale).read_text(encoding="utf-8")
    return json.loads(text)["interactionModel"]["languageModel"]  # type: ignore[no-any-return]


def test_every_locale_has_a_committed_model_and_no_other() -> None:
    assert sorted(p.stem for p in MODEL_DIR.glob("*.json")) == sorted(LOCALES)


def test_committed_model_is_generated_from_the_content(locale, content) -> None:
    assert model_path(locale).read_text(encoding="utf-8") == render_model(content), (
        f"interaction_model/{locale}.json is stale: run `workout-planner model`"
    )


def test_each_locale_hears_its_own_vocabulary() -> None:
    """The overlays' phrases reach the models: a British person sees a GP, an American doesn't."""

    def topics(locale: str) -> set[str]:
        model = build_model(load_content(locale))["interactionModel"]["languageModel"]
        (faq,) = [t for t in model["types"] if t["name"] == "FAQ_TOPIC"]
        return {s for value in faq["values"] for s in value["name"]["synonyms"]}

    assert "should I see my GP" in topics("en-GB") - topics("en-US")
    assert "should I see my GP" in topics("en-AU")


def test_every_model_intent_is_handled_and_every_handled_intent_is_modelled(
    committed, content
) -> None:
    assert {intent["name"] for intent in committed["intents"]} == set(handled_intents(content))
    assert set(handled_intents(content)) >= set(INTENT_EVENTS)


def test_required_builtins_are_present(committed) -> None:
    assert {intent["name"] for intent in committed["intents"]} >= REQUIRED_BUILTINS


def test_no_sample_in_two_intents(committed) -> None:
    owners = Counter(
        sample.lower() for intent in committed["intents"] for sample in intent["samples"]
    )
    assert [sample for sample, count in owners.items() if count > 1] == []


def test_custom_intents_have_ample_samples_and_numbers_spelled_out(committed) -> None:
    for intent in committed["intents"]:
        if not intent["name"].startswith("AMAZON."):
            assert len(intent["samples"]) >= 7, intent["name"]
        for sample in intent["samples"]:
            assert not re.search(r"\d", sample), sample
            for slot in re.findall(r"{(\w+)}", sample):
                assert slot in {s["name"] for s in intent.get("slots", [])}, sample


#: Distinct samples after expansion (issue #11): what each intent must at least have.
COVERAGE = {
    "PainIntent": 250,
    "RedFlagIntent": 150,
    "ChestPainIntent": 60,
    "DeleteDataIntent": 20,
    "UpdateScreeningIntent": 25,
    "StepInfoIntent": 20,
    "TooHardIntent": 20,
    "ThanksIntent": 20,
    **dict.fromkeys(NAVIGATION_INTENTS, 20),
}
FAQ_SAMPLES = 15


def test_coverage_counts(committed, content) -> None:
    """Prints every intent's distinct sample count, and checks each floor."""
    counts = {intent["name"]: len(set(intent["samples"])) for intent in committed["intents"]}
    floors = {**COVERAGE, **{name: FAQ_SAMPLES for name in faq_intents(content)}}
    print("\ndistinct samples per intent (floor):")
    for name, count in counts.items():
        print(f"  {name:32} {count:5}  ({floors.get(name, '-')})")
    short = {
        name: counts.get(name, 0) for name, floor in floors.items() if counts.get(name, 0) < floor
    }
    assert not short, short


def test_every_faq_topic_has_its_own_intent_and_no_catch_all(committed, content) -> None:
    names = {intent["name"] for intent in committed["intents"]}
    assert set(faq_intents(content)) <= names
    assert len(faq_intents(content)) == len(content.faq)
    faq = next(i for i in committed["intents"] if i["name"] == "FaqIntent")
    assert "{topic}" not in faq["samples"]


def test_pain_keeps_the_plain_phrasings(committed) -> None:
    pain = next(i for i in committed["intents"] if i["name"] == "PainIntent")
    assert {"it hurts", "ouch", "that's painful", "I felt a sharp pain"} <= set(pain["samples"])


def test_fallback_sensitivity_is_set(committed, content) -> None:
    configuration = committed["modelConfiguration"]["fallbackIntentSensitivity"]
    assert configuration == {"level": content.intents.fallback_sensitivity} == {"level": "LOW"}


def test_slot_types_carry_the_content_ids_and_synonyms(content) -> None:
    types = {
        t["name"]: t["values"]
        for t in build_model(content)["interactionModel"]["languageModel"]["types"]
    }
    assert {v["id"] for v in types["ROUTINE_NAME"]} == {r.id for r in content.routines}
    assert {v["id"] for v in types["FAQ_TOPIC"]} == {e.id for e in content.faq}
    assert all(v["name"]["synonyms"] for v in types["FAQ_TOPIC"])
    body_parts = {v["id"] for v in types["BODY_PART"]}
    assert body_parts >= {"back", "upper_back", "lower_back", "neck", "shoulder", "arm", "hand"}
    assert body_parts >= {"fingers", "leg", "foot"}
    assert "chest" not in body_parts  # chest pain is an emergency, never plain pain


def test_invocation_name(committed) -> None:
    assert committed["invocationName"] == "workout planner"


def test_model_command_writes_and_checks_every_locale(tmp_path) -> None:
    from click.testing import CliRunner

    from skill.cli import main

    out = tmp_path / "models"
    runner = CliRunner()
    stale = runner.invoke(main, ["model", "--check", "--out", str(out)])
    assert stale.exit_code == 1 and "stale" in stale.output
    assert runner.invoke(main, ["model", "--out", str(out)]).exit_code == 0
    assert runner.invoke(main, ["model", "--check", "--out", str(out)]).exit_code == 0
    for locale in LOCALES:
        assert model_path(locale, out).read_text() == model_path(locale).read_text()
    # One stale locale fails the check, even when the others are fresh.
    model_path("en-AU", out).write_text("{}")
    stale = runner.invoke(main, ["model", "--check", "--out", str(out)])
    assert stale.exit_code == 1 and "en-AU.json is stale" in stale.output
