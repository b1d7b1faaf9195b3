"""The sample grammar: templates expand as written, mistakes fail clearly, collisions are named."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from skill.content import ContentError
from skill.content.grammar import MAX_EXPANSION, Grammar, GrammarError, check_syntax
from skill.content.loader import CONTENT_DIR, load_content_from
from skill.content.samples import (
    ModelLimits,
    SampleCollision,
    check_limits,
    expand_samples,
    faq_intent_name,
)

PHRASES = {"hurts": "(hurts|is sore|<aches>)", "aches": "(aches|is aching)", "please": "(please|)"}


@pytest.mark.parametrize(
    ("template", "samples"),
    [
        ("it hurts", ["it hurts"]),
        ("(it|that) hurts", ["it hurts", "that hurts"]),
        ("(sharp|) pain", ["sharp pain", "pain"]),
        ("a (sharp|sudden|) pain", ["a sharp pain", "a sudden pain", "a pain"]),
        (
            "(I|I've) got ((a|some) pain|it)",
            [
                "I got a pain",
                "I got some pain",
                "I got it",
                "I've got a pain",
                "I've got some pain",
                "I've got it",
            ],
        ),
        (
            "my {body_part} <hurts>",
            [
                "my {body_part} hurts",
                "my {body_part} is sore",
                "my {body_part} aches",
                "my {body_part} is aching",
            ],
        ),
        ("next <please>", ["next please", "next"]),
        ("(a|a) b", ["a b"]),  # duplicates collapse, order kept
        ("it's  (really|)   sore", ["it's really sore", "it's sore"]),
        ("a.m. stretch", ["a.m. stretch"]),
    ],
)
def test_templates_expand_to_every_choice_in_order(template, samples) -> None:
    assert Grammar(PHRASES).expand(template) == samples


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("(it|that hurts", "unclosed '('"),
        ("it hurts)", "unexpected ')'"),
        ("it | hurts", "unexpected '|'"),
        ("(it) hurts", "needs '|'"),
        ("(|)", "expands to nothing"),
        ("it hurts!", "letters, apostrophes and periods only"),
        ("stop, it hurts", "letters, apostrophes and periods only"),
        ("ow 2", "letters, apostrophes and periods only"),
        ("my {Body} hurts", "is not a slot"),
        ("it <ouch>", "<ouch> is not a phrase"),
        ("it <Hurts>", "is not a phrase reference"),
    ],
)
def test_a_malformed_template_says_why_and_quotes_it(template, reason) -> None:
    with pytest.raises(GrammarError) as error:
        Grammar(PHRASES).expand(template)
    assert reason in str(error.value)
    assert repr(template) in str(error.value) or "<ouch>" in str(error.value)


def test_phrases_may_use_phrases_but_not_in_a_cycle() -> None:
    with pytest.raises(GrammarError, match=r"refers to itself: a -> b -> a"):
        Grammar({"a": "(x|<b>)", "b": "y <a>"})


def test_a_template_that_explodes_is_refused() -> None:
    four = "(a|b|c|d)"
    with pytest.raises(GrammarError, match=f"more than {MAX_EXPANSION}"):
        Grammar().expand(" ".join([four] * 7))  # 4**7 = 16384


def test_check_syntax_names_the_phrases_used_without_expanding() -> None:
    assert check_syntax("(<a>|b (<c>|)) {slot}") == {"a", "c"}
    with pytest.raises(GrammarError):
        check_syntax("(a|b")


def test_faq_intent_names() -> None:
    assert faq_intent_name("crack_safety") == "FaqCrackSafetyIntent"
    assert faq_intent_name("risks") == "FaqRisksIntent"


def test_a_sample_in_two_intents_names_both_intents_and_both_templates(content) -> None:
    custom = dict(content.intents.custom)
    custom["PainIntent"] = (*custom["PainIntent"], "(ouch|oh no) my (toe|pinky) hurts")
    custom["DeleteDataIntent"] = (*custom["DeleteDataIntent"], "oh no my pinky hurts")
    clashing = dataclasses.replace(
        content, intents=dataclasses.replace(content.intents, custom=custom)
    )
    with pytest.raises(SampleCollision) as error:
        expand_samples(clashing)
    message = str(error.value)
    assert "'oh no my pinky hurts'" in message
    assert "PainIntent" in message and "DeleteDataIntent" in message
    assert "'(ouch|oh no) my (toe|pinky) hurts'" in message


def test_collisions_ignore_case(content) -> None:
    custom = {**content.intents.custom, "DeleteDataIntent": ("IT HURTS",)}
    clashing = dataclasses.replace(
        content, intents=dataclasses.replace(content.intents, custom=custom)
    )
    with pytest.raises(SampleCollision, match="PainIntent"):
        expand_samples(clashing)


def test_the_model_command_reports_a_collision_and_writes_nothing(tmp_path, monkeypatch) -> None:
    from skill import model
    from skill.cli import main

    target = copy_content(tmp_path)
    data = yaml.safe_load((target / "intents.yaml").read_text())
    data["intents"]["DeleteDataIntent"].append("it hurts")
    (target / "intents.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(model, "load_content", lambda locale: load_content_from(target, locale))
    out = tmp_path / "models"
    result = CliRunner().invoke(main, ["model", "--out", str(out)])
    assert result.exit_code == 1
    assert "the sample 'it hurts' is in two intents" in result.output
    assert "PainIntent" in result.output and "DeleteDataIntent" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (ModelLimits(intents=2), "intents: more than 2"),
        (ModelLimits(samples_per_intent=1), "samples, more than 1"),
        (ModelLimits(sample_characters=5), "longer than 5 characters"),
        (ModelLimits(total_characters=10), "more than 10"),
    ],
)
def test_a_model_past_its_limits_is_refused(limits, problem) -> None:
    expanded = {"A": ("one two", "three"), "B": ("four",), "C": ("five",)}
    with pytest.raises(ContentError, match=problem):
        check_limits(expanded, limits)


def test_the_committed_grammar_fits_the_limits(content) -> None:
    check_limits(expand_samples(content))


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (target / "compiled.json").unlink()
    return target


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "intents.yaml",
            lambda d: d["intents"]["PainIntent"].append("(it|that hurts"),
            "intents.yaml: intents.PainIntent[",
        ),
        (
            "intents.yaml",
            lambda d: d["intents"]["PainIntent"].append("it <owie>"),
            "<owie> is not a phrase in intents.yaml",
        ),
        (
            "intents.yaml",
            lambda d: d["intents"]["PainIntent"].append("my {elbow} hurts"),
            "{elbow} is not a slot",
        ),
        (
            "intents.yaml",
            lambda d: d["phrases"].update(bad="(a|"),
            "intents.yaml: phrases.bad: unclosed '('",
        ),
        (
            "intents.yaml",
            lambda d: d["slots"].update(elbow="ELBOW"),
            "intents.yaml: slots.elbow: names no slot type ('ELBOW')",
        ),
        (
            "intents.yaml",
            lambda d: d.update(fallback_sensitivity="EXTREME"),
            "intents.yaml: fallback_sensitivity: must be one of LOW, MEDIUM, HIGH",
        ),
        (
            "faq.yaml",
            lambda d: d["faq"][0].update(samples=["is it (safe|ok to crack"]),
            "faq.yaml: faq[0].samples[0]: unclosed '('",
        ),
    ],
)
def test_a_broken_template_names_file_and_field(tmp_path, file, change, expected) -> None:
    target = copy_content(tmp_path)
    data = yaml.safe_load((target / file).read_text())
    change(data)
    (target / file).write_text(yaml.safe_dump(data))
    with pytest.raises(ContentError) as error:
        load_content_from(target)
    assert expected in str(error.value)
