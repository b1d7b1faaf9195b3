"""The console's phrasings around the model (skill/content/phrasings/<language>.yaml): loaded per
language into ``Phrasings``, shared by every en-* locale, a broken file named with its field,
and the resolver hearing by them rather than by words written in code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skill.content import bundled_locales
from skill.content.phrasings import load_phrasings, phrasings_file
from skill.content.reader import ContentError
from skill.model import MODEL_DIR, model_path
from skill.nlu import FALLBACK, LAUNCH, Resolver
from tests.support.content import copy_content, edit_yaml

EN = "phrasings/en.yaml"


def test_every_english_locale_shares_the_english_phrasings() -> None:
    english = load_phrasings("en-US")
    for locale in bundled_locales():
        assert phrasings_file(locale) == EN
        assert load_phrasings(locale) is english


def test_the_built_ins_are_amazons_only() -> None:
    builtins = load_phrasings("en-US").builtins
    assert builtins and all(name.startswith("AMAZON.") for name in builtins)
    model = json.loads(model_path("en-US", MODEL_DIR).read_text(encoding="utf-8"))
    declared = {i["name"] for i in model["interactionModel"]["languageModel"]["intents"]}
    assert set(builtins) <= declared, "a phrasing for a built-in the skill never declares"


@pytest.mark.parametrize("locale", bundled_locales())
def test_each_locales_model_file_is_heard_with_its_languages_phrasings(locale: str) -> None:
    resolver = Resolver.from_file(model_path(locale, MODEL_DIR))
    assert resolver.phrasings is load_phrasings(locale)
    assert resolver.resolve("alexa main menu").intent == "AMAZON.NavigateHomeIntent"
    found = resolver.resolve("ask workout planner to go back")
    assert (found.intent, found.one_shot) == ("AMAZON.PreviousIntent", True)


def _resolver_in(directory: Path, locale: str = "en-GB") -> Resolver:
    model = json.loads(model_path("en-US", MODEL_DIR).read_text(encoding="utf-8"))
    return Resolver.from_model(model, phrasings=load_phrasings(locale, directory))


def test_the_resolver_hears_by_the_file_not_by_words_in_code(tmp_path: Path) -> None:
    content = copy_content(tmp_path)

    def change(data: dict[str, Any]) -> None:
        data["wake_words"] = ["computer"]
        data["open_verbs"] = ["wake"]
        data["open_and"] = "then"
        data["ask_verbs"] = ["please"]
        data["connectors"] = ["kindly"]
        data["builtins"]["AMAZON.NavigateHomeIntent"] = ["take me home"]  # no model samples

    assert _resolver_in(content).resolve("alexa main menu").intent == "AMAZON.NavigateHomeIntent"
    edit_yaml(content, EN, change)
    resolver = _resolver_in(content)
    assert resolver.resolve("computer take me home").intent == "AMAZON.NavigateHomeIntent"
    assert resolver.resolve("main menu").intent == FALLBACK
    assert resolver.resolve("wake workout planner").intent == LAUNCH
    assert resolver.resolve("open workout planner").intent != LAUNCH
    found = resolver.resolve("please workout planner kindly go back")
    assert (found.intent, found.one_shot) == ("AMAZON.PreviousIntent", True)
    found = resolver.resolve("wake workout planner then go back")
    assert (found.intent, found.one_shot) == ("AMAZON.PreviousIntent", True)


def test_negation_words_come_from_the_file(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    english = _resolver_in(content)
    assert english.resolve("my back does not hurt a lot").intent != "PainIntent"
    edit_yaml(content, EN, lambda data: data.update(negations=["nope"]))
    assert _resolver_in(content).resolve("my back hurts a lot nope").intent != "PainIntent"


Change = Callable[[dict[str, Any]], object]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.pop("negations"), r"negations: must be a non-empty list"),
        (lambda d: d.update(negations=["don't"]), r"negations\[0\]: must be one lower-case word"),
        (lambda d: d.update(connectors=["so that"]), r"connectors\[0\]: must be one lower-case"),
        (lambda d: d.update(open_verbs=["Open"]), r"open_verbs\[0\]: must be lower-case words"),
        (lambda d: d.update(wake_words=[]), r"wake_words: must be a non-empty list"),
        (lambda d: d.update(articles="the"), r"articles: must be a non-empty list"),
        (lambda d: d.update(open_and=["and"]), r"open_and: must be one lower-case word"),
        (lambda d: d.update(grammar=[]), r"grammar: is not one of the phrasings"),
        (lambda d: d.update(builtins=["yes"]), r"builtins: must be a mapping"),
        (
            lambda d: d["builtins"].update(ThanksIntent=["cheers"]),
            r"builtins\.ThanksIntent: is not a built-in intent",
        ),
        (
            lambda d: d["builtins"].update({"AMAZON.YesIntent": ["yes", 7]}),
            r"builtins\.AMAZON\.YesIntent\[1\]: must be lower-case words",
        ),
    ],
)
def test_a_broken_phrasings_file_names_the_file_and_field(
    tmp_path: Path, change: Change, problem: str
) -> None:
    content = copy_content(tmp_path)
    edit_yaml(content, EN, change)
    with pytest.raises(ContentError, match=rf"^phrasings/en\.yaml: {problem}"):
        load_phrasings("en-AU", content)


def test_a_missing_or_unparsable_phrasings_file_is_named(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    with pytest.raises(ContentError, match=r"^phrasings/fr\.yaml: cannot be read"):
        load_phrasings("fr-FR", content)
    (content / EN).write_text("builtins: [unclosed\n")
    with pytest.raises(ContentError, match=r"^phrasings/en\.yaml: is not valid YAML"):
        load_phrasings("en-US", content)
