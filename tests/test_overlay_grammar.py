"""A locale's sample grammar: an overlay adds phrase choices, templates and slot synonyms, only
for its own market, and a mistake names the overlay's file and field (or both intents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skill.content import ContentError
from skill.content.loader import load_content_from
from skill.content.samples import ModelLimits, SampleCollision, expand_samples
from skill.model import build_model
from tests.support.content import copy_content
from tests.support.content import edit_yaml as edit


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


def grammar(**sections: Any) -> Any:
    """An edit that sets the overlay's grammar sections (and keeps everything else)."""
    return lambda data: data.update(sections)


def body_parts(content: Any) -> dict[str, list[str]]:
    model = build_model(content)["interactionModel"]["languageModel"]
    (values,) = [t["values"] for t in model["types"] if t["name"] == "BODY_PART"]
    return {v["id"]: v["name"]["synonyms"] for v in values}


def test_each_section_changes_only_its_own_locale(copy: Path) -> None:
    edit(
        copy,
        "locales/en-GB.yaml",
        grammar(
            phrases={"hurts": {"add_choices": ["is giving me gyp"]}},
            intents={"AMAZON.PauseIntent": {"add_samples": ["(hang on|hold on) a tick"]}},
            slot_types={"BODY_PART": {"lower_back": {"add_synonyms": ["coccyx"]}}},
            faq={"see_doctor": {"add_samples": ["should I ring (my|the) GP"]}},
        ),
    )
    gb, us = load_content_from(copy, "en-GB"), load_content_from(copy, "en-US")
    gb_samples, us_samples = expand_samples(gb), expand_samples(us)
    assert "that is giving me gyp" in gb_samples["PainIntent"]
    assert "hold on a tick" in gb_samples["AMAZON.PauseIntent"]
    assert "should I ring the GP" in gb_samples["FaqSeeDoctorIntent"]
    for intent, sample in [
        ("PainIntent", "that is giving me gyp"),
        ("AMAZON.PauseIntent", "hold on a tick"),
        ("FaqSeeDoctorIntent", "should I ring the GP"),
    ]:
        assert sample not in us_samples[intent]
    # An added choice keeps every sample the base's phrase had, in the base's order first.
    base_pain = us_samples["PainIntent"]
    assert [s for s in gb_samples["PainIntent"] if s in base_pain] == list(base_pain)
    assert "coccyx" in body_parts(gb)["lower_back"]
    assert "coccyx" not in body_parts(us)["lower_back"]
    assert gb.intents.changed_by == "locales/en-GB.yaml" and us.intents.changed_by == ""


def test_a_phrase_can_be_replaced_whole(copy: Path) -> None:
    edit(copy, "locales/en-IN.yaml", grammar(phrases={"please": {"replace": "(kindly|)"}}))
    delete = expand_samples(load_content_from(copy, "en-IN"))["DeleteDataIntent"]
    assert {"kindly delete my data", "delete my data"} <= set(delete)
    assert "please delete my data" not in delete


def test_an_overlay_that_adds_nothing_to_the_grammar_leaves_it_the_base_s(copy: Path) -> None:
    canada = load_content_from(copy, "en-CA")
    edit(copy, "locales/en-CA.yaml", lambda data: [data.pop(k, None) for k in ("faq", "intents")])
    assert load_content_from(copy, "en-CA").intents.changed_by == ""
    assert canada.intents.slot_types == load_content_from(copy, "en-US").intents.slot_types


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            grammar(phrases={"hurst": {"add_choices": ["is paining"]}}),
            "locales/en-IN.yaml: phrases.hurst: the base has no phrase 'hurst'",
        ),
        (
            grammar(phrases={"hurts": {"add_choices": ["is (paining"]}}),
            "locales/en-IN.yaml: phrases.hurts.add_choices[0]: unclosed '('",
        ),
        (
            grammar(phrases={"hurts": {"add_choices": ["is <paining>"]}}),
            "phrases.hurts.add_choices[0]: <paining> is not a phrase in intents.yaml",
        ),
        (
            grammar(phrases={"hurts": {"add_choices": ["is paining", "<hurts> a lot"]}}),
            "phrases.hurts.add_choices[1]: may not refer to <hurts> itself",
        ),
        (
            grammar(phrases={"hurts": {"add_choices": ["x"], "replace": "(y|z)"}}),
            "locales/en-IN.yaml: phrases.hurts: set one of add_choices or replace",
        ),
        (
            grammar(phrases={"hurts": {"add_choices": []}}),
            "phrases.hurts.add_choices: must list at least one choice",
        ),
        (
            grammar(phrases={"hurts": {"more": ["x"]}}),
            "phrases.hurts.more: an overlay may set only add_choices, replace",
        ),
        (
            grammar(intents={"PaneIntent": {"add_samples": ["my back is paining"]}}),
            "locales/en-IN.yaml: intents.PaneIntent: the base has no intent 'PaneIntent'",
        ),
        (
            grammar(intents={"FaqSeeDoctorIntent": {"add_samples": ["consult a doctor"]}}),
            "go under faq.<id>.add_samples",
        ),
        (
            grammar(intents={"AMAZON.FallbackIntent": {"add_samples": ["what"]}}),
            "intents.AMAZON.FallbackIntent: takes no samples",
        ),
        (
            grammar(intents={"PainIntent": {"add_samples": ["my {waist} is paining"]}}),
            "intents.PainIntent.add_samples[0]: {waist} is not a slot",
        ),
        (
            grammar(intents={"PainIntent": {"samples": ["my back is paining"]}}),
            "intents.PainIntent.samples: an overlay may set only add_samples",
        ),
        (
            grammar(intents={"PainIntent": {"add_samples": "my back is paining"}}),
            "intents.PainIntent.add_samples: must be a list of non-empty strings",
        ),
        (
            lambda d: d.update(faq={"see_doctor": {"add_samples": ["consult (a|the doctor"]}}),
            "locales/en-IN.yaml: faq.see_doctor.add_samples[0]: unclosed '('",
        ),
        (
            grammar(slot_types={"BODY_PARTS": {"back": {"add_synonyms": ["backbone"]}}}),
            "slot_types.BODY_PARTS: the base has no slot type 'BODY_PARTS'",
        ),
        (
            grammar(slot_types={"ROUTINE_NAME": {"stretching": {"add_synonyms": ["stretches"]}}}),
            "take add_synonyms under routines.<id>",
        ),
        (
            grammar(slot_types={"BODY_PART": {"waist": {"add_synonyms": ["kamar"]}}}),
            "slot_types.BODY_PART.waist: the base has no value 'waist'",
        ),
        (
            grammar(slot_types={"BODY_PART": {"back": {"name": "spine"}}}),
            "slot_types.BODY_PART.back.name: an overlay may set only add_synonyms",
        ),
        (
            grammar(slot_types={"BODY_PART": {"lower_back": {"add_synonyms": ["Neck Muscles"]}}}),
            "slot_types.BODY_PART.lower_back.add_synonyms: 'Neck Muscles' already means 'neck'",
        ),
    ],
)
def test_a_broken_grammar_section_names_the_overlay_and_field(copy: Path, change, expected) -> None:
    edit(copy, "locales/en-IN.yaml", change)
    with pytest.raises(ContentError) as error:
        load_content_from(copy, "en-IN")
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("change", "sample", "templates"),
    [
        # An added template that is already another intent's sample.
        (
            grammar(intents={"DeleteDataIntent": {"add_samples": ["(it|that) hurts"]}}),
            "it hurts",
            ("'<it> <hurts>'", "'(it|that) hurts'"),
        ),
        # An added phrase choice that turns a template into another intent's sample.
        (
            grammar(phrases={"ouch": {"add_choices": ["cheers"]}}),
            "cheers",
            ("'<ouch>'", "thanks|thank you"),
        ),
    ],
)
def test_an_addition_that_lands_in_another_intent_names_both(
    copy: Path, change, sample, templates
) -> None:
    edit(copy, "locales/en-GB.yaml", change)
    with pytest.raises(SampleCollision) as error:
        expand_samples(load_content_from(copy, "en-GB"))
    message = str(error.value)
    assert message.startswith(f"locales/en-GB.yaml: the sample {sample!r} is in two intents")
    for template in templates:
        assert template in message
    expand_samples(load_content_from(copy, "en-US"))  # the base alone is fine


def test_a_locale_past_the_model_s_budget_names_its_overlay(copy: Path) -> None:
    edit(
        copy,
        "locales/en-GB.yaml",
        grammar(phrases={"hurts": {"add_choices": ["is giving me gyp"]}}),
    )
    gb, us = load_content_from(copy, "en-GB"), load_content_from(copy, "en-US")
    limit = ModelLimits(total_characters=sum(map(len, sum(expand_samples(us).values(), ()))))
    expand_samples(us, limit)
    with pytest.raises(ContentError, match=r"^locales/en-GB.yaml: the samples hold \d+ characters"):
        expand_samples(gb, limit)
