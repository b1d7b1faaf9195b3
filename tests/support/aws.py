"""A DynamoDB that never leaves the machine: moto, with credentials that cannot reach AWS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from skill.persistence.dynamo import PARTITION_KEY


@contextmanager
def fake_dynamodb(
    monkeypatch: pytest.MonkeyPatch, region: str, *, region_in_environment: bool = True
) -> Iterator[Any]:
    """A moto DynamoDB resource in ``region``; no AWS profile or setting leaks in from outside.

    Without ``region_in_environment`` only the resource knows the region, as when a store URL
    carries it.
    """
    for name in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    if region_in_environment:
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    with mock_aws():
        yield boto3.resource("dynamodb", region_name=region)


def progress_table(dynamodb: Any, name: str) -> Any:
    """The progress table as serverless.yml declares it: one string hash key, on demand."""
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
