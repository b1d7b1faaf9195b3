"""Replays count once: the same signed request (test CA), sent again within its timestamp
window, changes nothing stored and still gets a valid reply."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

from skill.content import Content
from skill.persistence import hash_user_id
from skill.persistence.dynamo import dynamo_adapter
from skill.persistence.replay import (
    REPLAY_WINDOW_S,
    SKILL_EVENT_REPLAY_WINDOW_S,
    applied_request,
)
from skill.persistence.sqlite import APPLIED, TABLE, SQLitePersistenceAdapter
from skill.progress import Progress
from skill.web.verify import NORMAL_TOLERANCE_S, SKILL_EVENT_TOLERANCE_S
from tests import test_dynamo_store as dynamo_store
from tests.support.signed import SignedAlexa
from tests.support.threads import run_in_threads
from tests.test_dynamo_store import aws, table  # noqa: F401 (fixtures)
from tests.test_sqlite_store import TODAY, envelope

ROUTINE = "upper_back"


def db_of(app: Flask) -> Path:
    path: Path = app.config["SETTINGS"].db_path
    return path


def stored(app: Flask, user_id: str) -> tuple[Progress, int] | None:
    """(the person's progress, its revision), or None when nothing is stored."""
    with sqlite3.connect(db_of(app)) as conn:
        row = conn.execute(
            f"SELECT attributes, revision FROM {TABLE} WHERE user_key = ?",
            (hash_user_id(user_id),),
        ).fetchone()
    return None if row is None else (Progress.from_attributes(json.loads(row[0])), row[1])


def to_the_last_step(alexa: SignedAlexa, content: Content) -> None:
    """Launch, start the routine and walk to its last step: the next "next" finishes it."""
    session = alexa.session
    alexa.post(session.launch())
    alexa.post(session.intent("StartRoutineIntent", routine=("upper back", ROUTINE)))
    alexa.post(session.intent("AMAZON.NoIntent"))  # the screening question: step one
    steps = next(r for r in content.routines if r.id == ROUTINE).steps
    for _ in range(len(steps) - 1):
        alexa.post(session.intent("AMAZON.NextIntent"))


def signed_request(alexa: SignedAlexa, envelope_: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(envelope_).encode()
    return body, alexa.pki.signed_headers(body)


def send(app: Flask, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = app.test_client().post(
        "/alexa", data=body, headers=headers, content_type="application/json"
    )
    assert response.status_code == 200, response.get_json()
    reply: dict[str, Any] = response.get_json()
    speech = reply["response"]["outputSpeech"]["ssml"]
    assert speech.startswith("<speak>") and "something went wrong" not in speech
    return reply


def test_a_completion_replayed_in_sequence_counts_once(app, signed_alexa, content):
    to_the_last_step(signed_alexa, content)
    user = signed_alexa.session.user_id
    body, headers = signed_request(signed_alexa, signed_alexa.session.intent("AMAZON.NextIntent"))
    first = send(app, body, headers)
    after_first = stored(app, user)
    assert after_first is not None and after_first[0].completed_total == 1
    replies = [send(app, body, headers) for _ in range(2)]
    assert stored(app, user) == after_first  # not even the revision moved
    assert all(r["response"]["outputSpeech"] for r in replies)
    assert first["response"]["outputSpeech"]["ssml"]


def test_a_completion_sent_three_times_at_once_counts_once(app, signed_alexa, content):
    to_the_last_step(signed_alexa, content)
    user = signed_alexa.session.user_id
    body, headers = signed_request(signed_alexa, signed_alexa.session.intent("AMAZON.NextIntent"))
    start = threading.Barrier(3)
    replies: list[dict[str, Any]] = []

    def replay() -> None:
        start.wait()
        replies.append(send(app, body, headers))

    assert run_in_threads(replay, 3) == [] and len(replies) == 3
    found = stored(app, user)
    assert found is not None and found[0].completed_total == 1


def test_a_request_that_writes_nothing_records_nothing(app, signed_alexa):
    session = signed_alexa.session
    signed_alexa.post(session.launch())  # a new person: the store learns them (one write)
    with sqlite3.connect(db_of(app)) as conn:
        before = conn.execute(f"SELECT count(*) FROM {APPLIED}").fetchone()[0]
    signed_alexa.post(session.intent("AMAZON.HelpIntent"))  # nothing to remember
    with sqlite3.connect(db_of(app)) as conn:
        after = conn.execute(f"SELECT count(*) FROM {APPLIED}").fetchone()[0]
    assert (before, after) == (1, 1)


def test_a_replayed_deletion_cannot_delete_what_came_after(tmp_path):
    store = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    store.save_attributes(envelope(), Progress(completed_total=1).to_attributes())
    deletion = envelope(request_id="amzn1.echo-api.request.delete-1")
    store.delete_attributes(deletion)
    store.save_attributes(envelope(), Progress(completed_total=1).to_attributes())
    replayed = envelope(request_id="amzn1.echo-api.request.delete-1")
    store.delete_attributes(replayed)
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 1


def test_a_second_save_in_the_same_request_is_not_a_replay(tmp_path):
    store = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    request = envelope(request_id="amzn1.echo-api.request.one")
    store.save_attributes(request, Progress(completed_total=1).to_attributes())
    store.save_attributes(request, Progress(completed_total=2).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 2


def test_replay_records_outlast_every_timestamp_verification_accepts():
    now = 1_000_000.0
    normal = applied_request("amzn1.echo-api.request.r", now=now)
    event = applied_request("amzn1.echo-api.request.r", skill_event=True, now=now)
    assert normal is not None and event is not None and normal.key == event.key
    # A timestamp up to one window ahead is accepted until one window after it.
    assert normal.expires_at == now + 2 * NORMAL_TOLERANCE_S
    assert event.expires_at == now + 2 * SKILL_EVENT_TOLERANCE_S
    assert (REPLAY_WINDOW_S, SKILL_EVENT_REPLAY_WINDOW_S) == (
        NORMAL_TOLERANCE_S,
        SKILL_EVENT_TOLERANCE_S,
    )
    assert applied_request(None) is None
    assert applied_request("\ud800") is not None  # any odd id still has a key


def test_a_replayed_skill_disabled_event_cannot_forget_the_account_twice(tmp_path):
    store = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    store.save_attributes(envelope(), Progress(completed_total=1).to_attributes())
    store.forget_user(envelope(request_id="amzn1.echo-api.request.disabled"))
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), Progress(completed_total=1).to_attributes())  # back again
    store.forget_user(envelope(request_id="amzn1.echo-api.request.disabled"))  # the replay
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 1


def test_expired_replay_records_are_swept_inside_a_write(tmp_path, monkeypatch):
    store = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    store.save_attributes(envelope(), Progress(completed_total=1).to_attributes())
    later = time.time() + REPLAY_WINDOW_S * 2 + 1
    monkeypatch.setattr("skill.persistence.sqlite.time.time", lambda: later)
    monkeypatch.setattr("skill.persistence.replay.time.time", lambda: later)
    store.save_attributes(envelope(), Progress(completed_total=2).to_attributes())
    with sqlite3.connect(tmp_path / "p.sqlite3") as conn:
        assert conn.execute(f"SELECT count(*) FROM {APPLIED}").fetchone()[0] == 1


# -- DynamoDB: the record rides in the item, under the same conditional write ---------------------


def _replayed(dynamo_envelope, request_id):
    sent = dynamo_envelope()
    sent.request.request_id = request_id
    return sent


def test_dynamodb_a_completion_replayed_counts_once(aws, table):  # noqa: F811
    store = dynamo_adapter(dynamo_store.TABLE, dynamodb_resource=aws)
    request = "amzn1.echo-api.request.complete-1"
    for _ in range(3):  # the same request three times, each read-then-save as the skill does
        sent = _replayed(dynamo_store.envelope, request)
        progress = Progress.from_attributes(store.get_attributes(sent))
        store.save_attributes(sent, progress.with_completion(TODAY).to_attributes())
    stored = Progress.from_attributes(store.get_attributes(dynamo_store.envelope()))
    assert stored.completed_total == 1


def test_dynamodb_replays_in_threads_count_once(aws, table):  # noqa: F811
    request = "amzn1.echo-api.request.complete-2"
    start = threading.Barrier(3)

    def replay() -> None:
        store = dynamo_adapter(dynamo_store.TABLE, dynamodb_resource=aws)  # one per thread
        sent = _replayed(dynamo_store.envelope, request)
        progress = Progress.from_attributes(store.get_attributes(sent))
        start.wait()
        store.save_attributes(sent, progress.with_completion(TODAY).to_attributes())

    assert run_in_threads(replay, 3) == []
    store = dynamo_adapter(dynamo_store.TABLE, dynamodb_resource=aws)
    assert (
        Progress.from_attributes(store.get_attributes(dynamo_store.envelope())).completed_total == 1
    )


def test_dynamodb_keeps_only_unexpired_request_keys(aws, table, monkeypatch):  # noqa: F811
    store = dynamo_adapter(dynamo_store.TABLE, dynamodb_resource=aws)
    store.save_attributes(dynamo_store.envelope(), Progress(completed_total=1).to_attributes())
    later = time.time() + REPLAY_WINDOW_S * 2 + 1
    monkeypatch.setattr("skill.persistence.replay.time.time", lambda: later)
    monkeypatch.setattr("skill.persistence.dynamo_versioned.time.time", lambda: later)
    sent = dynamo_store.envelope()
    store.get_attributes(sent)
    store.save_attributes(sent, Progress(completed_total=2).to_attributes())
    item = table.get_item(Key={"id": hash_user_id(dynamo_store.ALICE)})["Item"]
    assert list(item["applied"]) == [applied_request(sent.request.request_id).key]


def test_a_save_after_a_delete_in_the_same_request_is_not_a_replay(tmp_path):
    store = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    request = envelope(request_id="amzn1.echo-api.request.both")
    store.save_attributes(envelope(), Progress(completed_total=3).to_attributes())
    store.delete_attributes(request)
    store.save_attributes(request, Progress(completed_total=1).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 1
