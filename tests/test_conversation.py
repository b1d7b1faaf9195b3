"""What a person experiences, turn by turn, through real envelopes and the real skill.

Every routine is followed start to finish in every locale, checked against that locale's
bundle; the emergency and red-flag replies of each locale are in tests/test_locales.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from skill.content import bundled_locales, load_content
from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.settings import Settings
from tests.support.dialogue import Dialogue, Said


def test_first_launch_welcomes_warns_and_says_how_to_stop(dialogue: Dialogue) -> None:
    said = dialogue.launch()
    assert "Welcome to Workout Planner" in said
    assert "not a substitute for professional medical advice" in said
    assert "Alexa, it hurts" in said  # the wake word: the only way to interrupt a reply
    assert "Shall we start the upper back routine?" in said  # what they can do, as a question
    assert not said.ended and said.reprompt
    assert said.card["type"] == "Simple"


@pytest.fixture(scope="module")
def every_locale_skill() -> Any:
    """The skill with every bundled locale (the shared ``skill`` fixture has en-US only)."""
    return build_skill(settings=Settings())


def _one_of(prompt: tuple[str, ...], said: Said) -> bool:
    return any(wording in said for wording in prompt)


@pytest.mark.parametrize("routine_id", [routine.id for routine in load_content().routines])
@pytest.mark.parametrize("locale", bundled_locales())
def test_every_routine_start_to_finish_in_every_locale(
    every_locale_skill: Any, locale: str, routine_id: str
) -> None:
    content = load_content(locale)  # what this locale says, from its own bundle
    routine, say = content.routine(routine_id), content.numbers.cardinal
    dialogue = Dialogue(every_locale_skill, AlexaSession(locale=locale))
    dialogue.launch()
    said = dialogue.say("StartRoutineIntent", routine=(routine.name, routine.id))
    assert said.state == "screening" and _one_of(content.prompts["screening_question"], said)
    said = dialogue.say("AMAZON.NoIntent")
    intro = content.templates["routine_intro"].format(name=routine.name, summary=routine.summary)
    assert intro in said
    count = len(routine.steps)
    for index, step in enumerate(routine.steps):
        step_words = {"number": say(index + 1), "count": say(count)}
        assert content.templates["step"].format(**step_words, say=step.say) in said
        if step.hold_seconds:
            assert content.templates["hold"].format(seconds=say(step.hold_seconds)) in said
        card = {"number": index + 1, "count": count, "title": step.title}
        assert said.card["title"] == content.templates["step_card"].format(**card)
        assert said.state == "in_step" and said.reprompt and not said.ended
        said = dialogue.say("AMAZON.NextIntent")
    assert content.templates["routine_done"].format(name=routine.name) in said
    assert _one_of(content.prompts["finished_menu"], said)
    assert said.state == "finished" and not said.ended


def test_screening_is_asked_once_per_session(dialogue: Dialogue) -> None:
    dialogue.start("stretching")
    said = dialogue.say("StartRoutineIntent", routine=("upper back", "upper_back"))
    assert "osteoporosis" not in said and "step one of five" in said


def test_a_routine_named_without_entity_resolution_still_starts(dialogue: Dialogue) -> None:
    dialogue.launch()
    dialogue.say("StartRoutineIntent", routine="self massage")
    said = dialogue.say("AMAZON.NoIntent")
    assert "self massage routine" in said and "step one of three" in said


def test_an_unknown_routine_is_named_as_such(dialogue: Dialogue) -> None:
    dialogue.launch()
    said = dialogue.say("StartRoutineIntent", routine="underwater yoga")
    assert "don't know that routine" in said and said.state == "ready"


def test_screening_yes_declines_twists_and_pressure_but_guides_the_gentle_routine(
    dialogue: Dialogue,
) -> None:
    dialogue.launch()
    dialogue.say("StartRoutineIntent", routine=("upper back", "upper_back"))
    said = dialogue.say("AMAZON.YesIntent")
    assert "healthcare professional" in said and said.state == "ready"
    said = dialogue.say("StartRoutineIntent", routine=("upper back", "upper_back"))
    assert "won't guide it" in said and "step" not in said.speech.lower()
    said = dialogue.say("StartRoutineIntent", routine=("shoulder release", "shoulder_release"))
    assert "step one of four" in said
    said = dialogue.say("FaqIntent", topic=("is it safe to crack my back", "crack_safety"))
    assert "never force it" in said  # still answers questions


def test_the_screening_answer_can_be_changed(dialogue: Dialogue) -> None:
    dialogue.start(screening="no")
    said = dialogue.say("UpdateScreeningIntent")
    assert "osteoporosis" in said
    dialogue.say("AMAZON.YesIntent")
    said = dialogue.say("StartRoutineIntent", routine=("stretching", "stretching"))
    assert "won't guide it" in said


def test_navigation_previous_repeat_start_over_pause_resume(dialogue: Dialogue) -> None:
    dialogue.start()
    assert "step one" in dialogue.say("AMAZON.PreviousIntent")
    assert "first step" in dialogue.last
    dialogue.say("AMAZON.NextIntent")
    assert "step three" in dialogue.say("AMAZON.NextIntent")
    assert "step three" in dialogue.say("AMAZON.RepeatIntent")
    assert "step two" in dialogue.say("AMAZON.PreviousIntent")
    said = dialogue.say("AMAZON.PauseIntent")
    assert said.state == "paused" and not said.ended and "say resume" in said
    assert "step two" in dialogue.say("AMAZON.ResumeIntent")
    said = dialogue.say("AMAZON.StartOverIntent")
    assert "starting again" in said and "step one" in said


@pytest.mark.parametrize("steps_done", [0, 1, 2, 3, 4])
def test_pain_at_any_step_stops_and_the_routine_does_not_continue(dialogue: Dialogue, steps_done):
    dialogue.start()
    for _ in range(steps_done):
        dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("PainIntent")
    assert "stop right now" in said and "neutral" in said and "breathe" in said
    assert "healthcare professional" in said
    assert said.state == "pain_stopped" and said.reprompt
    assert "say start" not in said.speech.lower()  # never invites the same routine again
    for intent in ("AMAZON.NextIntent", "AMAZON.ResumeIntent", "AMAZON.YesIntent"):
        said = dialogue.say(intent)
        assert "of five" not in said.speech and "won't carry on" in said
        assert said.state == "pain_stopped" and "say start" not in said.speech.lower()
    said = dialogue.say("StartRoutineIntent")  # deliberately starting again is allowed
    assert "step one" in said


@pytest.mark.parametrize("setup", ["launch", "menu", "paused", "faq", "finished", "screening"])
def test_pain_stops_from_every_kind_of_state(dialogue: Dialogue, setup: str) -> None:
    dialogue.launch()
    if setup == "menu":
        dialogue.say("ListRoutinesIntent")
    elif setup == "paused":
        dialogue.start()
        dialogue.say("AMAZON.PauseIntent")
    elif setup == "faq":
        dialogue.start()
        dialogue.say("FaqIntent", topic=("benefits", "benefits"))
    elif setup == "finished":
        dialogue.start("self_massage")
        for _ in range(3):
            dialogue.say("AMAZON.NextIntent")
    elif setup == "screening":
        dialogue.say("StartRoutineIntent")
    said = dialogue.say("PainIntent")
    assert said.state == "pain_stopped"
    assert "healthcare professional" in said


def test_my_back_hurts_before_any_routine_gets_guidance_not_a_routine(dialogue: Dialogue):
    dialogue.launch()
    said = dialogue.say("PainIntent")
    assert "sorry it hurts" in said and "won't start a routine" in said
    assert "back" not in said.speech  # "my shoulder hurts" is not answered with "your back"
    said = dialogue.say("AMAZON.YesIntent")
    assert "step one" not in said


def test_a_question_mid_routine_then_next_picks_up_at_the_same_step(dialogue: Dialogue) -> None:
    dialogue.start()
    dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("FaqIntent", topic=("what makes the popping sound", "popping_sound"))
    assert "gas bubbles" in said
    assert "Say next for step three, or resume to hear step two again" in said
    assert said.card["title"] == "What makes the popping sound?"
    assert "gas bubbles" in dialogue.say("AMAZON.RepeatIntent")
    said = dialogue.say("AMAZON.ResumeIntent")
    assert "step two of five" in said
    dialogue.say("FaqIntent", topic=("benefits", "benefits"))
    assert "step three of five" in dialogue.say("AMAZON.NextIntent")  # next moves on


def test_an_unknown_question_gets_examples(dialogue: Dialogue) -> None:
    dialogue.launch()
    said = dialogue.say("FaqIntent", topic="the meaning of life")
    assert "don't have an answer" in said and not said.ended


def test_help_depends_on_where_you_are(dialogue: Dialogue) -> None:
    dialogue.launch()
    assert "gentle routines" in dialogue.say("AMAZON.HelpIntent")
    dialogue.start()
    said = dialogue.say("AMAZON.HelpIntent")
    assert "next" in said and "repeat" in said and "it hurts" in said


def test_fallback_in_a_routine_leads_with_safety_pauses_and_keeps_the_place(dialogue: Dialogue):
    dialogue.start()
    dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("AMAZON.FallbackIntent")
    assert said.speech.startswith(("Sorry", "I didn't")) and "say: it hurts" in said
    assert said.state == "paused" and "say next" not in said.speech.lower()
    assert "step two" in dialogue.say("AMAZON.ResumeIntent")
    assert "step three" in dialogue.say("AMAZON.NextIntent")


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_stop_and_cancel_end_the_session(dialogue: Dialogue, intent: str) -> None:
    dialogue.start()
    said = dialogue.say(intent)
    assert said.ended and "Goodbye" in said


def test_navigate_home_returns_to_the_menu(dialogue: Dialogue) -> None:
    dialogue.start()
    said = dialogue.say("AMAZON.NavigateHomeIntent")
    assert said.state == "ready" and "back to the start" in said


def test_session_ended_gets_an_empty_response(dialogue: Dialogue) -> None:
    dialogue.start()
    said = dialogue.send(dialogue.alexa.session_ended("EXCEEDED_MAX_REPROMPTS"))
    assert said.response == {}


def test_an_unknown_intent_is_a_fallback(dialogue: Dialogue) -> None:
    dialogue.launch()
    said = dialogue.say("OrderPizzaIntent")
    assert ("didn't" in said or "missed" in said) and not said.ended


def test_garbage_session_attributes_recover_to_the_menu(dialogue: Dialogue) -> None:
    dialogue.launch()
    dialogue.alexa.attributes = {
        "workoutPlanner": {
            "version": 1,
            "state": "in_step",
            "step_index": 99,
            "routine_id": "upper_back",
        }
    }
    said = dialogue.say("AMAZON.NextIntent")
    assert said.state == "ready" and "not in a routine" in said


def test_system_exception_encountered_gets_a_valid_empty_response(dialogue: Dialogue) -> None:
    envelope = dialogue.alexa.envelope(
        {
            "type": "System.ExceptionEncountered",
            "error": {"type": "INVALID_RESPONSE", "message": "x"},
            "cause": {"requestId": "r"},
        }
    )
    assert dialogue.send(envelope).response == {}


def test_can_fulfill_intent_request(dialogue: Dialogue) -> None:
    envelope = dialogue.alexa.intent("FaqIntent", topic="is it safe to crack my back")
    envelope["request"]["type"] = "CanFulfillIntentRequest"
    answer = dialogue.send(envelope).response["canFulfillIntent"]
    assert answer["canFulfill"] == "YES"
    assert answer["slots"]["topic"]["canUnderstand"] == "YES"


def test_finishing_offers_what_next(dialogue: Dialogue) -> None:
    dialogue.start("shoulder_release")
    for _ in range(4):
        said = dialogue.say("AMAZON.NextIntent")
    assert "routine complete" in said and "Shall we go again?" in said
    assert "step four of four" in dialogue.say("AMAZON.PreviousIntent")


def test_an_exception_in_a_handler_gets_an_apology_and_logs_no_personal_data(
    content, settings, caplog
) -> None:
    from skill.factory import build_skill
    from skill.handlers import NoProgress

    class Exploding(NoProgress):
        def memory(self, handler_input):
            raise RuntimeError("the person said: my secret phrase")

    dialogue = Dialogue(
        build_skill(content=content, settings=settings, keeper=Exploding()), AlexaSession()
    )
    said = dialogue.launch()
    assert "something went wrong" in said and said.reprompt and not said.ended
    record = next(r for r in caplog.records if r.name == "skill.handlers")
    assert record.error_type == "RuntimeError" and record.exc_info is None
    everything = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert "secret phrase" not in everything and dialogue.alexa.user_id not in everything


def test_going_back_after_finishing_does_not_count_the_routine_twice(dialogue: Dialogue) -> None:
    dialogue.start("self_massage")
    for _ in range(3):
        dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.PreviousIntent")
    said = dialogue.say("AMAZON.NextIntent")
    assert "routine complete" in said and dialogue.last is said
    assert said.raw["sessionAttributes"]["workoutPlanner"]["finish_counted"] is True


def test_after_pain_outside_a_routine_next_does_not_mention_a_routine(dialogue: Dialogue):
    dialogue.launch()
    dialogue.say("PainIntent")
    said = dialogue.say("AMAZON.NextIntent")
    assert "that routine" not in said and "won't start a routine" in said


# Asking where you are, saying it's too hard, saying thanks.


def test_step_info_answers_from_the_content(dialogue: Dialogue, content) -> None:
    dialogue.start()
    dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("StepInfoIntent")
    assert "step three of five, Gentle pressure" in said
    assert "forty-five second hold" in said and "Two more after this one" in said
    assert said.state == "aside" and "Say next for step four" in said
    dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("StepInfoIntent")
    assert "right side" in said
    assert "step four of five" in dialogue.say("AMAZON.ResumeIntent")
    dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("StepInfoIntent")
    assert "It's the last one" in said and "Say next to finish" in said


def test_too_hard_offers_the_easier_variation_or_skipping_and_never_pushes_on(
    dialogue: Dialogue, content
) -> None:
    dialogue.start()
    dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.NextIntent")
    said = dialogue.say("TooHardIntent")
    assert content.default_routine.steps[2].easier in said
    assert "skip" in said and "step four" not in said.speech.lower()
    assert said.state == "aside"
    assert content.default_routine.steps[2].easier in dialogue.say("AMAZON.RepeatIntent")
    assert "step four of five" in dialogue.say("AMAZON.NextIntent")  # skip moves on


def test_too_hard_outside_a_routine_offers_the_gentlest_one(dialogue: Dialogue) -> None:
    dialogue.launch()
    said = dialogue.say("TooHardIntent")
    assert "shoulder release routine is the gentlest" in said
    dialogue.say("AMAZON.YesIntent")
    assert "step one of four" in dialogue.say("AMAZON.NoIntent")  # screened, then started


@pytest.mark.parametrize("setup", ["step", "paused", "screening", "menu"])
def test_thanks_answers_briefly_and_keeps_the_place(dialogue: Dialogue, setup: str) -> None:
    if setup == "menu":
        before = dialogue.launch()
    elif setup == "screening":
        dialogue.launch()
        before = dialogue.say("StartRoutineIntent")
    else:
        dialogue.start()
        before = dialogue.say("AMAZON.NextIntent")
        if setup == "paused":
            before = dialogue.say("AMAZON.PauseIntent")
    said = dialogue.say("ThanksIntent")
    assert said.speech.split(".")[0] in ("You're welcome", "My pleasure", "Any time")
    assert said.state == before.state and said.reprompt
    attrs = said.raw["sessionAttributes"]["workoutPlanner"]
    assert attrs["step_index"] == before.raw["sessionAttributes"]["workoutPlanner"]["step_index"]
    if setup == "menu":  # the offer still stands: a yes starts the routine offered
        assert dialogue.say("AMAZON.YesIntent").state == "screening"


# Not understood: varied, escalating, and in a routine safety first.


def test_fallbacks_escalate_and_vary(dialogue: Dialogue) -> None:
    dialogue.launch()
    first = dialogue.say("AMAZON.FallbackIntent")
    second = dialogue.say("AMAZON.FallbackIntent")
    third = dialogue.say("AMAZON.FallbackIntent")
    assert first.speech.startswith(("Sorry", "Hmm")) and len(first.speech.split()) < 20
    assert "I guide gentle routines" in second  # then the options
    assert "say help" in third.speech.lower() and "stop" in third  # then a way out
    assert len({first.speech, second.speech, third.speech}) == 3
    assert "I didn't ask" not in dialogue.say("ListRoutinesIntent")
    assert dialogue.say("AMAZON.FallbackIntent").speech.startswith(("Sorry", "Hmm"))  # reset


def test_fallbacks_in_a_routine_lead_with_safety_every_time(dialogue: Dialogue) -> None:
    dialogue.start()
    replies = [dialogue.say("AMAZON.FallbackIntent") for _ in range(4)]
    for said in replies:
        assert "say: it hurts" in said.speech[:70]  # how to stop comes first
        assert said.state == "paused" and "say next" not in said.speech.lower()
    assert len({said.speech for said in replies[:3]}) == 3


def test_the_same_conversation_is_said_the_same_way_twice(skill) -> None:
    def talk() -> list[str]:
        dialogue = Dialogue(skill, AlexaSession())
        said = [dialogue.launch().speech]
        for intent in ["AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent", "ThanksIntent"]:
            said.append(dialogue.say(intent).speech)
        return said

    assert talk() == talk()


def test_after_a_question_next_moves_on_and_resume_says_the_step(dialogue: Dialogue) -> None:
    dialogue.start()
    dialogue.say("AMAZON.NextIntent")
    dialogue.say("FaqIntent", topic=("benefits", "benefits"))
    assert "step three of five" in dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.PauseIntent")
    assert "step four of five" in dialogue.say("AMAZON.NextIntent")
    dialogue.say("AMAZON.PauseIntent")
    assert "step four of five" in dialogue.say("AMAZON.ResumeIntent")
