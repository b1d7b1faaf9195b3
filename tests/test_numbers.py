"""Numbers said as words come from the content (numbers.yaml), spelt by a pure function of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skill.content import ContentError
from skill.content.loader import load_content_from, render_compiled
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import Settings
from tests.support.content import copy_content
from tests.support.content import edit_yaml as edit
from tests.support.dialogue import Dialogue

CARDINALS = [
    (0, "zero"),
    (1, "one"),
    (9, "nine"),
    (10, "ten"),
    (11, "eleven"),
    (12, "twelve"),
    (13, "thirteen"),
    (15, "fifteen"),
    (19, "nineteen"),
    (20, "twenty"),
    (21, "twenty-one"),
    (45, "forty-five"),
    (90, "ninety"),
    (99, "ninety-nine"),
    (100, "one hundred"),
    (101, "one hundred and one"),
    (110, "one hundred and ten"),
    (115, "one hundred and fifteen"),
    (120, "one hundred and twenty"),
    (342, "three hundred and forty-two"),
    (500, "five hundred"),
    (999, "nine hundred and ninety-nine"),
]
ORDINALS = [
    (1, "first"),
    (2, "second"),
    (3, "third"),
    (4, "fourth"),
    (5, "fifth"),
    (8, "eighth"),
    (9, "ninth"),
    (12, "twelfth"),
    (13, "thirteenth"),
    (20, "twentieth"),
    (21, "twenty-first"),
    (22, "twenty-second"),
    (23, "twenty-third"),
    (40, "fortieth"),
    (99, "ninety-ninth"),
    (100, "one hundredth"),
    (101, "one hundred and first"),
    (112, "one hundred and twelfth"),
    (130, "one hundred and thirtieth"),
    (700, "seven hundredth"),
    (999, "nine hundred and ninety-ninth"),
]


@pytest.mark.parametrize(("number", "said"), CARDINALS)
def test_numbers_are_said_in_words(content, number: int, said: str) -> None:
    assert content.numbers.cardinal(number) == said


@pytest.mark.parametrize(("number", "said"), ORDINALS)
def test_ordinals_are_said_in_words(content, number: int, said: str) -> None:
    assert content.numbers.ordinal(number) == said


@pytest.mark.parametrize("number", [-1, 1000, 1234])
def test_numbers_outside_zero_to_999_are_refused(content, number: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        content.numbers.cardinal(number)
    with pytest.raises(ValueError, match="out of range"):
        content.numbers.ordinal(number)


def test_every_number_up_to_999_has_distinct_words(content) -> None:
    cardinals = [content.numbers.cardinal(n) for n in range(1000)]
    ordinals = [content.numbers.ordinal(n) for n in range(1000)]
    assert len(set(cardinals)) == len(set(ordinals)) == 1000
    assert not set(cardinals) & set(ordinals)
    assert all(word.replace("-", " ").replace(" ", "").isalpha() for word in cardinals)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


def _drop(table: str, number: int) -> Any:
    return lambda d: d[table].pop(number)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("numbers.yaml", _drop("words", 7), "numbers.yaml: words.7: is missing"),
        ("numbers.yaml", _drop("ordinals", 30), "numbers.yaml: ordinals.30: is missing"),
        (
            "numbers.yaml",
            lambda d: d["words"].update({7: ""}),
            "numbers.yaml: words.7: must be a non-empty string",
        ),
        (
            "numbers.yaml",
            lambda d: d["words"].update({25: "twenty-five"}),
            "numbers.yaml: words.25: is not a number said as one word",
        ),
        (
            "numbers.yaml",
            lambda d: d.pop("hundreds_and"),
            "numbers.yaml: hundreds_and: must be a non-empty string",
        ),
        (
            "numbers.yaml",
            lambda d: d.update(tens_and_ones="{tens}"),
            "numbers.yaml: tens_and_ones: must use exactly {ones}, {tens}",
        ),
        (
            "numbers.yaml",
            lambda d: d.update(thousands="{thousands} thousand"),
            "numbers.yaml: thousands: is not part of the numbers",
        ),
        (
            "locales/en-GB.yaml",
            lambda d: d.update(numbers={"words": {3: None}}),
            "locales/en-GB.yaml: numbers.words.3: must be a non-empty string",
        ),
        (
            "locales/en-GB.yaml",
            lambda d: d.update(numbers={"hundreds": "hundreds"}),
            "locales/en-GB.yaml: numbers.hundreds: must use exactly {hundreds}",
        ),
        (
            "locales/en-GB.yaml",
            lambda d: d.update(numbers={"words": ["zero"]}),
            "locales/en-GB.yaml: numbers.words: must be a mapping",
        ),
    ],
)
def test_broken_numbers_fail_naming_the_file_and_field(
    copy: Path, name: str, change: Any, message: str
) -> None:
    edit(copy, name, change)
    with pytest.raises(ContentError) as failure:
        load_content_from(copy, "en-GB")
    assert str(failure.value).startswith(message)
    with pytest.raises(ContentError):
        render_compiled(copy)  # `workout-planner model` never compiles it either


def test_missing_numbers_file_fails_naming_it(copy: Path) -> None:
    (copy / "numbers.yaml").unlink()
    with pytest.raises(ContentError, match=r"^numbers.yaml: cannot be read"):
        load_content_from(copy)


def test_an_overlay_replaces_a_word_in_every_number_that_uses_it(copy: Path) -> None:
    edit(copy, "locales/en-GB.yaml", lambda d: d.update(numbers={"words": {5: "fyve"}}))
    britain, america = load_content_from(copy, "en-GB"), load_content_from(copy, "en-US")
    assert britain.numbers.cardinal(5) == "fyve" and britain.numbers.cardinal(45) == "forty-fyve"
    assert britain.numbers.cardinal(500) == "fyve hundred"
    assert britain.numbers.ordinal(5) == "fifth"  # only what the overlay names changes
    assert america.numbers.cardinal(45) == "forty-five"
    routine = britain.default_routine  # five steps: the spoken step lines follow
    assert "Step one of fyve." in britain.step_line(routine, 0).text
    assert "of five" in america.step_line(routine, 0).text


def test_an_overlay_changes_how_numbers_combine(copy: Path) -> None:
    change = {"hundreds_and": "{hundreds} hundred {rest}", "ordinals": {1: "firstly"}}
    edit(copy, "locales/en-US.yaml", lambda d: d.update(numbers=change))
    numbers = load_content_from(copy, "en-US").numbers
    assert numbers.cardinal(101) == "one hundred one"
    assert numbers.ordinal(121) == "one hundred twenty-firstly"


def test_the_machine_says_the_contents_numbers(copy: Path, tmp_path: Path) -> None:
    """Through real envelopes: the step, the hold count and the weekly ordinal are content."""
    words = {1: "uno", 2: "dos", 3: "tres", 5: "cinco", 15: "quince"}
    change = {"words": words, "ordinals": {1: "primero", 2: "segundo"}}
    edit(copy, "locales/en-US.yaml", lambda d: d.update(numbers=change))
    content = load_content_from(copy, "en-US")
    skill = build_skill(content=content, settings=Settings(db_path=tmp_path / "p.sqlite3"))
    person = Dialogue(skill, AlexaSession())
    said = person.start(screening="no")
    assert "Step uno of cinco." in said.speech
    said = person.say("AMAZON.NextIntent")
    assert "Step dos of cinco." in said.speech
    while said.state != "finished":
        said = person.say("AMAZON.NextIntent")
    assert "primero" in said.speech  # the first session this week, counted for a known person
