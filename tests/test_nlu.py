"""Typed lines resolve to the intents (and slot values) Alexa would pick from the model."""

from __future__ import annotations

import json
import re

import pytest

from skill.nlu import (
    BUILTIN_PHRASES,
    DEFAULT_MODEL_PATH,
    FALLBACK,
    LAUNCH,
    Resolver,
    normalise,
)

MODEL = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
LANGUAGE = MODEL["interactionModel"]["languageModel"]


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_model(MODEL)


def slot_ids(resolution) -> dict[str, str | None]:
    return {name: ident for name, (_, ident) in resolution.slots.items()}


# (line, intent, {slot: resolved id or None})
CASES = [
    # Routines, by name and synonym.
    ("start the upper back routine", "StartRoutineIntent", {"routine": "upper_back"}),
    ("Let's do the stretching routine", "StartRoutineIntent", {"routine": "stretching"}),
    ("begin self-massage", "StartRoutineIntent", {"routine": "self_massage"}),
    ("I want to do foam rolling", "StartRoutineIntent", {"routine": "self_massage"}),
    ("guide me through neck and shoulders", "StartRoutineIntent", {"routine": "shoulder_release"}),
    ("morning stretch routine", "StartRoutineIntent", {"routine": "stretching"}),
    ("start back crack", "StartRoutineIntent", {"routine": "upper_back"}),
    ("start", "StartRoutineIntent", {}),
    ("let's go", "StartRoutineIntent", {}),
    ("start yoga", "StartRoutineIntent", {"routine": None}),
    # FAQ topics, by name and synonym.
    # FAQ: each topic its own intent; a topic by name after a carrier phrase is FaqIntent.
    ("is it safe to crack my back", "FaqCrackSafetyIntent", {}),
    ("Is it safe to crack my back?", "FaqCrackSafetyIntent", {}),
    ("should I crack my back", "FaqCrackSafetyIntent", {}),
    ("why does my back pop", "FaqPoppingSoundIntent", {}),
    ("do I need a foam roller", "FaqEquipmentIntent", {}),
    ("when should I see a doctor", "FaqSeeDoctorIntent", {}),
    ("can I do this every day", "FaqHowOftenIntent", {}),
    ("any tips", "FaqTipsIntent", {}),
    ("who shouldn't do this", "FaqWhoShouldNotIntent", {}),
    ("can I adjust my own spine", "FaqChiropracticIntent", {}),
    ("what if it hurts", "FaqIfItHurtsIntent", {}),
    ("tell me about risks", "FaqIntent", {"topic": "risks"}),
    ("explain why does it feel so good", "FaqIntent", {"topic": "feels_good"}),
    ("tell me about the weather", "FaqIntent", {"topic": None}),
    # Pain, said many ways.
    ("it hurts", "PainIntent", {}),
    ("Ouch!", "PainIntent", {}),
    ("that hurts", "PainIntent", {}),
    ("ow", "PainIntent", {}),
    ("I felt a sharp pain", "PainIntent", {}),
    ("my neck hurts", "PainIntent", {"body_part": "neck"}),
    ("I pulled something", "PainIntent", {}),
    ("it's too sore", "PainIntent", {}),
    ("my back is killing me", "PainIntent", {"body_part": "back"}),
    ("that stings", "PainIntent", {}),
    ("stop it hurts", "PainIntent", {}),
    ("I'm in pain", "PainIntent", {}),
    ("my back hurts a lot", "PainIntent", {"body_part": "back"}),
    ("my back hurts a lot when I twist", "PainIntent", {"body_part": "back"}),
    ("hmm it really hurts when I twist", "PainIntent", {}),
    # Red flags and chest pain.
    ("my arm is numb", "RedFlagIntent", {"body_part": "arm"}),
    ("pins and needles", "RedFlagIntent", {}),
    ("I feel dizzy", "RedFlagIntent", {}),
    ("the pain is going down my leg", "RedFlagIntent", {"body_part": "leg"}),
    ("my fingers are tingling", "RedFlagIntent", {"body_part": "fingers"}),
    ("ok so my arm is numb now", "RedFlagIntent", {"body_part": "arm"}),
    ("chest pain", "ChestPainIntent", {}),
    ("my chest feels tight", "ChestPainIntent", {}),
    ("I have chest pain and my back hurts", "ChestPainIntent", {}),
    # The skill's other intents.
    ("what routines are there", "ListRoutinesIntent", {}),
    ("delete my data", "DeleteDataIntent", {}),
    ("forget me", "DeleteDataIntent", {}),
    ("change my answer", "UpdateScreeningIntent", {}),
    ("I have osteoporosis", "HaveConditionIntent", {}),
    ("I don't have osteoporosis", "NoConditionIntent", {}),
    # Built-ins: the model's samples and Amazon's own phrasings.
    ("next", "AMAZON.NextIntent", {}),
    ("continue", "AMAZON.ResumeIntent", {}),
    ("next step", "AMAZON.NextIntent", {}),
    ("stop", "AMAZON.StopIntent", {}),
    ("I'm done", "AMAZON.NextIntent", {}),  # the step is done (outside a routine: see test_chat)
    ("I'm done for today", "AMAZON.StopIntent", {}),
    ("cancel", "AMAZON.CancelIntent", {}),
    ("never mind", "AMAZON.CancelIntent", {}),
    ("help", "AMAZON.HelpIntent", {}),
    ("repeat", "AMAZON.RepeatIntent", {}),
    ("say that again", "AMAZON.RepeatIntent", {}),
    ("yes", "AMAZON.YesIntent", {}),
    ("yep", "AMAZON.YesIntent", {}),
    ("no", "AMAZON.NoIntent", {}),
    ("nope", "AMAZON.NoIntent", {}),
    ("pause", "AMAZON.PauseIntent", {}),
    ("hold on", "AMAZON.PauseIntent", {}),
    ("resume", "AMAZON.ResumeIntent", {}),
    ("start over", "AMAZON.StartOverIntent", {}),
    ("go back", "AMAZON.PreviousIntent", {}),
    ("previous", "AMAZON.PreviousIntent", {}),
    ("go home", "AMAZON.NavigateHomeIntent", {}),
    # Near matches: small typos.
    ("nxt", "AMAZON.NextIntent", {}),
    ("helpp", "AMAZON.HelpIntent", {}),
    ("strat the upper back routine", "StartRoutineIntent", {"routine": "upper_back"}),
    ("start the uper back routine", "StartRoutineIntent", {"routine": "upper_back"}),
    ("is it safe to crak my back", "FaqCrackSafetyIntent", {}),
    ("what makes the poping sound", "FaqPoppingSoundIntent", {}),
    ("my bakc hurts", "PainIntent", {"body_part": "back"}),
    ("i dont have osteoporsis", "NoConditionIntent", {}),
    ("i do nto have osteoporosis", FALLBACK, {}),  # "nto" is "not" only if it adds no negation
    # Nothing the model knows.
    ("purple monkey dishwasher", FALLBACK, {}),
    ("banana", FALLBACK, {}),
    ("what is the capital of france", FALLBACK, {}),
    ("", FALLBACK, {}),
    ("?!", FALLBACK, {}),
    # A negation is never matched away: a negative is never pain.
    ("I am not in pain", "FaqFeelingFineIntent", {}),
    ("it doesn't hurt", "FaqFeelingFineIntent", {}),
    ("no pain", "FaqFeelingFineIntent", {}),
    ("well I'm not in pain right now", "FaqFeelingFineIntent", {}),
    ("my back does not hurt", FALLBACK, {}),
    ("I am nto in pain", FALLBACK, {}),  # a typo near "I am in pain", but it says not
    # Opening the skill.
    ("open workout planner", LAUNCH, {}),
    ("Alexa, open Workout Planner", LAUNCH, {}),
    ("launch workout planner", LAUNCH, {}),
    ("start workout planner", LAUNCH, {}),
    ("ask workout planner", LAUNCH, {}),
    ("workout planner", LAUNCH, {}),
    # One-shot: the invocation name and the request together.
    (
        "Alexa, ask workout planner to start the shoulder release",
        "StartRoutineIntent",
        {"routine": "shoulder_release"},
    ),
    ("ask workout planner is it safe to crack my back", "FaqCrackSafetyIntent", {}),
    ("tell workout planner that hurts", "PainIntent", {}),
    ("ask workout planner for tips", "FaqTipsIntent", {}),
    ("open workout planner and start stretching", "StartRoutineIntent", {"routine": "stretching"}),
]


@pytest.mark.parametrize(("line", "intent", "slots"), CASES, ids=[c[0] or "(empty)" for c in CASES])
def test_resolves(resolver, line, intent, slots):
    found = resolver.resolve(line)
    assert (found.intent, slot_ids(found)) == (intent, slots)


def test_one_shot_is_marked_and_plain_lines_are_not(resolver):
    assert resolver.resolve("ask workout planner to start stretching").one_shot
    assert resolver.resolve("open workout planner").one_shot
    assert not resolver.resolve("start stretching").one_shot


def test_scores_say_how_a_line_matched(resolver):
    assert resolver.resolve("next").score == 1.0
    assert 0.85 <= resolver.resolve("nxt").score < 1.0
    assert resolver.resolve("banana").score == 0.0


def test_a_slot_keeps_its_spoken_words_and_resolved_id(resolver):
    found = resolver.resolve("start self-massage")
    assert found.slots == {"routine": ("self massage", "self_massage")}
    assert resolver.resolve("start yoga").slots == {"routine": ("yoga", None)}


def _filled(sample: str, slot_types: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """The sample with its slots filled by each value and synonym, with the expected ids."""
    filled = [(sample, {})]
    for name in re.findall(r"\{(\w+)\}", sample):
        values = next(t["values"] for t in LANGUAGE["types"] if t["name"] == slot_types[name])
        spoken = [
            (said, value["id"])
            for value in values
            for said in (value["name"]["value"], *value["name"]["synonyms"])
        ]
        filled = [
            (text.replace("{" + name + "}", said, 1), {**ids, name: ident})
            for text, ids in filled
            for said, ident in spoken
        ]
    return filled


def test_every_sample_in_the_model_resolves_to_its_own_intent(resolver):
    """A sample shared between two intents (or shadowed by a slot value) fails here."""
    wrong = []
    for intent in LANGUAGE["intents"]:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            for line, ids in _filled(sample, slot_types):
                found = resolver.resolve(line)
                if (found.intent, slot_ids(found)) != (intent["name"], ids):
                    wrong.append(f"{line!r} ({intent['name']}) -> {found.intent} {found.slots}")
    assert not wrong, "\n".join(wrong)


def test_builtin_phrases_only_for_builtins_the_model_declares():
    model = {
        "interactionModel": {
            "languageModel": {
                "invocationName": "tiny skill",
                "intents": [{"name": "AMAZON.StopIntent", "samples": []}],
                "types": [],
            }
        }
    }
    tiny = Resolver.from_model(model)
    assert tiny.resolve("stop").intent == "AMAZON.StopIntent"
    assert tiny.resolve("pause").intent == FALLBACK
    assert tiny.resolve("open tiny skill").intent == LAUNCH


def test_a_model_sample_wins_over_a_builtin_default():
    language = {
        "invocationName": "tiny skill",
        "intents": [
            {"name": "AMAZON.NextIntent", "samples": []},
            {"name": "SkipIntent", "samples": ["skip"]},
        ],
    }
    tiny = Resolver.from_model({"interactionModel": {"languageModel": language}})
    assert tiny.resolve("skip").intent == "SkipIntent"
    assert tiny.resolve("next").intent == "AMAZON.NextIntent"


def test_builtin_phrase_table_names_only_builtins():
    assert all(name.startswith("AMAZON.") for name in BUILTIN_PHRASES)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Let's  GO!", "lets go"),
        ("self-massage", "self massage"),
        ("it\u2019s sore", "its sore"),
        ("  ", ""),
    ],
)
def test_normalise(text, words):
    assert normalise(text) == words
