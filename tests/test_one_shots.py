"""One-shot requests ("Alexa, ask workout planner to ..."): a session that starts with an intent
reads the store exactly as a launch does. Every intent is tried as a one-shot, for a person
with a routine to pick up, a person whose last routine stopped for pain, and a new person."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from skill.envelopes import AlexaSession, SlotValue
from skill.factory import build_skill
from skill.intents import INTENT_EVENTS
from skill.machine.events import Event
from skill.settings import Settings
from tests.support import budgets
from tests.support.dialogue import Dialogue, Said

SLOTS: dict[str, dict[str, SlotValue]] = {
    "StartRoutineIntent": {"routine": ("stretching", "stretching")},
    "FaqIntent": {"topic": ("what makes the popping sound", "popping_sound")},
}
INTENTS = sorted(INTENT_EVENTS)
SAFETY = {"PainIntent", "RedFlagIntent", "ChestPainIntent"}
LEAVING = {"AMAZON.StopIntent", "AMAZON.CancelIntent"}
#: What a one-shot after a pain stop may do without checking in first.
#: Intents that update the screening answer (the answer said in words is one too).
SCREENING_WORDS = {Event.UPDATE_SCREENING, Event.HAVE_CONDITION, Event.NO_CONDITION}
UPDATES = {name for name, event in INTENT_EVENTS.items() if event in SCREENING_WORDS}
NO_CHECK_IN = SAFETY | LEAVING | {"DeleteDataIntent"} | UPDATES
DISCLAIMER = "This is not a substitute for professional medical advice."
#: A new person's first one-shot that is not a launch leads with the disclaimer, except: a yes or
#: no (greeted as a first launch, which says it), safety (nothing delays it), leaving, deleting.
UNDISCLAIMED = SAFETY | LEAVING | {"DeleteDataIntent"}
FIRST_LAUNCH_ALIKE = {"AMAZON.YesIntent", "AMAZON.NoIntent"}


@pytest.fixture
def person(tmp_path: Path) -> Dialogue:
    return Dialogue(build_skill(settings=Settings(db_path=tmp_path / "p.sqlite3")), AlexaSession())


def one_shot(person: Dialogue, intent: str) -> Said:
    person.alexa.restart()  # a new session, opened by the request itself
    return person.say(intent, **SLOTS.get(intent, {}))


def valid(said: Said) -> None:
    assert said.speech and said.card.get("content")
    assert said.ended or said.reprompt


@pytest.mark.parametrize("intent", INTENTS)
def test_a_one_shot_honours_the_screening_answer_and_keeps_the_unfinished_routine(
    person: Dialogue, intent: str
) -> None:
    person.start(screening="no")
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.StopIntent")  # stored: screened "no", upper back unfinished at step two

    said = one_shot(person, intent)
    valid(said)
    assert "not a substitute" not in said, "a returning person heard the disclaimer again"
    if intent not in UPDATES:
        assert "osteoporosis" not in said, "the stored screening answer was asked again"
    if intent == "StartRoutineIntent":
        assert "step one of six" in said  # the stretching routine, at once
        return
    if intent == "AMAZON.StartOverIntent":
        assert "step one of five" in said  # the stored routine, from the top, on purpose
        return
    if intent in ("AMAZON.ResumeIntent", "AMAZON.NextIntent"):
        assert "step two of five" in said  # picks up the stored routine
    if intent in ("AMAZON.YesIntent", "AMAZON.NoIntent"):
        assert said.state == "resume_offer" and "stopped at step two" in said  # nothing asked yet
    if intent in SAFETY:
        return  # a pain stop drops the routine on purpose, so "resume" never walks back into it
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    assert "stopped at step two of the upper back routine" in person.launch(), (
        f"{intent} as a one-shot cleared the stored routine"
    )


@pytest.mark.parametrize("intent", INTENTS)
def test_a_one_shot_after_a_pain_stop_checks_in_first(person: Dialogue, intent: str) -> None:
    person.start(screening="no")
    person.say("PainIntent")
    person.say("AMAZON.StopIntent")

    said = one_shot(person, intent)
    valid(said)
    assert said.state != "in_step"
    if intent in NO_CHECK_IN:
        return
    assert "Last time something hurt" in said and "healthcare professional" in said
    assert said.state == "ready"
    # Checked in, as a launch would; the next session does not ask again.
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    assert "Last time something hurt" not in person.launch()


@pytest.mark.parametrize("intent", INTENTS)
def test_a_one_shot_from_a_new_person_is_screened_before_any_routine(
    person: Dialogue, intent: str
) -> None:
    said = one_shot(person, intent)
    valid(said)
    assert said.state != "in_step"
    if intent == "StartRoutineIntent":
        assert "osteoporosis" in said and said.state == "screening"
        said = person.say("AMAZON.NoIntent")
        assert "step one of six" in said
        assert "not a substitute" not in said  # once per first session, not every turn


@pytest.mark.parametrize("intent", INTENTS)
def test_a_new_persons_first_one_shot_gives_the_disclaimer_within_budget(
    person: Dialogue, intent: str
) -> None:
    said = one_shot(person, intent)
    heard = "not a substitute for professional medical advice" in said
    assert heard == (intent not in UNDISCLAIMED), said.speech
    if heard and intent not in FIRST_LAUNCH_ALIKE:
        assert said.speech.startswith(DISCLAIMER) and said.card["content"].startswith(DISCLAIMER)
    # Measured as a first launch; an FAQ answer keeps its own budget within any reply's.
    launch = intent != "FaqIntent"
    problem = budgets.over_budget(
        said.speech, launch=launch, first=True, open_session=not said.ended
    )
    assert problem is None, problem


def test_a_new_persons_one_shot_start_warns_once_and_a_returning_person_is_not_warned_again(
    person: Dialogue,
) -> None:
    said = one_shot(person, "StartRoutineIntent")  # "ask workout planner to start stretching"
    assert said.speech.startswith(DISCLAIMER) and "osteoporosis" in said
    assert said.state == "screening"
    said = person.say("AMAZON.NoIntent")
    assert "step one of six" in said and "not a substitute" not in said
    person.say("AMAZON.StopIntent")  # stored: screened, stretching unfinished

    said = one_shot(person, "StartRoutineIntent")
    assert "step one of six" in said and "not a substitute" not in said
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    assert "not a substitute" not in person.launch()


def test_the_one_shot_disclaimer_is_heard_on_a_screen_too(tmp_path: Path) -> None:
    skill = build_skill(settings=Settings(db_path=tmp_path / "p.sqlite3"))
    person = Dialogue(skill, AlexaSession(screen=True))
    said = one_shot(person, "ListRoutinesIntent")
    directive = said.response["directives"][0]
    assert directive["datasources"]["screen"]["body"].startswith(DISCLAIMER)


def test_a_one_shot_start_from_someone_with_a_spine_condition_starts_only_what_suits(
    person: Dialogue,
) -> None:
    person.start("upper_back", screening="yes")
    person.say("AMAZON.StopIntent")
    person.alexa.restart()
    said = person.say("StartRoutineIntent")  # "ask workout planner to start"
    assert "step one of four" in said and "shoulder release" in said
    said = one_shot(person, "StartRoutineIntent")  # the stretching routine, by name
    assert "won't guide it" in said and "shoulder release routine?" in said
    assert "step one of four" in person.say("AMAZON.YesIntent")


# -- The disclaimer is owed until it is heard --------------------------------------------------

#: First contacts that say no disclaimer: what nothing may delay, leaving, or the person's data.
UNWARNED_FIRSTS = [
    ("PainIntent",),
    ("RedFlagIntent",),
    ("ChestPainIntent",),
    ("AMAZON.StopIntent",),
    ("AMAZON.CancelIntent",),
    ("DeleteDataIntent", "AMAZON.NoIntent"),
]
OPENINGS = ["launch", "StartRoutineIntent", "FaqIntent", "ListRoutinesIntent", "AMAZON.YesIntent"]


def opening(person: Dialogue, how: str) -> Said:
    if how == "launch":
        person.alexa.restart()
        return person.launch()
    return one_shot(person, how)


def stored(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT attributes FROM user_attributes").fetchall()
    return [json.loads(text) for (text,) in rows]


def warned(said: Said) -> bool:
    return DISCLAIMER in said.speech


@pytest.mark.parametrize("first", UNWARNED_FIRSTS, ids=lambda turns: turns[0])
@pytest.mark.parametrize("how", OPENINGS)
def test_a_first_contact_without_the_disclaimer_leaves_it_owed_to_the_next_opening(
    person: Dialogue, tmp_path: Path, first: tuple[str, ...], how: str
) -> None:
    person.alexa.restart()
    for intent in first:
        assert not warned(person.say(intent)), "nothing delays safety, leaving or deleting"
    assert all(not row["disclaimer_heard"] for row in stored(tmp_path / "p.sqlite3"))

    said = opening(person, how)
    assert warned(said), said.speech
    assert DISCLAIMER in said.card["content"]
    launch_like = how == "launch" or how == "AMAZON.YesIntent"
    problem = budgets.over_budget(
        said.speech, launch=how != "FaqIntent", first=True, open_session=not said.ended
    )
    assert problem is None, problem
    if launch_like:  # the greeting comes first, then the disclaimer
        assert not said.speech.startswith(DISCLAIMER)
    else:
        assert said.speech.startswith(DISCLAIMER)
    assert stored(tmp_path / "p.sqlite3")[0]["disclaimer_heard"] is True

    for again in OPENINGS:  # heard once: never again, however the next session opens
        assert not warned(opening(person, again)), again


def test_after_a_first_pain_stop_the_launch_checks_in_and_gives_the_disclaimer(
    person: Dialogue,
) -> None:
    person.alexa.restart()
    person.say("PainIntent")
    said = opening(person, "launch")
    assert "Last time something hurt" in said and warned(said)
    assert not said.speech.startswith(DISCLAIMER), "the greeting comes first"


def test_a_first_stop_is_followed_by_the_first_launch_welcome(person: Dialogue) -> None:
    person.alexa.restart()
    person.say("AMAZON.StopIntent")
    said = opening(person, "launch")
    assert "Welcome to Workout Planner" in said and warned(said) and "it hurts" in said


def test_the_disclaimer_is_heard_once_within_a_session(person: Dialogue) -> None:
    said = person.launch()
    assert warned(said)
    said = person.say("StartRoutineIntent")
    assert not warned(said) and "osteoporosis" in said
    assert not warned(person.say("FaqIntent", **SLOTS["FaqIntent"]))


@pytest.mark.parametrize(
    ("record", "owed"),
    [
        pytest.param({"stopped_for_pain": True}, True, id="only-a-pain-stop"),
        pytest.param({}, True, id="only-seen"),
        pytest.param({"screening": "no"}, False, id="answered-screening"),
        pytest.param({"completed_total": 3, "completed_dates": ["2025-03-13"]}, False, id="done"),
    ],
)
def test_a_record_stored_before_the_disclaimer_was_remembered_is_read_sensibly(
    person: Dialogue, tmp_path: Path, record: dict, owed: bool
) -> None:
    db = tmp_path / "p.sqlite3"
    person.alexa.restart()
    person.say("AMAZON.CancelIntent")  # a real row for this person, then made an old one
    old = {"version": 1, "last_active": "2025-03-14T09:30:00+00:00", **record}
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE user_attributes SET attributes = ?", (json.dumps(old),))
    assert warned(opening(person, "launch")) is owed
    assert not warned(opening(person, "launch"))


@pytest.mark.parametrize("how", OPENINGS)
def test_after_delete_my_data_the_next_opening_gives_the_disclaimer_again(
    person: Dialogue, tmp_path: Path, how: str
) -> None:
    assert warned(person.launch())
    person.say("DeleteDataIntent")
    said = person.say("AMAZON.YesIntent")
    assert "deleted everything" in said and not warned(said)
    assert stored(tmp_path / "p.sqlite3") == []
    assert warned(opening(person, how))
    assert not warned(opening(person, "launch"))
