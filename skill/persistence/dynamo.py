"""The Lambda deployment's store: DynamoDB, keyed, degrading and merging like SQLite's.

- Items keep ask-sdk's ``DynamoDbAdapter`` shape, ``{"id": key, "attributes": {...}}``, plus a
  numeric ``revision``; items written before revisions existed (or by ask-sdk's adapter) stay
  readable and are treated as revision 0.
- Optimistic concurrency: a save is a ``PutItem`` conditioned on the revision this request read.
  If another request wrote first, the save re-reads, merges through the ``merge`` hook and
  retries a bounded number of times. Only GetItem, PutItem and DeleteItem are used (the IAM
  role in serverless.yml grants no more).
- Faults degrade: a failed read is "a new person", a failed write is logged, never raised.

boto3 is imported only inside :func:`dynamo_adapter`, so importing this module stays cheap (and
works where the ``aws`` extra is not installed).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence import LOGGER_NAME, log_fault, request_id, user_key_or_log
from skill.persistence.sqlite import Attributes, MergeHook, _encode, _Read, _Reads
from skill.progress import progress_merge

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(LOGGER_NAME)

TABLE_ENV = "DYNAMODB_TABLE"
PARTITION_KEY = "id"  # must match the table in serverless.yml
ATTRIBUTES = "attributes"  # ask-sdk DynamoDbAdapter's default attribute_name
REVISION = "revision"
STORE = "dynamodb"
CONFLICT_CODE = "ConditionalCheckFailedException"
_UNREADABLE = object()  # stored attributes that are a map, yet not one the skill can use


def dynamo_adapter(
    table_name: str | None = None,
    *,
    dynamodb_resource: Any = None,
    merge: MergeHook = progress_merge,
    max_attempts: int = 5,
    max_tracked_requests: int = 1_024,
) -> AbstractPersistenceAdapter:
    """A DynamoDB-backed adapter for the table ``table_name`` (default: ``$DYNAMODB_TABLE``).

    The table must exist (the deployment owns it). Items are keyed by
    :func:`skill.persistence.user_key`, the same salted hash the SQLite store uses.
    """
    name = table_name or os.environ.get(TABLE_ENV)
    if not name:
        raise ValueError(f"no DynamoDB table: pass table_name or set {TABLE_ENV}")

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    try:
        resource = dynamodb_resource or boto3.resource("dynamodb")
    except NoRegionError as exc:
        raise RuntimeError(
            "DynamoDB needs an AWS region: set AWS_REGION or AWS_DEFAULT_REGION"
        ) from exc
    return DynamoPersistenceAdapter(
        # The resource's client: thread-safe (boto3 resources are documented as not), and it
        # still converts between Python values and DynamoDB's typed ones.
        resource.meta.client,
        name,
        faults=(BotoCoreError, ClientError),
        merge=merge,
        max_attempts=max_attempts,
        max_tracked_requests=max_tracked_requests,
    )


class DynamoPersistenceAdapter(AbstractPersistenceAdapter):
    """ask-sdk-core persistence adapter over one DynamoDB table; see the module docstring.

    ``client`` is a boto3 DynamoDB resource's ``meta.client``: it takes and returns plain Python
    values (``Decimal`` for numbers) rather than DynamoDB's typed ones.

    Converts between DynamoDB's ``Decimal`` numbers and the plain ints/floats the skill's
    JSON-shaped attributes use.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        faults: tuple[type[BaseException], ...],
        merge: MergeHook = progress_merge,
        max_attempts: int = 5,
        max_tracked_requests: int = 1_024,
    ) -> None:
        self._client = client
        self._table = table_name
        self._faults = faults
        self._merge = merge
        self._max_attempts = max(1, int(max_attempts))
        self._reads = _Reads(max_tracked_requests)

    # -- AbstractPersistenceAdapter ------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, object]:
        key = user_key_or_log(request_envelope, STORE, "get")
        if key is None:
            return {}
        rid = request_id(request_envelope)
        try:
            revision, stored = self._load(key)
        except self._faults as exc:
            log_fault(STORE, "get", "unavailable", exc)
            # Unreliable: the save must merge with whatever is stored rather than overwrite it.
            self._reads.remember(rid, key, _Read(None, "{}", reliable=False))
            return {}
        if revision is not None and stored is None:
            # Reported as ask-sdk's adapter did (its KeyError surfaced as "unavailable").
            log_fault(STORE, "get", "unavailable")
        elif revision is not None and not isinstance(stored, dict):
            log_fault(STORE, "get", "corrupt_record")
        if not isinstance(stored, dict):
            # This person's own item is replaced by their next save; no other is touched.
            self._reads.remember(rid, key, _Read(revision, "{}"))
            return {}
        self._reads.remember(rid, key, _Read(revision, _encode(stored)))
        return stored

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        key = user_key_or_log(request_envelope, STORE, "save")
        if key is None:
            return
        try:
            # A JSON round trip turns tuples into lists and refuses NaN, as SQLite's store does.
            mine: dict[str, object] = json.loads(_encode(attributes))
        except (TypeError, ValueError) as exc:
            log_fault(STORE, "save", "not_json", exc)
            return
        rid = request_id(request_envelope)
        read = self._reads.get(rid, key)
        try:
            written = self._write(key, read, mine)
        except self._faults as exc:
            log_fault(STORE, "save", "unavailable", exc)
            return
        except Exception as exc:  # a failing merge hook must not cost the person their reply
            log_fault(STORE, "save", "merge_failed", exc)
            return
        if written is None:
            log_fault(STORE, "save", "conflict")
            return
        self._reads.remember(rid, key, written)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = user_key_or_log(request_envelope, STORE, "delete")
        if key is None:
            return
        try:
            self._client.delete_item(TableName=self._table, Key={PARTITION_KEY: key})
        except self._faults as exc:
            log_fault(STORE, "delete", "unavailable", exc)
            return
        self._reads.remember(request_id(request_envelope), key, _Read(None, "{}"))

    # -- internals -----------------------------------------------------------------------------

    def _load(self, key: str) -> tuple[int | None, object]:
        """``(revision, attributes)`` stored now: revision ``None`` when there is no item.

        Attributes are plain values, ``None`` when the item has none; a non-dict means corrupt.
        """
        response = self._client.get_item(
            TableName=self._table, Key={PARTITION_KEY: key}, ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return None, None
        revision = _revision(item.get(REVISION))
        if item.get(ATTRIBUTES) is None:
            return revision, None
        value = _from_dynamo(item[ATTRIBUTES])
        if isinstance(value, dict):
            try:
                return revision, json.loads(_encode(value))
            except (TypeError, ValueError):  # e.g. binary values no JSON can hold
                return revision, _UNREADABLE
        return revision, value

    def _write(self, key: str, read: _Read | None, mine: dict[str, object]) -> _Read | None:
        """Write ``mine`` (merged if needed); the new read, or ``None`` after too many conflicts."""
        if read is not None and read.reliable:
            expected, text = read.revision, _encode(mine)
        else:
            # No usable read: learn the stored revision so the write still bumps it atomically.
            expected, text = self._resolve(key, read, mine)
        for attempt in range(self._max_attempts):
            if attempt:
                expected, text = self._resolve(key, read, mine)
            if self._put(key, text, expected):
                return _Read((expected or 0) + 1, text)
        return None

    def _resolve(
        self, key: str, read: _Read | None, mine: dict[str, object]
    ) -> tuple[int | None, str]:
        """The stored revision and what to write over it, merging where this request read."""
        revision, stored = self._load(key)
        if read is None:
            return revision, _encode(mine)  # no read in this request: last writer wins
        theirs = stored if isinstance(stored, dict) else {}
        base = json.loads(read.text) if read.reliable else {}
        merged = _encode(self._merge(base, theirs, mine))
        log.info(
            "persistence merged a concurrent update",
            extra={"event": "persistence.merged", "store": STORE},
        )
        return revision, merged

    def _put(self, key: str, text: str, expected: int | None) -> bool:
        """Write if the stored revision is still ``expected``; ``False`` if it is not."""
        item = {
            PARTITION_KEY: key,
            ATTRIBUTES: json.loads(text, parse_float=Decimal),  # boto3 rejects floats
            REVISION: (expected or 0) + 1,
        }
        values: dict[str, Any] = {}
        if expected is None:
            condition, names = "attribute_not_exists(#id)", {"#id": PARTITION_KEY}
        elif expected == 0:  # an item from before revisions (or with a non-numeric one)
            condition = (
                "attribute_exists(#id)"
                " AND (attribute_not_exists(#rev) OR NOT attribute_type(#rev, :number))"
            )
            names = {"#id": PARTITION_KEY, "#rev": REVISION}
            values = {":number": "N"}
        else:
            condition, names = "#rev = :read", {"#rev": REVISION}
            values = {":read": expected}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except self._faults as exc:
            if _error_code(exc) == CONFLICT_CODE:
                return False
            raise
        return True


def _revision(value: object) -> int:
    # Only this module writes revisions (1, 2, ...). A missing or non-numeric one reads as 0, an
    # item from before revisions; a hand-written number that is not a positive integer is not
    # expected and would make saves for that one person end as logged conflicts.
    if isinstance(value, Decimal) and value == value.to_integral_value() and value > 0:
        return int(value)
    return 0


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _from_dynamo(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_from_dynamo(v) for v in value]
    return value
