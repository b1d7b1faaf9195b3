"""The DynamoDB store: ask-sdk's DynamoDbAdapter, extended with conditional writes.

Used on Lambda, and by self-hosted servers that share one table (``serve --store dynamodb://``).
boto3 and ask_sdk_dynamodb are imported only inside :func:`dynamo_adapter`, so importing this
module stays cheap (and works where the ``aws`` extra is not installed).
"""

from __future__ import annotations

import os
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence.reads import MergeHook
from skill.progress import progress_merge

TABLE_ENV = "DYNAMODB_TABLE"
PARTITION_KEY = "id"  # must match the table in serverless.yml
ATTRIBUTES = "attributes"  # ask-sdk DynamoDbAdapter's default attribute_name
#: The item's version: bumped by every write, and the condition each write is made on.
REVISION = "revision"


def dynamo_adapter(
    table_name: str | None = None,
    *,
    region: str | None = None,
    dynamodb_resource: Any = None,
    merge: MergeHook = progress_merge,
) -> AbstractPersistenceAdapter:
    """A DynamoDB-backed adapter for the table ``table_name`` (default: ``$DYNAMODB_TABLE``).

    The table must exist (``create_table`` is off: the deployment owns it). Items are keyed by
    :func:`skill.persistence.record_key`, the same salted hashes the SQLite store uses.
    """
    name = table_name or os.environ.get(TABLE_ENV)
    if not name:
        raise ValueError(f"no DynamoDB table: pass table_name or set {TABLE_ENV}")

    import boto3
    from botocore.exceptions import NoRegionError

    try:
        # ask_sdk_dynamodb builds a default boto3 resource when it is imported: that needs a
        # region too, so set one in the environment when none is configured.
        if region and not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
            os.environ["AWS_DEFAULT_REGION"] = region
        from skill.persistence.dynamo_versioned import VersionedDynamoDbAdapter

        resource = dynamodb_resource or boto3.resource("dynamodb", region_name=region)
    except NoRegionError as exc:
        raise RuntimeError(
            "DynamoDB needs an AWS region: add ?region=… to the store URL, or set AWS_REGION"
        ) from exc
    return VersionedDynamoDbAdapter(name, dynamodb_resource=resource, merge=merge)
