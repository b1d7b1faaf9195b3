"""The DynamoDB store against moto's in-memory DynamoDB, through real request envelopes."""

import json
import logging
import subprocess
import sys
import uuid

import boto3
import pytest
from ask_sdk_core.serialize import DefaultSerializer
from moto import mock_aws

from skill.persistence import LOGGER_NAME, hash_user_id
from skill.persistence.dynamo import PARTITION_KEY, TABLE_ENV, dynamo_adapter
from skill.progress import Progress

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
    assert [r.reason for r in faults()] == ["corrupt_record", "unavailable"]


def test_importing_the_module_stays_cheap():
    code = (
        "import sys, skill.persistence.dynamo, skill.persistence.sqlite, skill.progress; "
        "print(sorted(m for m in ('boto3', 'botocore', 'ask_sdk_dynamodb', 'flask') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
