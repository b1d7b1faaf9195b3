"""Locale overlays: they change only what differs, and a broken one names its file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from skill.content import ContentError, load_content
from skill.content.loader import load_content_from, render_compiled
from tests.support.content import copy_content
from tests.support.content import edit_yaml as edit


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the bundled content (YAML and compiled copy) to break."""
    return copy_content(tmp_path)


def test_an_overlay_changes_only_what_it_names(copy: Path) -> None:
    us, gb = load_content("en-US"), load_content("en-GB")
    differs = {key for key in us.prompts if us.prompts[key] != gb.prompts[key]}
    assert differs == {"chest_pain", "red_flag"}  # through the facts, not copied prompts
    assert [e.id for e in us.faq if e.answer != gb.faq_entry(e.id).answer] == ["see_doctor"]
    assert us.routines == gb.routines and us.templates == gb.templates


def test_words_are_replaced_whole_and_keep_their_capital(copy: Path) -> None:
    edit(copy, "locales/en-CA.yaml", lambda d: d["words"].update({"shoulder": "elbow"}))
    canada = load_content_from(copy, "en-CA")
    see_doctor = canada.faq_entry("see_doctor")
    assert see_doctor is not None and "such as physiotherapy" in see_doctor.answer
    stretching, release = canada.routine("stretching"), canada.routine("shoulder_release")
    assert stretching is not None and release is not None
    neck = stretching.steps[1].say
    assert "towards your right elbow." in neck and "Keep your shoulders low" in neck
    assert release.steps[1].title == "Elbow shrugs"
    assert release.name == "shoulder release"  # a name is a slot value of the model: kept


def test_the_spoken_list_is_joined_the_way_the_content_says(copy: Path) -> None:
    edit(copy, "locales/en-GB.yaml", lambda d: d.update(templates={"choices": "{items} or {last}"}))
    menu = load_content_from(copy, "en-GB").prompts["menu"][0]
    assert "self massage or shoulder release." in menu
    assert "self massage, or shoulder release" in load_content_from(copy).prompts["menu"][0]


def test_added_synonyms_are_heard_only_in_their_locale() -> None:
    assert load_content("en-GB").find_topic("should I see my GP") == "see_doctor"
    assert load_content("en-US").find_topic("should I see my GP") is None


@pytest.mark.parametrize(
    ("locale", "change", "expected"),
    [
        (
            "en-GB",
            lambda d: d["facts"].pop("emergency_number"),
            "locales/en-GB.yaml: facts.emergency_number: every locale needs its emergency number",
        ),
        (
            "en-AU",
            lambda d: d["facts"].update(emergency_number=0),  # `000` unquoted
            'locales/en-AU.yaml: facts.emergency_number: must be the digits in quotes, like "000"',
        ),
        ("en-IN", lambda d: d.pop("facts"), "locales/en-IN.yaml: facts: every locale needs"),
        (
            "en-CA",
            lambda d: d["facts"].update(poison_line="one two three"),
            "locales/en-CA.yaml: facts.poison_line: is not a locale fact",
        ),
        (
            "en-GB",
            lambda d: d["facts"].update(country="UK!"),
            "locales/en-GB.yaml: facts.country: must be a country code",
        ),
        (
            "en-GB",
            lambda d: d.update(prompts={"wellcome": "Hello"}),
            "locales/en-GB.yaml: prompts.wellcome: the base has no prompt 'wellcome'",
        ),
        (
            "en-GB",
            lambda d: d.update(prompts={"menu": "Choose {colour}"}),
            "locales/en-GB.yaml: prompts.menu: unknown placeholder {colour}",
        ),
        (
            "en-GB",
            lambda d: d.update(templates={"step": "Step {who}"}),
            "locales/en-GB.yaml: templates.step: unknown placeholder {who}",
        ),
        (
            "en-GB",
            lambda d: d["faq"].update(see_docter={"answer": "Soon."}),
            "locales/en-GB.yaml: faq.see_docter: the base has no FAQ entry 'see_docter'",
        ),
        (
            "en-GB",
            lambda d: d["faq"]["see_doctor"].update(colour="red"),
            "locales/en-GB.yaml: faq.see_doctor.colour: an overlay may set only answer, name",
        ),
        (
            "en-GB",
            lambda d: d["faq"]["see_doctor"].update(answer=""),
            "locales/en-GB.yaml: faq.see_doctor.answer: must be a non-empty string",
        ),
        (
            "en-GB",
            lambda d: d.update(routines={"upper_back": {"steps": {"warm_upp": {"say": "Go."}}}}),
            "locales/en-GB.yaml: routines.upper_back.steps.warm_upp: the base has no step",
        ),
        (
            "en-GB",
            lambda d: d.update(routines={"pilates": {"name": "pilates"}}),
            "locales/en-GB.yaml: routines.pilates: the base has no routine 'pilates'",
        ),
        (
            "en-GB",
            lambda d: d.update(words={"color": "colour"}),
            "locales/en-GB.yaml: words.color: no spoken or shown text in the base uses it",
        ),
        (
            "en-GB",
            lambda d: d.update(sounds={"ding": "dong"}),
            "locales/en-GB.yaml: sounds: is not an overlay section",
        ),
    ],
)
def test_a_broken_overlay_names_its_file_and_field(copy: Path, locale, change, expected) -> None:
    edit(copy, f"locales/{locale}.yaml", change)
    with pytest.raises(ContentError) as error:
        load_content_from(copy, locale)
    assert expected in str(error.value)


def test_a_base_placeholder_that_is_not_a_fact_is_refused(copy: Path) -> None:
    edit(copy, "faq.yaml", lambda d: d["faq"][0].update(answer="Call {ambulance}."))
    with pytest.raises(ContentError, match=r"faq.yaml: faq\[0\].answer: unknown placeholder"):
        load_content_from(copy)


def test_a_locale_without_an_overlay_is_named(copy: Path) -> None:
    with pytest.raises(ContentError, match=r"locales/en-NZ.yaml: cannot be read"):
        load_content_from(copy, "en-NZ")


def test_an_overlay_file_must_be_named_for_a_locale(copy: Path) -> None:
    shutil.copy(copy / "locales" / "en-GB.yaml", copy / "locales" / "british.yaml")
    with pytest.raises(ContentError, match=r"locales/british.yaml: the file name must be a locale"):
        render_compiled(copy)


def test_compiling_checks_every_locale(copy: Path) -> None:
    edit(copy, "locales/en-IN.yaml", lambda d: d["facts"].pop("emergency_number"))
    with pytest.raises(ContentError, match=r"locales/en-IN.yaml: facts.emergency_number"):
        render_compiled(copy)


def test_the_compiled_copy_holds_the_overlays_and_goes_stale_with_them(copy: Path) -> None:
    compiled = (copy / "compiled.json").read_text()
    assert '"locales/en-AU.yaml"' in compiled
    edit(copy, "locales/en-AU.yaml", lambda d: d["facts"].update(emergency_number_said="oh oh oh"))
    assert "Call oh oh oh right away" in load_content_from(copy, "en-AU").prompts["chest_pain"][0]
