"""The Lambda deployment's store: ask-sdk's DynamoDbAdapter, keyed and degrading like SQLite's.

boto3 and ask_sdk_dynamodb are imported only inside :func:`dynamo_adapter`, so importing this
module stays cheap (and works where the ``aws`` extra is not installed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.persistence import log_fault, user_key, user_key_or_log

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

TABLE_ENV = "DYNAMODB_TABLE"
PARTITION_KEY = "id"  # must match the table in serverless.yml


def dynamo_adapter(
    table_name: str | None = None, *, dynamodb_resource: Any = None
) -> AbstractPersistenceAdapter:
    """A DynamoDB-backed adapter for the table ``table_name`` (default: ``$DYNAMODB_TABLE``).

    The table must exist (``create_table`` is off: the deployment owns it). Items are keyed by
    :func:`skill.persistence.user_key`, the same salted hash the SQLite store uses.
    """
    name = table_name or os.environ.get(TABLE_ENV)
    if not name:
        raise ValueError(f"no DynamoDB table: pass table_name or set {TABLE_ENV}")

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    try:
        # This module builds a default boto3 resource when it is imported, which needs a region.
        from ask_sdk_dynamodb.adapter import DynamoDbAdapter
    except NoRegionError as exc:
        raise RuntimeError(
            "ask_sdk_dynamodb needs an AWS region at import: set AWS_REGION or AWS_DEFAULT_REGION"
        ) from exc

    inner = DynamoDbAdapter(
        table_name=name,
        partition_key_name=PARTITION_KEY,
        create_table=False,
        partition_keygen=user_key,
        dynamodb_resource=dynamodb_resource or boto3.resource("dynamodb"),
    )
    return DegradingAdapter(inner, faults=(BotoCoreError, ClientError))


class DegradingAdapter(AbstractPersistenceAdapter):
    """Wraps an adapter so storage faults are logged, never raised: a read fault is a new person.

    Also converts between DynamoDB's ``Decimal`` numbers and the plain ints/floats the skill's
    JSON-shaped attributes use.
    """

    def __init__(
        self,
        inner: AbstractPersistenceAdapter,
        *,
        faults: tuple[type[BaseException], ...] = (),
        store: str = "dynamodb",
    ) -> None:
        self.inner = inner
        self._faults: tuple[type[BaseException], ...] = (PersistenceException, *faults)
        self._store = store

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, object]:
        if not self._has_user(request_envelope, "get"):
            return {}
        try:
            stored = self.inner.get_attributes(request_envelope=request_envelope)
        except self._faults as exc:
            log_fault(self._store, "get", "unavailable", exc)
            return {}
        if not isinstance(stored, Mapping):
            log_fault(self._store, "get", "corrupt_record")
            return {}
        return {str(k): _from_dynamo(v) for k, v in stored.items()}

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: Mapping[str, object]
    ) -> None:
        if not self._has_user(request_envelope, "save"):
            return
        try:
            item = _to_dynamo(attributes)
        except (TypeError, ValueError) as exc:
            log_fault(self._store, "save", "not_json", exc)
            return
        try:
            self.inner.save_attributes(request_envelope=request_envelope, attributes=item)
        except self._faults as exc:
            log_fault(self._store, "save", "unavailable", exc)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        if not self._has_user(request_envelope, "delete"):
            return
        try:
            self.inner.delete_attributes(request_envelope=request_envelope)
        except self._faults as exc:
            log_fault(self._store, "delete", "unavailable", exc)

    def _has_user(self, request_envelope: RequestEnvelope, operation: str) -> bool:
        return user_key_or_log(request_envelope, self._store, operation) is not None


def _to_dynamo(attributes: Mapping[str, object]) -> dict[str, Any]:
    # boto3 rejects floats; a JSON round trip also turns tuples into lists and refuses NaN.
    text = json.dumps(dict(attributes), allow_nan=False)
    value: dict[str, Any] = json.loads(text, parse_float=Decimal)
    return value


def _from_dynamo(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_from_dynamo(v) for v in value]
    return value
