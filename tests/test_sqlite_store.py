"""The SQLite store, on real files and real request envelopes."""

import json
import logging
import multiprocessing
import os
import sqlite3
import uuid
from datetime import UTC, date, datetime

import pytest
from ask_sdk_core.serialize import DefaultSerializer

from skill.persistence import LOGGER_NAME, hash_person_id, hash_user_id, progress_merge
from skill.persistence.reads import RequestReads as _Reads
from skill.persistence.reads import StoredRead as _Read
from skill.persistence.sqlite import SCHEMA_VERSION, TABLE, SQLitePersistenceAdapter
from skill.progress import Progress
from tests.support.threads import run_in_threads

ALICE = "amzn1.ask.account.ALICE-RAW-ID-7f3a"
BOB = "amzn1.ask.account.BOB-RAW-ID-19c2"
TODAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PROGRESS = Progress(completed_total=4, completed_dates=("2025-03-12", "2025-03-13"))


def envelope(user_id=ALICE, request_id=None, *, in_context=True, in_session=True, person=None):
    system = {
        "application": {"applicationId": "amzn1.ask.skill.test"},
        "device": {"deviceId": "amzn1.ask.device.test", "supportedInterfaces": {}},
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    if in_context:
        system["user"] = {"userId": user_id}
    if person:
        system["person"] = {"personId": person}
    body = {
        "version": "1.0",
        "context": {"System": system},
        "request": {
            "type": "IntentRequest",
            "requestId": request_id or f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": "2025-03-14T09:30:00Z",
            "locale": "en-US",
            "intent": {"name": "AMAZON.HelpIntent", "confirmationStatus": "NONE"},
        },
    }
    if in_session:
        body["session"] = {
            "new": False,
            "sessionId": "amzn1.echo-api.session.test",
            "application": {"applicationId": "amzn1.ask.skill.test"},
            "user": {"userId": user_id},
        }
    return DefaultSerializer().deserialize(json.dumps(body), "ask_sdk_model.RequestEnvelope")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "nested" / "progress.sqlite3"


@pytest.fixture
def store(db_path):
    adapter = SQLitePersistenceAdapter(db_path, merge=progress_merge)
    yield adapter
    adapter.close()


@pytest.fixture
def faults(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    def warnings():
        return [r for r in caplog.records if r.name == LOGGER_NAME and r.levelno >= logging.WARNING]

    return warnings


def raw(db_path, sql, *args):
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def complete_once(adapter, user_id=ALICE):
    env = envelope(user_id)
    progress = Progress.from_attributes(adapter.get_attributes(env))
    adapter.save_attributes(env, progress.with_completion(TODAY).to_attributes())


# -- basics ------------------------------------------------------------------------------------


def test_round_trip_and_new_person(store, faults):
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())) == PROGRESS
    assert store.get_attributes(envelope(BOB)) == {}
    assert store.health_check() is True
    assert faults() == []


def test_parent_directory_is_created_and_connection_is_wal_and_full(store, db_path):
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    assert db_path.parent.is_dir()
    conn = store._connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 1000  # Alexa waits 8 s
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]  # persistent, for every process


def test_a_save_is_visible_to_another_connection_when_it_returns(store, db_path):
    other = SQLitePersistenceAdapter(db_path)
    assert other.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    assert Progress.from_attributes(other.get_attributes(envelope())) == PROGRESS
    [(text,)] = raw(db_path, f"SELECT attributes FROM {TABLE}")
    assert json.loads(text) == PROGRESS.to_attributes()
    other.close()


def test_session_user_id_is_the_fallback(store):
    store.save_attributes(envelope(in_context=False), PROGRESS.to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())) == PROGRESS


def test_no_user_id_is_logged_and_harmless(store, faults, db_path):
    env = envelope(in_context=False, in_session=False)
    assert store.get_attributes(env) == {}
    store.save_attributes(env, PROGRESS.to_attributes())
    store.delete_attributes(env)
    assert [r.reason for r in faults()] == ["no_user_id"] * 3


def test_delete_removes_only_that_person(store, db_path):
    store.save_attributes(envelope(ALICE), PROGRESS.to_attributes())
    store.save_attributes(envelope(BOB), Progress(completed_total=9).to_attributes())
    store.delete_attributes(envelope(ALICE))
    assert store.get_attributes(envelope(ALICE)) == {}
    assert Progress.from_attributes(store.get_attributes(envelope(BOB))).completed_total == 9
    assert raw(db_path, f"SELECT user_key FROM {TABLE}") == [(hash_user_id(BOB),)]


def test_raw_user_id_never_reaches_the_files_or_the_logs(store, db_path, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    for who in (ALICE, BOB):
        complete_once(store, who)
        complete_once(store, who)
    store.delete_attributes(envelope(BOB))
    store.save_attributes(envelope(ALICE), {"note": "VALUE-XYZ", "bad": {1, 2}})  # a fault
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert len(files) >= 2  # the database and its WAL
    blob = b"".join(p.read_bytes() for p in files)
    for who in (ALICE, BOB):
        assert who.encode() not in blob
        assert who.encode("utf-16-le") not in blob
    assert hash_user_id(ALICE).encode() in blob
    logged = repr([r.__dict__ for r in caplog.records])
    assert ALICE not in logged and BOB not in logged
    assert "VALUE-XYZ" not in logged  # no attribute values either
    assert any(r.levelno >= logging.WARNING for r in caplog.records)


# -- schema ------------------------------------------------------------------------------------


def make_v1(db_path, rows):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE TABLE user_attributes "
        "(user_key TEXT PRIMARY KEY, attributes TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    conn.executemany(
        "INSERT INTO user_attributes VALUES (?, ?, '2024-12-01T08:00:00+00:00')",
        [(hash_user_id(who), json.dumps(attrs)) for who, attrs in rows],
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_migration_from_v1_keeps_data_and_adds_revision(db_path, faults, caplog):
    make_v1(db_path, [(ALICE, PROGRESS.to_attributes()), (BOB, {"version": 1})])
    store = SQLitePersistenceAdapter(db_path, merge=progress_merge)
    assert Progress.from_attributes(store.get_attributes(envelope())) == PROGRESS
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(3,)]
    columns = [row[1] for row in raw(db_path, f"PRAGMA table_info({TABLE})")]
    assert columns == ["user_key", "attributes", "updated_at", "revision"]
    assert raw(db_path, f"SELECT revision FROM {TABLE} ORDER BY revision") == [(0,), (0,)]
    complete_once(store)
    rows = raw(db_path, f"SELECT revision, attributes FROM {TABLE} WHERE user_key = ?",
               hash_user_id(ALICE))  # fmt: skip
    assert rows[0][0] == 1
    assert json.loads(rows[0][1])["completed_total"] == 5
    assert any(getattr(r, "event", "") == "persistence.migrated" for r in caplog.records)
    assert faults() == []
    store.close()


def test_a_fresh_file_is_created_at_the_latest_schema(store, db_path):
    store.health_check()
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_left_alone(db_path, faults):
    make_v1(db_path, [(ALICE, PROGRESS.to_attributes())])
    raw(db_path, "PRAGMA user_version = 99")
    before = db_path.read_bytes()
    store = SQLitePersistenceAdapter(db_path)
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), Progress().to_attributes())
    assert store.health_check() is False
    assert {r.reason for r in faults()} == {"unavailable"}
    assert raw(db_path, "PRAGMA user_version") == [(99,)]
    assert json.loads(raw(db_path, "SELECT attributes FROM user_attributes")[0][0]) == (
        PROGRESS.to_attributes()
    )
    assert db_path.read_bytes() == before


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['{"completed_total": 3', "[1, 2]", "null", ""])
def test_corrupt_record_reads_as_new_and_spares_the_others(store, db_path, faults, text):
    store.save_attributes(envelope(ALICE), PROGRESS.to_attributes())
    store.save_attributes(envelope(BOB), Progress(completed_total=9).to_attributes())
    raw(db_path, f"UPDATE {TABLE} SET attributes = ? WHERE user_key = ?", text, hash_user_id(ALICE))
    bob_before = raw(db_path, f"SELECT * FROM {TABLE} WHERE user_key = ?", hash_user_id(BOB))

    assert store.get_attributes(envelope(ALICE)) == {}
    [record] = faults()
    assert (record.event, record.reason, record.store) == (
        "persistence.get_failed",
        "corrupt_record",
        "sqlite",
    )
    complete_once(store, ALICE)  # the person starts over; their own row is rewritten
    assert Progress.from_attributes(store.get_attributes(envelope(ALICE))).completed_total == 1
    assert raw(db_path, f"SELECT * FROM {TABLE} WHERE user_key = ?", hash_user_id(BOB)) == (
        bob_before
    )


def test_a_file_that_is_not_sqlite_is_never_overwritten(db_path, faults):
    db_path.parent.mkdir(parents=True)
    junk = b"this is a backup of something else, not a database\n" * 200
    db_path.write_bytes(junk)
    store = SQLitePersistenceAdapter(db_path)
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), PROGRESS.to_attributes())  # does not raise
    store.delete_attributes(envelope())
    assert store.health_check() is False
    assert db_path.read_bytes() == junk
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]
    records = faults()
    assert [r.operation for r in records] == ["get", "save", "delete", "health_check"]
    assert {r.error_code for r in records} == {"SQLITE_NOTADB"}


def test_an_unreachable_path_degrades(tmp_path, faults):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    store = SQLitePersistenceAdapter(blocker / "sub" / "progress.sqlite3")  # parent is a file
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    assert store.health_check() is False
    assert {r.reason for r in faults()} == {"unavailable"}
    assert blocker.read_text() == "x"


def test_unserialisable_attributes_are_logged_not_raised(store, faults):
    store.save_attributes(envelope(), {"when": date(2025, 1, 1)})
    assert [r.reason for r in faults()] == ["not_json"]
    assert store.get_attributes(envelope()) == {}


def test_a_failing_merge_hook_keeps_what_is_stored(db_path, faults):
    def broken(base, theirs, mine):
        raise RuntimeError("bug")

    store = SQLitePersistenceAdapter(db_path, merge=broken)
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    env = envelope()
    store.get_attributes(env)
    complete_once(store)  # someone else writes meanwhile
    store.save_attributes(env, Progress().to_attributes())
    assert [r.reason for r in faults()] == ["merge_failed"]
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert stored.completed_total == PROGRESS.completed_total + 1


# -- concurrency within one process ------------------------------------------------------------


def test_a_stale_save_merges_instead_of_overwriting(store):
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    first, second = envelope(), envelope()
    a = Progress.from_attributes(store.get_attributes(first))
    b = Progress.from_attributes(store.get_attributes(second))
    store.save_attributes(first, a.with_completion(TODAY).to_attributes())
    store.save_attributes(second, b.with_completion(TODAY).to_attributes())
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert stored.completed_total == PROGRESS.completed_total + 2
    assert stored.completed_dates[-2:] == (TODAY.isoformat(),) * 2


def test_a_request_that_saves_again_after_a_merge_counts_once(store):
    first, second = envelope(), envelope()
    a = Progress.from_attributes(store.get_attributes(first))
    b = Progress.from_attributes(store.get_attributes(second))
    store.save_attributes(first, a.with_completion(TODAY).to_attributes())
    mine = b.with_completion(TODAY)
    store.save_attributes(second, mine.to_attributes())  # merged: two completions
    store.save_attributes(second, mine.with_step("upper-back", 1, NOW).to_attributes())
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert (stored.completed_total, stored.routine_id) == (2, "upper-back")


def test_default_merge_is_mine_wins(db_path):
    store = SQLitePersistenceAdapter(db_path)
    first, second = envelope(), envelope()
    store.get_attributes(first)
    store.get_attributes(second)
    store.save_attributes(first, {"who": "first"})
    store.save_attributes(second, {"who": "second"})
    assert store.get_attributes(envelope()) == {"who": "second"}


def test_repeated_saves_in_one_request_do_not_merge_with_themselves(db_path):
    calls = []

    def spy(base, theirs, mine):
        calls.append(1)
        return progress_merge(base, theirs, mine)

    store = SQLitePersistenceAdapter(db_path, merge=spy)
    env = envelope()
    progress = Progress.from_attributes(store.get_attributes(env)).with_completion(TODAY)
    store.save_attributes(env, progress.to_attributes())
    store.save_attributes(env, progress.with_step("upper-back", 1, NOW).to_attributes())
    assert calls == []
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert (stored.completed_total, stored.routine_id) == (1, "upper-back")


def test_a_save_after_a_failed_read_merges_rather_than_resets(store, monkeypatch):
    for _ in range(3):
        complete_once(store)
    env = envelope()
    real = store._connection
    monkeypatch.setattr(store, "_connection", _raise_once(real))
    attrs = store.get_attributes(env)  # e.g. a lock held past busy_timeout
    assert attrs == {}
    store.save_attributes(
        env, Progress.from_attributes(attrs).with_completion(TODAY).to_attributes()
    )
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 4


def test_a_save_after_a_concurrent_delete_keeps_only_the_new_work(store):
    for _ in range(2):
        complete_once(store)
    env = envelope()
    progress = Progress.from_attributes(store.get_attributes(env))
    store.delete_attributes(envelope())  # "forget me" from another device
    store.save_attributes(env, progress.with_completion(TODAY).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 1


def test_threads_share_an_adapter_safely(store):
    def work():
        for _ in range(25):
            complete_once(store)

    assert run_in_threads(work, 4) == []
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 100


def test_tracked_reads_are_bounded():
    reads = _Reads(capacity=2)
    for n in range(3):
        reads.remember(f"r{n}", "k", _Read(n, "{}"))
    assert reads.get("r0", "k") is None
    assert reads.get("r2", "k") == _Read(2, "{}")
    reads.remember(None, "k", _Read(1, "{}"))  # no request id: nothing to pair with


# -- concurrency across processes --------------------------------------------------------------


def _complete_many(path, user_id, count, barrier, results):
    """One "gunicorn worker": count completions, each its own request, as fast as it can."""
    merges = 0

    def counting_merge(base, theirs, mine):
        nonlocal merges
        merges += 1
        return progress_merge(base, theirs, mine)

    warnings = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = warnings.append
    logging.getLogger(LOGGER_NAME).addHandler(handler)
    store = SQLitePersistenceAdapter(path, merge=counting_merge)
    barrier.wait()
    for n in range(count):
        env = envelope(user_id, request_id=f"req-{os.getpid()}-{n}")
        progress = Progress.from_attributes(store.get_attributes(env))
        # Both workers have read before either writes: every round is a real collision.
        barrier.wait(timeout=60)
        store.save_attributes(env, progress.with_completion(TODAY).to_attributes())
    results.put((merges, len(warnings)))


def test_two_processes_never_lose_a_completion(db_path):
    SQLitePersistenceAdapter(db_path).health_check()  # create the file as the app would
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=_complete_many, args=(db_path, ALICE, 50, barrier, results))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0

    reader = SQLitePersistenceAdapter(db_path)
    stored = Progress.from_attributes(reader.get_attributes(envelope()))
    assert stored.completed_total == 100
    assert sum(merges for merges, _ in outcomes) >= 50  # every round, one write had to merge
    assert [warnings for _, warnings in outcomes] == [0, 0]  # nobody timed out waiting


def _save_in_forked_child(store):
    complete_once(store)


def test_a_connection_is_not_reused_across_fork(store):
    complete_once(store)  # the parent holds an open connection
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_save_in_forked_child, args=(store,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    complete_once(store)
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 3


# -- helpers -----------------------------------------------------------------------------------


def _raise_once(real):
    state = {"raised": False}

    def connection():
        if not state["raised"]:
            state["raised"] = True
            raise sqlite3.OperationalError("database is locked")
        return real()

    return connection


# -- people in one household -------------------------------------------------------------------

ANNA = "amzn1.ask.person.ANNA-RAW-ID"
BEN = "amzn1.ask.person.BEN-RAW-ID"


def test_each_recognised_person_has_their_own_record(store, db_path):
    records = {ANNA: PROGRESS, BEN: Progress(screening="yes"), None: Progress(completed_total=7)}
    for who, progress in records.items():
        store.save_attributes(envelope(person=who), progress.to_attributes())
    for who, progress in records.items():
        assert Progress.from_attributes(store.get_attributes(envelope(person=who))) == progress
    keys = [row[0] for row in raw(db_path, f"SELECT user_key FROM {TABLE}")]
    account = hash_user_id(ALICE)
    assert sorted(keys) == sorted(
        [account, f"{account}:{hash_person_id(ANNA)}", f"{account}:{hash_person_id(BEN)}"]
    )
    assert not any("ANNA" in key or "BEN" in key for key in keys)


def test_forgetting_the_user_deletes_every_person_and_nobody_else(store, db_path, faults):
    for user, who in ((ALICE, ANNA), (ALICE, BEN), (ALICE, None), (BOB, None), (BOB, ANNA)):
        store.save_attributes(envelope(user, person=who), PROGRESS.to_attributes())
    store.forget_user(envelope(ALICE))
    bob = hash_user_id(BOB)
    keys = sorted(row[0] for row in raw(db_path, f"SELECT user_key FROM {TABLE}"))
    assert keys == sorted([bob, f"{bob}:{hash_person_id(ANNA)}"])
    assert faults() == []


def test_forgetting_without_a_user_id_is_logged(store, faults):
    store.forget_user(envelope(in_context=False, in_session=False))
    assert [(r.operation, r.reason) for r in faults()] == [("forget", "no_user_id")]
