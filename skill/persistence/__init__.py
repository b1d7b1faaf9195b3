"""Where a person's progress is kept: SQLite on the web host, DynamoDB on Lambda.

Both stores key a record by a salted SHA-256 of the Alexa user id, never the id itself. When
Alexa recognised the speaker's voice (``context.System.person.personId``), the record is that
person's: the account's key, ``:``, and a salted SHA-256 of the person id. A request without a
person id keys the account's own record, so neither ever reads the other's. Both stores
degrade the same way: a fault on read means "a new person", a fault on write is logged and the
reply is still sent. Nothing here logs a user id or an attribute value.

This module stays cheap to import; the adapters live in ``.sqlite`` and ``.dynamo``.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from typing import TYPE_CHECKING

from skill.progress import progress_merge

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

__all__ = [
    "LOGGER_NAME",
    "PERSON_SEPARATOR",
    "MissingUserId",
    "error_code",
    "hash_person_id",
    "hash_user_id",
    "log_fault",
    "person_key_range",
    "progress_merge",
    "record_key",
    "request_id",
    "user_key",
]

LOGGER_NAME = "skill.persistence"
log = logging.getLogger(LOGGER_NAME)

# A constant, app-specific salt: the same person maps to the same key across deployments and
# stores, yet the key is useless for matching against other skills' data or the raw id.
_KEY_SALT = b"workout-planner/user-key/v1\x00"
_PERSON_SALT = b"workout-planner/person-key/v1\x00"
#: Between an account's key and a person's within it (never in a hex digest).
PERSON_SEPARATOR = ":"


class MissingUserId(LookupError):
    """The request envelope carries no user id to key the person by."""


def hash_user_id(user_id: str) -> str:
    """The storage key for an Alexa user id: salted SHA-256, hex.

    ``surrogatepass``: JSON can carry lone surrogates (``"\\ud800"``), which strict UTF-8
    refuses; any id, however odd, still maps to one key of its own.
    """
    return hashlib.sha256(_KEY_SALT + user_id.encode("utf-8", "surrogatepass")).hexdigest()


def hash_person_id(person_id: str) -> str:
    """The person part of a record key: salted SHA-256 of the person id, hex."""
    return hashlib.sha256(_PERSON_SALT + person_id.encode("utf-8")).hexdigest()


def person_key_range(account: str) -> tuple[str, str]:
    """``(low, high)``: every person key of ``account`` sorts in ``low <= key < high``."""
    low = account + PERSON_SEPARATOR
    return low, account + chr(ord(PERSON_SEPARATOR) + 1)


def record_key(request_envelope: RequestEnvelope) -> str:
    """The key of the record this request reads and writes: the person's, else the account's."""
    account = user_key(request_envelope)
    person = getattr(getattr(request_envelope, "context", None), "system", None)
    person_id = getattr(getattr(person, "person", None), "person_id", None)
    if isinstance(person_id, str) and person_id:
        return account + PERSON_SEPARATOR + hash_person_id(person_id)
    return account


def user_key(request_envelope: RequestEnvelope) -> str:
    """The storage key for the account making this request (every person under it included).

    Uses ``context.System.user.userId``, falling back to ``session.user.userId``.
    """
    for path in (("context", "system", "user"), ("session", "user")):
        node: object = request_envelope
        for name in path:
            node = getattr(node, name, None)
        user_id = getattr(node, "user_id", None)
        if isinstance(user_id, str) and user_id:
            return hash_user_id(user_id)
    raise MissingUserId("request envelope has no user id")


def user_key_or_log(
    request_envelope: RequestEnvelope, store: str, operation: str, *, account: bool = False
) -> str | None:
    """:func:`record_key` (or with ``account``, :func:`user_key`), or ``None`` after logging
    the fault: a store then skips the operation."""
    try:
        return user_key(request_envelope) if account else record_key(request_envelope)
    except MissingUserId as exc:
        log_fault(store, operation, "no_user_id", exc)
        return None


def request_id(request_envelope: RequestEnvelope) -> str | None:
    """The Alexa request id, when present (used to pair a read with its later write)."""
    value = getattr(getattr(request_envelope, "request", None), "request_id", None)
    return value if isinstance(value, str) and value else None


def log_fault(
    store: str,
    operation: str,
    reason: str,
    exc: BaseException | None = None,
    *,
    severe: bool = False,
) -> None:
    """One structured line for a storage fault: kinds and codes only, never ids or values.

    A write that was lost (a failed save or delete), or a ``severe`` fault, is an error;
    anything else a warning.
    """
    extra: dict[str, object] = {
        "event": f"persistence.{operation}_failed",
        "store": store,
        "operation": operation,
        "reason": reason,
    }
    if exc is not None:
        extra["error_type"] = type(exc).__name__
        # Error codes (SQLITE_BUSY, ENOENT, ResourceNotFoundException) say what went wrong
        # without echoing data the way some exception messages can.
        code = error_code(exc)
        if code:
            extra["error_code"] = code
    lost = operation in ("save", "delete", "forget") and reason != "no_user_id"
    log.log(
        logging.ERROR if lost or severe else logging.WARNING,
        "persistence %s failed (%s) in %s",
        operation,
        reason,
        store,
        extra=extra,
    )
    from skill import metrics  # imported here: this module stays cheap to import

    metrics.store_fault(store, operation, reason)


def error_code(exc: BaseException) -> str | None:
    """SQLITE_BUSY, file_missing, ENOENT, ResourceNotFoundException...: what went wrong."""
    code = getattr(exc, "sqlite_errorname", None)
    return code if isinstance(code, str) else (_own_code(exc) or _errno_name(exc) or _aws_code(exc))


def _own_code(exc: BaseException) -> str | None:
    # The stores' own faults (StoreUnavailable: file_missing, file_replaced...) name themselves.
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else None


def _errno_name(exc: BaseException) -> str | None:
    number = getattr(exc, "errno", None)
    return errno.errorcode.get(number) if isinstance(number, int) else None


def _aws_code(exc: BaseException | None) -> str | None:
    # ask_sdk_dynamodb re-raises botocore errors as PersistenceException, keeping the original
    # only as __context__.
    for _ in range(3):
        if exc is None:
            return None
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            return str(code) if code else None
        exc = exc.__context__
    return None
