"""The content loads into typed objects, says what the product promises, and fails clearly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from skill.content import ContentError, Side
from skill.content.keys import P
from skill.content.loader import CONTENT_DIR, load_content_from


def test_upper_back_routine_follows_the_source(content) -> None:
    routine = content.default_routine
    assert [s.id for s in routine.steps] == [
        "warm_up",
        "position",
        "pressure",
        "twist_right",
        "twist_left",
    ]
    assert {routine.steps[3].side, routine.steps[4].side} == {Side.LEFT, Side.RIGHT}
    assert "foam roller" in routine.steps[2].say
    assert not routine.suits_spine_condition


def test_every_routine_has_short_coach_like_steps(content) -> None:
    assert {r.id for r in content.routines} >= {"upper_back", "stretching", "self_massage"}
    for routine in content.routines:
        for step in routine.steps:
            sentences = [s for s in re.split(r"[.!?]", step.say) if s.strip()]
            assert 1 <= len(sentences) <= 3, (routine.id, step.id)
            assert step.card


def test_at_least_one_routine_suits_a_spine_condition(content) -> None:
    assert any(r.suits_spine_condition for r in content.routines)


def test_faq_covers_the_safety_questions_with_synonyms(content) -> None:
    ids = {e.id for e in content.faq}
    assert len(ids) >= 10
    assert ids >= {
        "crack_safety",
        "feels_good",
        "injury",
        "popping_sound",
        "equipment",
        "see_doctor",
        "benefits",
        "risks",
        "who_should_not",
        "chiropractic",
    }
    for entry in content.faq:
        assert entry.synonyms, entry.id
        assert 1 <= len([s for s in re.split(r"[.!?]", entry.answer) if s.strip()]) <= 3


def test_safety_texts(content) -> None:
    assert "not a substitute for professional medical advice" in content.prompts["disclaimer"][0]
    assert "healthcare professional" in content.prompts["pain_stop"][0]
    assert "Call nine one one right away" in content.prompts["chest_pain"][0]
    assert "medical attention today. Please see a doctor" in content.prompts["red_flag"][0]
    assert "Alexa, it hurts" in content.prompts["how_to_stop"][0]  # the wake word


def test_every_step_has_an_easier_variation(content) -> None:
    for routine in content.routines:
        for step in routine.steps:
            assert step.easier and step.easier != step.say, (routine.id, step.id)


def test_twists_ease_in_without_leverage_and_pressure_stays_off_the_bones(content) -> None:
    for routine in content.routines:
        for step in routine.steps:
            text = f"{step.say} {step.card} {step.easier}".lower()
            assert "as your spine adjusts" not in text
            assert not re.search(
                r"\b(pull|leverage|further)\b", re.sub(r"no pulling( or leverage)?", "", text)
            )
            assert "on your spine" not in text and "on the spine itself" not in text
    pressure = content.routine("upper_back").steps[2]
    assert "never on the bones of the spine" in pressure.say


def test_neck_stretches_hold_each_side_on_its_own(content) -> None:
    steps = [s for s in content.routine("stretching").steps if s.id.startswith("neck")]
    assert [(s.side, bool(s.hold_seconds)) for s in steps] == [
        (Side.RIGHT, True),
        (Side.LEFT, True),
    ]


def test_the_pop_line_says_it_may_happen_and_is_not_the_aim(content) -> None:
    twist = content.routine("upper_back").steps[4]
    assert "pop may happen" in twist.say and "isn't the aim" in twist.say


def test_small_talk_has_at_least_three_wordings(content) -> None:
    for key in (
        P.FALLBACK,
        P.FALLBACK_ROUTINE,
        P.MENU_REPROMPT,
        P.STEP_REPROMPT,
        P.SCREENING_REPROMPT,
        P.PAUSED_REPROMPT,
        P.PAIN_REPROMPT,
        P.STEP_TRANSITION,
        P.STEP_NEXT,
        P.HOLD_END,
        P.THANKS,
        P.DECLINED,
        P.SCREENING_NOTED,
    ):
        assert len(set(content.prompts[key])) >= 3, key


ALL_TEXT_FORBIDDEN = [
    r"\byou (need|have|ought) to (crack|pop)\b",
    r"\bshould (crack|pop)\b",
    r"\byou have (a|an) \w+ (condition|injury|disease)\b",  # diagnosing
    r"\bdiagnos(e|ing)\b",
    r"\bpush through\b",
]


def every_text(content) -> list[str]:
    texts = [spec.text for spec in content.cue_specs()]
    texts += [step.card for r in content.routines for step in r.steps]
    return texts


@pytest.mark.parametrize("pattern", ALL_TEXT_FORBIDDEN)
def test_never_diagnoses_or_urges_a_crack(content, pattern: str) -> None:
    for text in every_text(content):
        assert not re.search(pattern, text, re.IGNORECASE), text


def test_every_cue_has_a_unique_id(content) -> None:
    ids = [spec.id for spec in content.cue_specs()]
    assert len(ids) == len(set(ids))
    assert all(len(spec.text) < 1000 for spec in content.cue_specs())


@pytest.fixture
def broken(tmp_path: Path):
    """Copy the content, apply a change to one file, and return the loader's error."""

    def apply(file: str, change) -> str:
        target = tmp_path / "content"
        shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        data = yaml.safe_load((target / file).read_text())
        change(data)
        (target / file).write_text(yaml.safe_dump(data))
        with pytest.raises(ContentError) as error:
            load_content_from(target)
        return str(error.value)

    return apply


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "routines.yaml",
            lambda d: d["routines"][0]["steps"][2].pop("say"),
            "routines.yaml: routines[0].steps[2].say: must be a non-empty string",
        ),
        (
            "routines.yaml",
            lambda d: d["routines"][0]["steps"][0].update(hold_seconds="long"),
            "routines.yaml: routines[0].steps[0].hold_seconds",
        ),
        (
            "routines.yaml",
            lambda d: d["routines"][1]["steps"][0].update(side="up"),
            "routines.yaml: routines[1].steps[0].side",
        ),
        (
            "routines.yaml",
            lambda d: d["routines"][2].update(suits_spine_condition="maybe"),
            "routines.yaml: routines[2].suits_spine_condition",
        ),
        ("routines.yaml", lambda d: d.update(default="pilates"), "routines.yaml: default"),
        (
            "routines.yaml",
            lambda d: d["routines"][1].update(id="upper_back"),
            "routines.yaml: routines: duplicate id 'upper_back'",
        ),
        (
            "routines.yaml",
            lambda d: d["routines"][0].update(steps=[]),
            "routines.yaml: routines[0].steps: must be a non-empty list",
        ),
        ("faq.yaml", lambda d: d["faq"][3].update(answer=""), "faq.yaml: faq[3].answer"),
        ("faq.yaml", lambda d: d["faq"][0].update(synonyms="crack"), "faq.yaml: faq[0].synonyms"),
        (
            "prompts.yaml",
            lambda d: d["prompts"].update(menu="Do {dance}"),
            "prompts.yaml: prompts.menu: unknown placeholder {dance}",
        ),
        (
            "prompts.yaml",
            lambda d: d["templates"].update(step="Step {who}"),
            "prompts.yaml: templates.step",
        ),
        ("intents.yaml", lambda d: d.pop("invocation_name"), "intents.yaml: invocation_name"),
    ],
)
def test_broken_content_names_file_and_field(broken, file, change, expected) -> None:
    assert expected in broken(file, change)


def test_unparsable_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (target / "faq.yaml").write_text("faq:\n  - id: [unclosed\n")
    with pytest.raises(ContentError, match=r"faq.yaml: is not valid YAML at line \d+"):
        load_content_from(target)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"routines\.yaml: cannot be read"):
        load_content_from(tmp_path)


def test_every_prompt_key_is_said_somewhere() -> None:
    """An unused prompt would still be rendered as a cue: every key is used by the code."""
    skill = Path(__file__).parent.parent / "skill"
    code = "".join(path.read_text() for path in skill.rglob("*.py") if path.name != "keys.py")
    unused = [key.value for key in P if f"P.{key.name}" not in code]
    # Per-side step information is chosen by the step's side.
    assert unused == ["step_info_side_left", "step_info_side_right", "step_info_side_both"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["prompts"].pop("menu_reprompt"), "prompts.menu_reprompt: is missing"),
        (lambda d: d["prompts"].update(menu_repromt="x"), "prompts.menu_repromt: is not a prompt"),
        (lambda d: d["prompts"].update(thanks=[]), "prompts.thanks: must be a string or"),
        (lambda d: d["prompts"].update(thanks=["ok", ""]), "prompts.thanks[1]"),
    ],
)
def test_prompt_keys_are_checked_when_the_content_loads(broken, change, expected) -> None:
    assert expected in broken("prompts.yaml", change)


def test_the_compiled_copy_is_current() -> None:
    from skill.content.loader import COMPILED, render_compiled

    assert (CONTENT_DIR / COMPILED).read_text() == render_compiled(), (
        "skill/content/compiled.json is stale: run `workout-planner model`"
    )


def test_a_stale_compiled_copy_is_ignored(tmp_path: Path) -> None:
    """Edit a YAML file and forget to recompile: the YAML wins, never the old copy."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    faq = target / "faq.yaml"
    faq.write_text(faq.read_text().replace("No equipment is needed.", "You need nothing at all."))
    entry = load_content_from(target).faq_entry("equipment")
    assert entry is not None and entry.answer.startswith("You need nothing at all.")


def test_a_normal_start_does_not_import_yaml() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from skill.content import load_content; load_content(); "
        "print('yaml' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_normal_start_leaves_the_template_syntax_to_the_compiled_copy(tmp_path, monkeypatch):
    # render_compiled checked every template before writing the copy; a start from a current
    # copy parses none of them, and a changed source is checked in full again.
    from skill.content import grammar

    parsed: list[str] = []
    real = grammar.check_syntax
    monkeypatch.setattr(grammar, "check_syntax", lambda text: parsed.append(text) or real(text))
    load_content_from(CONTENT_DIR)
    assert parsed == []
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    intents = target / "intents.yaml"
    intents.write_text(intents.read_text() + "\n# edited\n")
    load_content_from(target)
    assert len(parsed) > 100
