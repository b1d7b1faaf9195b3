"""Progress that survives sessions, through the real skill and a real SQLite file."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skill.envelopes import AlexaSession
from skill.factory import build_skill
from skill.keeper import StoredProgress
from skill.persistence import hash_user_id
from skill.progress import Progress
from skill.settings import Settings
from tests.support.dialogue import Dialogue


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def person(db: Path) -> Dialogue:
    return Dialogue(build_skill(settings=Settings(db_path=db)), AlexaSession())


def rows(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        return [
            json.loads(text) for (text,) in conn.execute("SELECT attributes FROM user_attributes")
        ]


def leave(person: Dialogue) -> None:
    person.say("AMAZON.StopIntent")


def test_an_unfinished_routine_is_offered_next_time_and_yes_resumes(person: Dialogue) -> None:
    person.start()
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.NextIntent")
    leave(person)
    said = person.launch()
    assert "stopped at step three of the upper back routine" in said
    assert said.state == "resume_offer" and said.reprompt
    assert "step three of five" in person.say("AMAZON.YesIntent")


def test_a_timed_out_session_is_offered_too(person: Dialogue) -> None:
    person.start("stretching")
    person.say("AMAZON.NextIntent")
    person.send(person.alexa.session_ended("EXCEEDED_MAX_REPROMPTS"))
    assert "step two of the stretching routine" in person.launch()


def test_no_to_resuming_offers_the_menu_and_forgets_the_routine(person: Dialogue) -> None:
    person.start()
    person.say("AMAZON.NextIntent")
    leave(person)
    person.launch()
    said = person.say("AMAZON.NoIntent")
    assert said.state == "ready" and "name a routine" in said
    leave(person)
    assert "stopped at" not in person.launch()


def test_after_a_pain_stop_the_next_launch_checks_in_instead_of_resuming(
    person: Dialogue, db: Path
) -> None:
    person.start()
    person.say("AMAZON.NextIntent")
    person.say("PainIntent")
    assert rows(db)[0]["stopped_for_pain"] is True
    leave(person)
    said = person.launch()
    assert "Last time something hurt" in said and "healthcare professional" in said
    assert "pick up" not in said
    leave(person)
    assert "something hurt" not in person.launch()  # checked in once


def test_a_red_flag_is_remembered_as_a_pain_stop(person: Dialogue) -> None:
    person.start()
    person.say("ChestPainIntent")
    assert "something hurt" in person.launch()


def test_finishing_counts_sessions_this_week(person: Dialogue, db: Path) -> None:
    for ordinal in ("first", "second", "third"):
        person.start("self_massage")
        for _ in range(3):
            said = person.say("AMAZON.NextIntent")
        assert f"That's your {ordinal} session this week" in said
        leave(person)
    stored = Progress.from_attributes(rows(db)[0])
    assert stored.completed_total == 3 and stored.routine_id is None
    assert stored.streak(datetime.now(UTC).date()) == 1


def test_the_screening_answer_is_remembered(person: Dialogue, db: Path) -> None:
    person.start(screening="yes")
    leave(person)
    person.launch()
    said = person.say("StartRoutineIntent", routine=("upper back", "upper_back"))
    assert "osteoporosis" not in said.speech.split("won't guide")[0] and "won't guide it" in said
    assert rows(db)[0]["screening"] == "yes"


def test_only_the_allowed_fields_are_stored_and_the_user_id_is_hashed(
    person: Dialogue, db: Path
) -> None:
    person.start()
    person.say("FaqIntent", topic=("benefits", "benefits"))
    person.say("PainIntent")
    assert set(rows(db)[0]) == set(Progress().to_attributes())
    assert person.alexa.user_id.encode() not in db.read_bytes()


def test_delete_my_data_asks_first_then_deletes_everything(person: Dialogue, db: Path) -> None:
    person.start()
    said = person.say("DeleteDataIntent")
    assert "Are you sure" in said and said.state == "confirm_delete"
    assert "nothing was deleted" in person.say("AMAZON.NoIntent")
    assert len(rows(db)) == 1
    person.say("DeleteDataIntent")
    assert "deleted everything" in person.say("AMAZON.YesIntent")
    assert rows(db) == []
    leave(person)
    assert "Welcome to Workout Planner" in person.launch()  # a new person again


def test_deleting_one_person_leaves_others_alone(db: Path) -> None:
    skill = build_skill(settings=Settings(db_path=db))
    alice, bob = Dialogue(skill, AlexaSession()), Dialogue(skill, AlexaSession())
    alice.start()
    bob.start()
    alice.say("DeleteDataIntent")
    alice.say("AMAZON.YesIntent")
    assert len(rows(db)) == 1
    bob.say("AMAZON.StopIntent")
    assert "pick up" in bob.launch()


def test_an_unreachable_store_still_answers_as_for_a_new_person(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "not-a-database.sqlite3"
    broken.write_bytes(b"this is not sqlite" * 100)
    person = Dialogue(build_skill(settings=Settings(db_path=broken)), AlexaSession())
    with caplog.at_level(logging.WARNING):
        said = person.launch()
        assert "Welcome to Workout Planner" in said and not said.ended
        assert "step one" in person.start()
    assert any(r.name.startswith("skill.persistence") for r in caplog.records)
    assert broken.read_bytes() == b"this is not sqlite" * 100
    assert person.alexa.user_id not in caplog.text


def test_a_corrupt_record_answers_as_new_and_touches_no_one_else(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    skill = build_skill(settings=Settings(db_path=db))
    alice, bob = Dialogue(skill, AlexaSession()), Dialogue(skill, AlexaSession())
    alice.start()
    bob.start()
    bob.say("AMAZON.NextIntent")
    alice_key = hash_user_id(alice.alexa.user_id)
    with sqlite3.connect(db) as conn:
        bob_row = conn.execute(
            "SELECT attributes FROM user_attributes WHERE user_key != ?", (alice_key,)
        ).fetchone()
        conn.execute(
            "UPDATE user_attributes SET attributes = '{broken' WHERE user_key = ?", (alice_key,)
        )
    with caplog.at_level(logging.WARNING):
        assert "Welcome to Workout Planner" in alice.launch()
        alice.start()
    assert caplog.records
    with sqlite3.connect(db) as conn:
        assert bob_row in conn.execute("SELECT attributes FROM user_attributes").fetchall()
    bob.say("AMAZON.StopIntent")
    assert "stopped at step two" in bob.launch()


def test_sessions_this_week_counts_only_the_last_seven_days() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    old = (now - timedelta(days=8)).date().isoformat()
    recent = (now - timedelta(days=2)).date().isoformat()
    progress = Progress(completed_total=2, completed_dates=(old, recent))
    keeper = StoredProgress(clock=lambda: now)
    assert progress.sessions_this_week(now.date()) == 1
    assert keeper.clock() == now


def test_back_then_next_after_finishing_counts_once(person: Dialogue, db: Path) -> None:
    person.start("self_massage")
    for _ in range(3):
        person.say("AMAZON.NextIntent")
    person.say("AMAZON.PreviousIntent")
    said = person.say("AMAZON.NextIntent")
    assert "session this week" not in said
    assert Progress.from_attributes(rows(db)[0]).completed_total == 1
    person.say("AMAZON.StartOverIntent")
    for _ in range(3):
        said = person.say("AMAZON.NextIntent")
    assert "second session this week" in said  # a real second run counts
