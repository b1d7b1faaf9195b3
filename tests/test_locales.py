"""Every English-speaking market gets its own bundle, safety words and fallbacks, end to end."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from skill.content import DEFAULT_LOCALE, Library, bundled_locales, load_content
from skill.envelopes import AlexaSession
from skill.factory import build_skill, invoke
from skill.settings import Settings
from tests.support.dialogue import Dialogue

LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")

#: locale -> (the emergency number, as written and as said; the urgent route, as said)
SAFETY = {
    "en-US": ("911", "nine one one", "see a doctor"),
    "en-CA": ("911", "nine one one", "see a doctor"),
    "en-GB": ("999", "nine nine nine", "call NHS one one one"),
    "en-AU": ("000", "triple zero", "call healthdirect on one eight hundred, zero two two"),
    "en-IN": ("112", "one one two", "see a doctor"),
}


@pytest.fixture(scope="module")
def skill() -> Any:
    return build_skill(settings=Settings())


def talk(skill: Any, locale: str) -> Dialogue:
    return Dialogue(skill, AlexaSession(locale=locale))


def test_the_five_markets_are_bundled() -> None:
    assert bundled_locales()[0] == DEFAULT_LOCALE
    assert set(bundled_locales()) == set(LOCALES)
    for locale in LOCALES:
        bundle = load_content(locale)
        assert bundle.locale == locale and bundle is load_content(locale)  # loaded once
        assert bundle.facts.country == locale[-2:]


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_names_its_own_numbers(locale: str) -> None:
    number, said, route = SAFETY[locale]
    facts = load_content(locale).facts
    assert (facts.emergency_number, facts.emergency_number_said) == (number, said)
    assert facts.urgent_route_said.startswith(route)


@pytest.mark.parametrize("locale", LOCALES)
def test_chest_pain_mid_routine_sends_for_the_local_emergency_number(skill, locale: str) -> None:
    dialogue = talk(skill, locale)
    dialogue.start()
    said = dialogue.say("ChestPainIntent")
    _, number, _ = SAFETY[locale]
    assert f"Call {number} right away" in said and said.ended
    others = {spoken for _, spoken, _ in SAFETY.values()} - {number}
    assert not any(other in said.speech for other in others), said.speech
    assert number in said.card["content"]


@pytest.mark.parametrize("locale", LOCALES)
def test_red_flags_name_the_urgent_route_and_the_emergency_number(skill, locale: str) -> None:
    dialogue = talk(skill, locale)
    dialogue.start("stretching")
    said = dialogue.say("RedFlagIntent")
    _, number, route = SAFETY[locale]
    assert f"Please {route}" in said and f"call {number}" in said and said.ended
    assert said.state == "ended"


def test_an_english_locale_without_a_bundle_gets_en_us_and_a_log_line(skill, caplog) -> None:
    caplog.set_level(logging.INFO, logger="skill.handlers")
    said = talk(skill, "en-NZ").launch()
    assert "Welcome to Workout Planner" in said and not said.ended
    records = [r for r in caplog.records if r.getMessage() == "no content for the request's locale"]
    assert len(records) == 1  # once per request, however many handlers ask
    assert (records[0].locale, records[0].answered_in) == ("en-NZ", "en-US")
    assert records[0].language_supported is True


@pytest.mark.parametrize("locale", ["de-DE", "fr-CA", "hi-IN", "es-US"])
def test_another_language_gets_a_short_apology_not_an_error(skill, locale: str) -> None:
    dialogue = talk(skill, locale)
    for said in (dialogue.launch(), dialogue.say("AMAZON.HelpIntent")):
        assert said.speech == load_content().prompts["language_unsupported"][0]
        assert said.ended and said.state is None
        assert said.card["content"] == said.speech


def test_can_fulfill_declines_a_language_it_does_not_speak(skill) -> None:
    def verdict(locale: str) -> str:
        session = AlexaSession(locale=locale)
        envelope = session.intent("StartRoutineIntent", routine="stretching")
        envelope["request"]["type"] = "CanFulfillIntentRequest"
        envelope["request"].pop("dialogState", None)
        response = invoke(skill, envelope)["response"]
        return str(response["canFulfillIntent"]["canFulfill"])

    assert verdict("en-AU") == "YES"
    assert verdict("ja-JP") == "NO"


def test_a_request_without_a_locale_is_answered_in_en_us(skill) -> None:
    session = AlexaSession()
    envelope = session.launch()
    envelope["request"].pop("locale")
    response = invoke(skill, envelope)["response"]
    assert "Welcome to Workout Planner" in response["outputSpeech"]["ssml"]


def test_the_apology_for_a_failure_comes_from_the_request_locale_bundle() -> None:
    class Exploding:
        def memory(self, handler_input: Any) -> Any:
            raise RuntimeError("boom")

        def remember(self, handler_input: Any, outcome: Any) -> None:
            return None

    british = load_content("en-GB")
    prompts = {**british.prompts, "apology": ("Terribly sorry, that went wrong.",)}
    library = Library.of(load_content("en-US"), replace(british, prompts=prompts))
    skill = build_skill(library=library, settings=Settings(), keeper=Exploding())
    said = talk(skill, "en-GB").launch()
    assert said.speech == "Terribly sorry, that went wrong." and not said.ended
    assert said.reprompt == british.prompts["apology_reprompt"][0]
    assert "something went wrong" in talk(skill, "en-US").launch()


def test_locale_tags_are_matched_whatever_their_case() -> None:
    library = Library(LOCALES, load_content)
    assert library.choose("en_gb").content.locale == "en-GB"
    assert not library.choose("EN-au").fell_back


def test_the_web_app_answers_each_locale_in_its_own_words(signed_alexa) -> None:
    for locale in LOCALES:
        signed_alexa.session = AlexaSession(skill_id=signed_alexa.session.skill_id, locale=locale)
        signed_alexa.post(signed_alexa.session.launch())
        reply = signed_alexa.post(signed_alexa.session.intent("ChestPainIntent"))
        _, number, _ = SAFETY[locale]
        assert f"Call {number} right away" in reply["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_urgent_screen_shows_the_local_emergency_number(skill, locale: str) -> None:
    dialogue = Dialogue(skill, AlexaSession(locale=locale, screen=True))
    dialogue.launch()
    said = dialogue.say("ChestPainIntent")
    (directive,) = said.response["directives"]
    shown = directive["datasources"]["screen"]
    written, _, _ = SAFETY[locale]
    assert directive["token"].endswith("urgent") and written in json.dumps(shown)
    others = {number for number, _, _ in SAFETY.values()} - {written}
    assert not any(f'"{other}"' in json.dumps(shown) for other in others)
