"""The DynamoDB store against moto's in-memory DynamoDB, through real request envelopes."""

import json
import logging
import subprocess
import sys
import threading
import uuid
from dataclasses import replace
from datetime import date

import boto3
import pytest
from ask_sdk_core.serialize import DefaultSerializer
from botocore.exceptions import ClientError

from skill.persistence import LOGGER_NAME, hash_person_id, hash_user_id, user_key
from skill.persistence.dynamo import PARTITION_KEY, REVISION, TABLE_ENV, dynamo_adapter
from skill.progress import Progress
from tests.support.aws import fake_dynamodb, progress_table

ALICE = "amzn1.ask.account.ALICE-RAW-ID-7f3a"
BOB = "amzn1.ask.account.BOB-RAW-ID-19c2"
TABLE = "workout-planner-progress-test"
PROGRESS = Progress(
    routine_id="upper-back",
    step_index=2,
    completed_total=4,
    completed_dates=("2025-03-12", "2025-03-13"),
    screening="no",
)


def envelope(user_id=ALICE, *, with_user=True, person=None):
    system = {
        "application": {"applicationId": "amzn1.ask.skill.test"},
        "device": {"deviceId": "amzn1.ask.device.test", "supportedInterfaces": {}},
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    if with_user:
        system["user"] = {"userId": user_id}
    if person:
        system["person"] = {"personId": person}
    body = {
        "version": "1.0",
        "context": {"System": system},
        "request": {
            "type": "LaunchRequest",
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": "2025-03-14T09:30:00Z",
            "locale": "en-US",
        },
    }
    return DefaultSerializer().deserialize(json.dumps(body), "ask_sdk_model.RequestEnvelope")


@pytest.fixture
def aws(monkeypatch):
    with fake_dynamodb(monkeypatch, "eu-west-1") as dynamodb:
        yield dynamodb


@pytest.fixture
def table(aws):
    return progress_table(aws, TABLE)


@pytest.fixture
def faults(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    return lambda: [r for r in caplog.records if r.name == LOGGER_NAME]


def test_round_trip_save_get_delete(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    store.save_attributes(envelope(BOB), Progress(completed_total=9).to_attributes())

    attrs = store.get_attributes(envelope())
    assert attrs == PROGRESS.to_attributes()
    assert type(attrs["completed_total"]) is int  # not DynamoDB's Decimal
    assert Progress.parse(attrs) == (PROGRESS, [])

    store.delete_attributes(envelope())
    assert store.get_attributes(envelope()) == {}
    assert Progress.from_attributes(store.get_attributes(envelope(BOB))).completed_total == 9
    assert faults() == []


def test_stored_key_is_the_hash_and_the_raw_id_appears_nowhere(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    store.save_attributes(envelope(ALICE), PROGRESS.to_attributes())
    store.save_attributes(envelope(BOB), PROGRESS.to_attributes())
    items = table.scan()["Items"]
    assert sorted(item[PARTITION_KEY] for item in items) == sorted(
        [hash_user_id(ALICE), hash_user_id(BOB)]
    )
    dumped = json.dumps(items, default=str)
    assert ALICE not in dumped and BOB not in dumped
    assert "ALICE" not in dumped and "BOB" not in dumped


def test_table_name_comes_from_the_environment(aws, table, monkeypatch):
    monkeypatch.setenv(TABLE_ENV, TABLE)
    store = dynamo_adapter(dynamodb_resource=aws)
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    assert len(table.scan()["Items"]) == 1


def test_no_table_name_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(TABLE_ENV, raising=False)
    with pytest.raises(ValueError, match=TABLE_ENV):
        dynamo_adapter()


def test_missing_table_degrades_and_logs(aws, faults):
    store = dynamo_adapter("no-such-table", dynamodb_resource=aws)
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), PROGRESS.to_attributes())  # does not raise
    store.delete_attributes(envelope())  # does not raise
    records = faults()
    assert [r.operation for r in records] == ["get", "save", "delete"]
    # A lost write (save, delete) is an error; a failed read a warning.
    assert [(r.levelno, r.store, r.reason) for r in records] == [
        (logging.WARNING, "dynamodb", "unavailable"),
        (logging.ERROR, "dynamodb", "unavailable"),
        (logging.ERROR, "dynamodb", "unavailable"),
    ]
    assert {r.error_code for r in records} == {"ResourceNotFoundException"}
    logged = repr([r.__dict__ for r in records])
    assert ALICE not in logged and hash_user_id(ALICE) not in logged


def test_no_user_id_and_unserialisable_attributes_are_logged(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    assert store.get_attributes(envelope(with_user=False)) == {}
    store.save_attributes(envelope(with_user=False), PROGRESS.to_attributes())
    store.save_attributes(envelope(), {"score": float("nan")})
    assert [r.reason for r in faults()] == ["no_user_id", "no_user_id", "not_json"]
    assert table.scan()["Items"] == []


def test_floats_and_nested_values_survive(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    store.save_attributes(envelope(), {"ratio": 0.25, "nested": {"n": [1, 2.5]}, "t": (1, 2)})
    assert store.get_attributes(envelope()) == {
        "ratio": 0.25,
        "nested": {"n": [1, 2.5]},
        "t": [1, 2],
    }


def test_corrupt_item_reads_as_new(aws, table, faults):
    table.put_item(Item={PARTITION_KEY: hash_user_id(ALICE), "attributes": "not a map"})
    table.put_item(Item={PARTITION_KEY: hash_user_id(BOB)})  # no attributes at all
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    assert store.get_attributes(envelope(ALICE)) == {}
    assert store.get_attributes(envelope(BOB)) == {}
    assert [r.reason for r in faults()] == ["corrupt_record", "corrupt_record"]


def test_importing_the_module_stays_cheap():
    code = (
        "import sys, skill.persistence.dynamo, skill.persistence.sqlite, skill.progress; "
        "print(sorted(m for m in ('boto3', 'botocore', 'ask_sdk_dynamodb', 'flask') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- concurrent requests for one person --------------------------------------------------------

TODAY = date(2025, 3, 14)
ANNA = "amzn1.ask.person.ANNA-RAW-ID"
BEN = "amzn1.ask.person.BEN-RAW-ID"


@pytest.fixture
def sdk_adapter(aws):
    """ask-sdk's own DynamoDbAdapter class (its module needs a region at import)."""
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    return DynamoDbAdapter


def item(table, key):
    return table.get_item(Key={PARTITION_KEY: key}, ConsistentRead=True).get("Item")


def merges(records):
    return [r for r in records if getattr(r, "event", None) == "persistence.merged"]


def test_items_keep_the_sdk_adapters_layout_plus_a_revision(aws, table, sdk_adapter):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    assert isinstance(store, sdk_adapter)
    store.get_attributes(first := envelope())
    store.save_attributes(first, PROGRESS.to_attributes())
    stored = item(table, hash_user_id(ALICE))
    # Plus the requests that wrote it, kept while they could be replayed (#15).
    assert set(stored) == {PARTITION_KEY, "attributes", REVISION, "applied"}
    assert stored[REVISION] == 1
    # ask-sdk's own adapter, on the same table with the same key generator, reads it as is.
    plain = sdk_adapter(TABLE, partition_keygen=user_key, dynamodb_resource=aws)
    assert Progress.from_attributes(_from_dynamo_plain(plain.get_attributes(envelope()))) == (
        PROGRESS
    )


def _from_dynamo_plain(attrs):
    return json.loads(json.dumps(attrs, default=lambda d: int(d) if d == int(d) else float(d)))


def test_an_item_the_sdk_adapter_wrote_is_read_and_then_versioned(aws, table, sdk_adapter):
    plain = sdk_adapter(TABLE, partition_keygen=user_key, dynamodb_resource=aws)
    plain.save_attributes(envelope(), {**PROGRESS.to_attributes(), "completed_total": 4})
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    request = envelope()
    progress = Progress.from_attributes(store.get_attributes(request))
    assert progress == PROGRESS
    store.save_attributes(request, progress.with_completion(TODAY).to_attributes())
    stored = item(table, hash_user_id(ALICE))
    assert stored[REVISION] == 1 and stored["attributes"]["completed_total"] == 5


def test_two_requests_that_both_complete_lose_neither(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    first, second = envelope(), envelope()  # the same person, two request ids
    mine_1 = Progress.from_attributes(store.get_attributes(first)).with_completion(TODAY)
    mine_2 = Progress.from_attributes(store.get_attributes(second)).with_completion(TODAY)
    store.save_attributes(first, mine_1.to_attributes())
    store.save_attributes(second, mine_2.to_attributes())
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert stored.completed_total == 2
    assert stored.completed_dates == (TODAY.isoformat(), TODAY.isoformat())
    assert len(merges(faults())) == 1
    assert item(table, hash_user_id(ALICE))[REVISION] == 2


def test_a_request_that_saves_again_after_a_merge_counts_once(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    first, second = envelope(), envelope()
    base_1 = Progress.from_attributes(store.get_attributes(first))
    base_2 = Progress.from_attributes(store.get_attributes(second))
    store.save_attributes(first, base_1.with_completion(TODAY).to_attributes())
    mine = base_2.with_completion(TODAY)
    store.save_attributes(second, mine.to_attributes())  # merged: total 2
    store.save_attributes(second, replace(mine, screening="yes").to_attributes())
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert (stored.completed_total, stored.screening) == (2, "yes")


@pytest.fixture
def atomic_writes(monkeypatch):
    """DynamoDB checks a write's condition and applies it as one atomic step; moto's in-memory
    backend does neither under a lock, so threads could interleave inside it. Give it the
    atomicity DynamoDB has (per table is stricter than DynamoDB's per item, and enough)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    for name in ("put_item", "update_item", "get_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def test_concurrent_writers_in_threads_lose_nothing_and_count_nothing_twice(
    aws, table, atomic_writes
):
    """Each thread has its own adapter (as each Lambda container or worker does)."""
    writers, rounds = 4, 3
    barrier = threading.Barrier(writers)
    errors = []

    def writer(n):
        try:
            store = dynamo_adapter(TABLE, dynamodb_resource=boto3.resource("dynamodb"))
            for _ in range(rounds):
                request = envelope()
                progress = Progress.from_attributes(store.get_attributes(request))
                barrier.wait(timeout=30)  # every writer has read before any writes
                updated = progress.with_completion(TODAY)
                if n == 0:
                    updated = replace(updated, screening="no")
                store.save_attributes(request, updated.to_attributes())
                barrier.wait(timeout=30)
        except Exception as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    stored = Progress.from_attributes(
        dynamo_adapter(TABLE, dynamodb_resource=aws).get_attributes(envelope())
    )
    assert stored.completed_total == writers * rounds
    assert stored.completed_dates == (TODAY.isoformat(),) * (writers * rounds)
    assert stored.screening == "no"
    assert item(table, hash_user_id(ALICE))[REVISION] == writers * rounds


def test_endless_conflicts_give_up_logged_without_raising(aws, table, faults, monkeypatch):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    request = envelope()
    store.get_attributes(request)
    other = dynamo_adapter(TABLE, dynamodb_resource=aws)
    real_put = store._put

    def put_after_someone_else(key, text, expected, applied):
        rival = envelope()
        other.save_attributes(
            rival, {**Progress.from_attributes(other.get_attributes(rival)).to_attributes()}
        )
        return real_put(key, text, expected, applied)

    monkeypatch.setattr(store, "_put", put_after_someone_else)
    store.save_attributes(request, PROGRESS.to_attributes())
    assert [r.reason for r in faults() if r.levelno >= logging.WARNING] == ["conflict"]


def test_a_failed_read_merges_with_what_is_stored(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    store.get_attributes(first := envelope())
    store.save_attributes(first, PROGRESS.to_attributes())
    broken = dynamo_adapter(TABLE, dynamodb_resource=aws)
    request = envelope()
    real_table = broken.dynamodb.Table
    calls = []

    def failing_once(name):
        calls.append(name)
        if len(calls) == 1:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException"}}, "GetItem"
            )
        return real_table(name)

    broken.dynamodb.Table = failing_once
    assert broken.get_attributes(request) == {}
    broken.save_attributes(request, Progress().with_completion(TODAY).to_attributes())
    stored = Progress.from_attributes(store.get_attributes(envelope()))
    assert stored.completed_total == PROGRESS.completed_total + 1
    assert stored.routine_id == PROGRESS.routine_id


# -- people in one household -------------------------------------------------------------------


def test_each_recognised_person_has_their_own_record(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    for who, progress in (
        (ANNA, PROGRESS),
        (BEN, Progress(screening="yes")),
        (None, Progress(completed_total=7)),
    ):
        request = envelope(person=who)
        store.get_attributes(request)
        store.save_attributes(request, progress.to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope(person=ANNA))) == PROGRESS
    assert Progress.from_attributes(store.get_attributes(envelope(person=BEN))).screening == "yes"
    account = Progress.from_attributes(store.get_attributes(envelope()))
    assert (account.completed_total, account.screening) == (7, None)
    dumped = json.dumps(table.scan()["Items"], default=str)
    assert "ANNA" not in dumped and "BEN" not in dumped and "ALICE" not in dumped


def test_deleting_a_persons_data_leaves_the_others(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    for who in (ANNA, BEN, None):
        store.save_attributes(envelope(person=who), PROGRESS.to_attributes())
    store.delete_attributes(envelope(person=ANNA))
    assert store.get_attributes(envelope(person=ANNA)) == {}
    assert store.get_attributes(envelope(person=BEN)) != {}
    assert store.get_attributes(envelope()) != {}


def test_forgetting_the_user_deletes_every_person_and_nobody_else(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    for user, who in ((ALICE, ANNA), (ALICE, BEN), (ALICE, None), (BOB, None), (BOB, ANNA)):
        store.save_attributes(envelope(user, person=who), PROGRESS.to_attributes())
    store.forget_user(envelope(ALICE))
    keys = sorted(i[PARTITION_KEY] for i in table.scan()["Items"])
    bob = hash_user_id(BOB)
    assert keys == sorted([bob, f"{bob}:{hash_person_id(ANNA)}", f"{bob}#people"])
    assert store.get_attributes(envelope(ALICE, person=ANNA)) == {}
    assert [r for r in faults() if r.levelno >= logging.WARNING] == []


def test_forgetting_on_a_missing_table_is_logged(aws, faults):
    store = dynamo_adapter("no-such-table", dynamodb_resource=aws)
    store.forget_user(envelope())
    assert [(r.operation, r.reason) for r in faults()] == [("forget", "unavailable")]
