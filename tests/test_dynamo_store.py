"""The DynamoDB store against moto's in-memory DynamoDB, through real request envelopes."""

import json
import logging
import subprocess
import sys
import uuid
from datetime import date

import boto3
import pytest
from ask_sdk_core.serialize import DefaultSerializer
from botocore.exceptions import ClientError
from moto import mock_aws

from skill.persistence import LOGGER_NAME, hash_user_id
from skill.persistence.dynamo import PARTITION_KEY, TABLE_ENV, dynamo_adapter
from skill.progress import Progress, progress_merge

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


def envelope(user_id=ALICE, *, with_user=True):
    system = {
        "application": {"applicationId": "amzn1.ask.skill.test"},
        "device": {"deviceId": "amzn1.ask.device.test", "supportedInterfaces": {}},
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    if with_user:
        system["user"] = {"userId": user_id}
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
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.resource("dynamodb", region_name="eu-west-1")


@pytest.fixture
def table(aws):
    return aws.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


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
    assert {(r.levelno, r.store, r.reason) for r in records} == {
        (logging.WARNING, "dynamodb", "unavailable")
    }
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
    assert [r.reason for r in faults()] == ["corrupt_record", "unavailable"]


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


def stored_item(table, user_id=ALICE):
    return table.get_item(Key={PARTITION_KEY: hash_user_id(user_id)}).get("Item")


def merges(records):
    return [r for r in records if getattr(r, "event", None) == "persistence.merged"]


def test_two_requests_that_both_complete_lose_neither(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    first, second = envelope(), envelope()  # same person, two request ids
    mine_1 = Progress.from_attributes(store.get_attributes(first)).with_completion(TODAY)
    mine_2 = Progress.from_attributes(store.get_attributes(second)).with_completion(TODAY)
    store.save_attributes(first, mine_1.to_attributes())
    store.save_attributes(second, mine_2.to_attributes())  # stale read: merges, not overwrites

    progress = Progress.from_attributes(store.get_attributes(envelope()))
    assert progress.completed_total == 2
    assert progress.completed_dates == (TODAY.isoformat(), TODAY.isoformat())
    assert stored_item(table)["revision"] == 2
    assert len(merges(faults())) == 1
    assert [r for r in faults() if r.levelno >= logging.WARNING] == []


def test_concurrent_completions_on_existing_progress_add_up(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    requests = [envelope() for _ in range(3)]
    reads = [Progress.from_attributes(store.get_attributes(r)) for r in requests]
    for request, read in zip(requests, reads, strict=True):
        store.save_attributes(request, read.with_completion(TODAY).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 4 + 3
    assert stored_item(table)["revision"] == 1 + 3


def test_a_second_save_in_one_request_builds_on_its_own_write(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    request = envelope()
    progress = Progress.from_attributes(store.get_attributes(request)).with_completion(TODAY)
    store.save_attributes(request, progress.to_attributes())
    store.save_attributes(request, progress.with_completion(TODAY).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 2
    assert merges(faults()) == []  # its own first write is not a concurrent one


def test_a_save_without_a_read_is_a_plain_put(aws, table, faults):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    assert store.get_attributes(envelope()) == PROGRESS.to_attributes()
    store.save_attributes(envelope(), Progress(completed_total=1).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 1
    assert stored_item(table)["revision"] == 2  # still bumped, so readers see the change
    assert faults() == []


def test_items_from_ask_sdks_adapter_are_read_and_guarded(aws, table, faults):
    # The shape ask-sdk's DynamoDbAdapter wrote before revisions: no "revision" attribute.
    table.put_item(
        Item={
            PARTITION_KEY: hash_user_id(ALICE),
            "attributes": {"version": 1, "completed_total": 4},
        }
    )
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    first, second = envelope(), envelope()
    reads = [Progress.from_attributes(store.get_attributes(r)) for r in (first, second)]
    assert [p.completed_total for p in reads] == [4, 4]
    store.save_attributes(first, reads[0].with_completion(TODAY).to_attributes())
    store.save_attributes(second, reads[1].with_completion(TODAY).to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 6
    assert len(merges(faults())) == 1


def test_a_non_numeric_revision_reads_as_an_old_item(aws, table, faults):
    table.put_item(Item={PARTITION_KEY: hash_user_id(ALICE), "attributes": {}, "revision": "junk"})
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    request = envelope()
    progress = Progress.from_attributes(store.get_attributes(request)).with_completion(TODAY)
    store.save_attributes(request, progress.to_attributes())
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 1
    assert stored_item(table)["revision"] == 1
    assert faults() == []


def test_items_stay_readable_by_ask_sdks_adapter(aws, table):
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    dynamo_adapter(TABLE, dynamodb_resource=aws).save_attributes(
        envelope(), PROGRESS.to_attributes()
    )
    theirs = DynamoDbAdapter(
        TABLE, partition_keygen=lambda e: hash_user_id(ALICE), dynamodb_resource=aws
    )
    assert theirs.get_attributes(envelope()) == PROGRESS.to_attributes()  # Decimal == int


def test_the_raw_id_appears_nowhere_after_merges(aws, table):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    first, second = envelope(), envelope()
    for request in (first, second):
        store.get_attributes(request)
    for request in (first, second):
        store.save_attributes(request, Progress().with_completion(TODAY).to_attributes())
    items = table.scan()["Items"]
    assert [item[PARTITION_KEY] for item in items] == [hash_user_id(ALICE)]
    dumped = json.dumps(items, default=str)
    assert ALICE not in dumped and "ALICE" not in dumped


def test_a_read_that_failed_still_merges_with_what_is_stored(aws, table, faults, monkeypatch):
    store = dynamo_adapter(TABLE, dynamodb_resource=aws)
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    request = envelope()
    real_get = store._client.get_item

    def failing_once(**kwargs):
        monkeypatch.setattr(store._client, "get_item", real_get)
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "GetItem")

    monkeypatch.setattr(store._client, "get_item", failing_once)
    assert store.get_attributes(request) == {}  # degraded: looks like a new person
    store.save_attributes(request, Progress().with_completion(TODAY).to_attributes())
    # The stored four completions survive: the save merged instead of overwriting them.
    assert Progress.from_attributes(store.get_attributes(envelope())).completed_total == 5
    assert [r.reason for r in faults() if r.levelno >= logging.WARNING] == ["unavailable"]


def test_endless_conflicts_give_up_logged_not_raised(aws, table, faults):
    def meddling_merge(base, theirs, mine):
        # Another writer gets in between every re-read and put.
        item = stored_item(table)
        table.put_item(Item={**item, "revision": item["revision"] + 1})
        return progress_merge(base, theirs, mine)

    store = dynamo_adapter(TABLE, dynamodb_resource=aws, merge=meddling_merge, max_attempts=3)
    store.save_attributes(envelope(), PROGRESS.to_attributes())
    request = envelope()
    store.get_attributes(request)
    table.put_item(Item={**stored_item(table), "revision": 99})  # a concurrent write
    store.save_attributes(request, PROGRESS.with_completion(TODAY).to_attributes())  # no raise
    assert [r.reason for r in faults() if r.levelno >= logging.WARNING] == ["conflict"]
    assert Progress.from_attributes(store.get_attributes(envelope())) == PROGRESS


def test_a_failing_merge_hook_is_logged_not_raised(aws, table, faults):
    def broken(base, theirs, mine):
        raise RuntimeError("bug in the hook")

    store = dynamo_adapter(TABLE, dynamodb_resource=aws, merge=broken)
    first, second = envelope(), envelope()
    store.get_attributes(first)
    store.get_attributes(second)
    store.save_attributes(first, PROGRESS.to_attributes())
    store.save_attributes(second, Progress(completed_total=1).to_attributes())
    assert [r.reason for r in faults()] == ["merge_failed"]
    assert store.get_attributes(envelope()) == PROGRESS.to_attributes()


def test_a_missing_table_degrades_after_a_read_too(aws, faults):
    store = dynamo_adapter("no-such-table", dynamodb_resource=aws)
    request = envelope()
    assert store.get_attributes(request) == {}
    store.save_attributes(request, PROGRESS.to_attributes())  # does not raise
    assert [(r.operation, r.reason) for r in faults()] == [
        ("get", "unavailable"),
        ("save", "unavailable"),
    ]
