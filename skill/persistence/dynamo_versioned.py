"""ask-sdk's DynamoDbAdapter, extended so concurrent writes for one person never lose an update.

Imported only by :func:`skill.persistence.dynamo.dynamo_adapter` (importing ask_sdk_dynamodb
builds a boto3 resource, which needs a region).

- Same table layout as the SDK's adapter: partition key ``id`` (from ``partition_keygen``, here
  :func:`skill.persistence.record_key`), the attributes under ``attributes``; plus a numeric
  ``revision``. Items the SDK's own adapter wrote (no revision) read as revision 0.
- A read remembers, per request, the revision it saw; the save is a ``PutItem`` conditioned on
  it. If another request wrote first (``ConditionalCheckFailedException``), the save re-reads,
  runs the same three-way merge the SQLite store uses, and tries again (a bounded number of
  times).
- A recognised person's item is listed in the account's people item (``<account>#people``, a
  string set), so :meth:`VersionedDynamoDbAdapter.forget_user` deletes every person without a
  scan.
- Replays count once: an item carries ``applied``, a map of the request keys that wrote it
  (skill.persistence.replay) to their expiry, rewritten by the same conditional PutItem; a
  write whose request is in it changes nothing. Expired keys are dropped as the map is
  rewritten, so it holds only the last few minutes' writers.
- Faults degrade: a failed read is "a new person", a failed write is logged, never raised.

Calls made: GetItem, PutItem, DeleteItem, and UpdateItem for the people item (the IAM role in
serverless.yml grants exactly these).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_dynamodb.adapter import DynamoDbAdapter
from botocore.exceptions import BotoCoreError, ClientError

from skill.persistence import (
    LOGGER_NAME,
    PERSON_SEPARATOR,
    log_fault,
    record_key,
    request_id,
    user_key_or_log,
)
from skill.persistence.dynamo import ATTRIBUTES, PARTITION_KEY, REVISION
from skill.persistence.reads import Attributes, MergeHook, RequestReads, StoredRead
from skill.persistence.reads import encode_attributes as _encode
from skill.persistence.replay import AppliedBy, AppliedRequest, Replay, applied_request
from skill.progress import progress_merge

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(LOGGER_NAME)

STORE = "dynamodb"
CONFLICT = "ConditionalCheckFailedException"
#: Suffix of the item listing an account's recognised people (never a record key: no ``:``).
PEOPLE_SUFFIX = "#people"
PEOPLE = "people"
APPLIED = "applied"
_FAULTS = (PersistenceException, BotoCoreError, ClientError)


class VersionedDynamoDbAdapter(DynamoDbAdapter):  # type: ignore[misc]
    """See the module docstring. Thread use: one adapter per thread (boto3 resources are not
    thread-safe); each gunicorn worker and each Lambda container has its own."""

    def __init__(
        self,
        table_name: str,
        *,
        dynamodb_resource: Any,
        merge: MergeHook = progress_merge,
        max_attempts: int = 5,
        max_tracked_requests: int = 1_024,
    ) -> None:
        super().__init__(
            table_name=table_name,
            partition_key_name=PARTITION_KEY,
            attribute_name=ATTRIBUTES,
            create_table=False,
            partition_keygen=record_key,
            dynamodb_resource=dynamodb_resource,
        )
        self._merge = merge
        self._max_attempts = max(1, int(max_attempts))
        self._reads = RequestReads(max_tracked_requests)
        self._applied_by = AppliedBy(max_tracked_requests)

    # -- AbstractPersistenceAdapter ------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, object]:
        key = user_key_or_log(request_envelope, STORE, "get")
        if key is None:
            return {}
        rid = request_id(request_envelope)
        try:
            read, attributes = self._load(key)
        except _FAULTS as exc:
            log_fault(STORE, "get", "unavailable", exc)
            # Unreliable: the save must merge with whatever is stored rather than overwrite it.
            self._reads.remember(rid, key, StoredRead(None, "{}", reliable=False))
            return {}
        self._reads.remember(rid, key, read)
        return attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        key = user_key_or_log(request_envelope, STORE, "save")
        if key is None:
            return
        try:
            mine = _plain(attributes)  # refuses NaN and what JSON cannot hold, as SQLite's does
        except (TypeError, ValueError) as exc:
            log_fault(STORE, "save", "not_json", exc)
            return
        rid = request_id(request_envelope)
        # A second save by the same request records nothing new; a replay is a new envelope.
        new = rid if request_envelope not in self._applied_by else None
        try:
            written = self.write(key, mine, base=self._reads.get(rid, key), rid=new)
        except Replay:
            log.info(
                "persistence ignored a request it had already applied",
                extra={"event": "persistence.replay_ignored", "store": STORE},
            )
            return
        except _FAULTS as exc:
            log_fault(STORE, "save", "unavailable", exc)
            return
        except Exception as exc:  # a failing merge hook must not cost the person their reply
            log_fault(STORE, "save", "merge_failed", exc)
            return
        if written is None:
            log_fault(STORE, "save", "conflict")
            return
        if new is not None:
            self._applied_by.add(request_envelope)
        self._reads.remember(rid, key, written)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = user_key_or_log(request_envelope, STORE, "delete")
        if key is None:
            return
        try:
            super().delete_attributes(request_envelope=request_envelope)
        except _FAULTS as exc:
            log_fault(STORE, "delete", "unavailable", exc)
            return
        self._reads.remember(request_id(request_envelope), key, StoredRead(None, "{}"))

    def forget_user(self, request_envelope: RequestEnvelope) -> None:
        """Delete every item of the account: its own, each recognised person's, the list."""
        account = user_key_or_log(request_envelope, STORE, "forget", account=True)
        if account is None:
            return
        table = self.dynamodb.Table(self.table_name)
        people_key = {PARTITION_KEY: account + PEOPLE_SUFFIX}
        try:
            item = table.get_item(Key=people_key, ConsistentRead=True).get("Item") or {}
            people = sorted(str(key) for key in item.get(PEOPLE) or ())
            for key in (*people, account):
                table.delete_item(Key={PARTITION_KEY: key})
            table.delete_item(Key=people_key)  # last: a failure above leaves it to retry with
        except _FAULTS as exc:
            log_fault(STORE, "forget", "unavailable", exc)

    # -- the conditional write -----------------------------------------------------------------

    def write(
        self,
        key: str,
        mine: dict[str, object],
        *,
        base: StoredRead | None,
        rid: str | None = None,
    ) -> StoredRead | None:
        """Write ``mine`` for record ``key`` on the condition that nobody wrote since ``base``.

        ``base`` is what this request read (``None``: nothing, so last writer wins). On a
        conflict: re-read, merge, retry. ``rid`` (the request id) is recorded in the item by
        the same write; if it already is, :class:`Replay` is raised and nothing is written.
        Returns what is now stored, or ``None`` when every attempt met a conflict. Raises
        boto3's errors.
        """
        record = applied_request(rid)
        mine_text = merged = _encode(mine)
        if base is None or not base.reliable or not base.current:
            expected, merged, applied = self._resolve(key, base, mine)
        else:
            expected, applied = base.revision, base.applied
        if expected is None and PERSON_SEPARATOR in key:
            self._list_person(key)  # before the item exists, so forget_user always finds it
        for attempt in range(self._max_attempts):
            if attempt:
                expected, merged, applied = self._resolve(key, base, mine)
            kept = _still_applied(applied, record)
            if self._put(key, merged, expected, kept):
                revision = (expected or 0) + 1
                if merged == mine_text:
                    return StoredRead(revision, mine_text, applied=kept)
                return StoredRead(revision, mine_text, current=False, applied=kept)
        return None

    def _resolve(
        self, key: str, base: StoredRead | None, mine: dict[str, object]
    ) -> tuple[int | None, str, tuple[tuple[str, float], ...]]:
        """The stored revision, what to write over it (merged where this request read), and
        the requests already applied to it."""
        now, _ = self._load(key)
        if base is None:
            return now.revision, _encode(mine), now.applied
        theirs = json.loads(now.text)
        merged = self._merge(json.loads(base.text) if base.reliable else {}, theirs, mine)
        log.info(
            "persistence merged a concurrent update",
            extra={"event": "persistence.merged", "store": STORE},
        )
        return now.revision, _encode(merged), now.applied

    def _put(
        self, key: str, text: str, expected: int | None, applied: tuple[tuple[str, float], ...]
    ) -> bool:
        """Write if the stored revision is still ``expected``; ``False`` if it is not."""
        item = {
            self.partition_key_name: key,
            self.attribute_name: json.loads(text, parse_float=Decimal),  # boto3 rejects floats
            REVISION: (expected or 0) + 1,
        }
        if applied:
            item[APPLIED] = {k: Decimal(str(round(until, 3))) for k, until in applied}
        # DynamoDB refuses expression names or values that the condition does not use.
        values: dict[str, Any] = {}
        if expected is None:
            condition, names = "attribute_not_exists(#id)", {"#id": self.partition_key_name}
        elif expected == 0:  # written by the SDK's own adapter, before revisions
            condition = "attribute_exists(#id) AND attribute_not_exists(#rev)"
            names = {"#id": self.partition_key_name, "#rev": REVISION}
        else:
            condition, names, values = "#rev = :read", {"#rev": REVISION}, {":read": expected}
        try:
            self.dynamodb.Table(self.table_name).put_item(
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == CONFLICT:
                return False
            raise
        return True

    def _load(self, key: str) -> tuple[StoredRead, dict[str, object]]:
        """What is stored for ``key`` now; a corrupt item reads as empty, logged."""
        response = self.dynamodb.Table(self.table_name).get_item(
            Key={self.partition_key_name: key}, ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return StoredRead(None, "{}"), {}
        revision = _revision(item.get(REVISION))
        applied = _applied(item.get(APPLIED))
        stored = item.get(self.attribute_name)
        attributes: dict[str, object] | None = None
        if isinstance(stored, Mapping):
            try:
                attributes = _plain({str(k): _from_dynamo(v) for k, v in stored.items()})
            except (TypeError, ValueError):  # e.g. binary values no JSON can hold
                attributes = None
        if attributes is None:
            # This person's own item is replaced by their next save; no other is touched.
            log_fault(STORE, "get", "corrupt_record")
            return StoredRead(revision, "{}", applied=applied), {}
        return StoredRead(revision, _encode(attributes), applied=applied), attributes

    def _list_person(self, key: str) -> None:
        account = key.split(PERSON_SEPARATOR, 1)[0]
        self.dynamodb.Table(self.table_name).update_item(
            Key={self.partition_key_name: account + PEOPLE_SUFFIX},
            UpdateExpression="ADD #people :key",
            ExpressionAttributeNames={"#people": PEOPLE},
            ExpressionAttributeValues={":key": {key}},
        )


def _applied(value: object) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping):
        return ()
    found = []
    for key, until in value.items():
        with contextlib.suppress(TypeError, ValueError, ArithmeticError):
            found.append((str(key), float(until)))
    return tuple(found)


def _still_applied(
    applied: tuple[tuple[str, float], ...], record: AppliedRequest | None
) -> tuple[tuple[str, float], ...]:
    """The unexpired requests in ``applied``, plus ``record``; Replay if it is among them."""
    now = time.time()
    kept = tuple((key, until) for key, until in applied if until > now)
    if record is None:
        return kept
    if any(key == record.key for key, _ in kept):
        raise Replay()
    return (*kept, (record.key, record.expires_at))


def _revision(value: object) -> int:
    # Only this module writes revisions (1, 2, ...): anything else reads as 0, an item the SDK's
    # own adapter wrote.
    if isinstance(value, Decimal) and value == value.to_integral_value() and value > 0:
        return int(value)
    return 0


def _plain(attributes: Attributes) -> dict[str, object]:
    """A JSON round trip: tuples become lists; NaN and non-JSON values raise."""
    value: dict[str, object] = json.loads(_encode(attributes))
    return value


def _from_dynamo(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_from_dynamo(v) for v in value]
    return value
