"""The embedded store for the web deployment: one SQLite file shared by the gunicorn workers.

- WAL with ``synchronous=FULL``: a save is committed and fsynced before it returns.
- ``busy_timeout``: a worker waits for the other's write instead of failing.
- Optimistic concurrency: each row has a ``revision``; a save whose read is stale merges with
  what is stored now (through the ``merge`` hook) instead of overwriting it.
- Faults degrade: a failed read is "a new person", a failed write is logged, never raised.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence import LOGGER_NAME, log_fault, request_id, user_key_or_log

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(LOGGER_NAME)

Attributes = Mapping[str, object]
#: ``merge(base, theirs, mine)``: what this request read, what is stored now, what it writes.
MergeHook = Callable[[Attributes, Attributes, Attributes], Attributes]

TABLE = "user_attributes"


def mine_wins(base: Attributes, theirs: Attributes, mine: Attributes) -> dict[str, object]:
    """The default merge: last writer wins (the skill passes ``progress_merge`` instead)."""
    return dict(mine)


# -- schema ------------------------------------------------------------------------------------


def _v1_create(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE {TABLE} ("
        " user_key TEXT PRIMARY KEY,"  # salted SHA-256 of the user id, never the id
        " attributes TEXT NOT NULL,"  # JSON object
        " updated_at TEXT NOT NULL)"  # ISO 8601 UTC
    )


def _v2_revision(conn: sqlite3.Connection) -> None:
    conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")


#: Applied in order at open; ``PRAGMA user_version`` is how many have run. Append only.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1_create, _v2_revision)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreUnavailable(Exception):
    """The database cannot be used safely (e.g. its schema is newer than this code)."""


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`; safe with several processes at once."""
    if _user_version(conn) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = _user_version(conn)  # re-read under the lock: another worker may have done it
        if found > SCHEMA_VERSION:
            # Rolled back code must not write into a layout it does not know.
            raise StoreUnavailable(f"schema version {found} is newer than {SCHEMA_VERSION}")
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if found < SCHEMA_VERSION:
        log.info(
            "persistence schema migrated from %d to %d",
            found,
            SCHEMA_VERSION,
            extra={
                "event": "persistence.migrated",
                "from_version": found,
                "to_version": SCHEMA_VERSION,
            },
        )


# -- what each request read --------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    revision: int | None  # None: there was no row
    text: str  # the attributes as read (JSON), so later mutation by the handler cannot leak in
    reliable: bool = True  # False when the read failed: any stored row must be merged with


class _Reads:
    """A small bounded, thread-safe map of (request id, user key) -> what that request read."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, str], _Read] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, rid: str | None, key: str, read: _Read) -> None:
        if rid is None:
            return
        with self._lock:
            self._items[(rid, key)] = read
            self._items.move_to_end((rid, key))
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def get(self, rid: str | None, key: str) -> _Read | None:
        if rid is None:
            return None
        with self._lock:
            return self._items.get((rid, key))


# -- the adapter -------------------------------------------------------------------------------

_DB_ERRORS = (sqlite3.Error, OSError, StoreUnavailable)
# Connections inherited across a fork are never closed in the child: closing one there could
# checkpoint or unlock on the parent's behalf. They are only kept alive here.
_inherited: list[sqlite3.Connection] = []


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """ask-sdk-core persistence adapter over one SQLite file; see the module docstring."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        merge: MergeHook | None = None,
        busy_timeout_ms: int = 5_000,
        max_tracked_requests: int = 1_024,
    ) -> None:
        self.path = Path(path)
        self._merge: MergeHook = merge or mine_wins
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._reads = _Reads(max_tracked_requests)
        self._local = threading.local()

    # -- AbstractPersistenceAdapter ------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, object]:
        key = user_key_or_log(request_envelope, "sqlite", "get")
        if key is None:
            return {}
        rid = request_id(request_envelope)
        try:
            row = (
                self._connection()
                .execute(f"SELECT attributes, revision FROM {TABLE} WHERE user_key = ?", (key,))
                .fetchone()
            )
        except _DB_ERRORS as exc:
            self._drop_connection()
            log_fault("sqlite", "get", "unavailable", exc)
            self._reads.remember(rid, key, _Read(None, "{}", reliable=False))
            return {}
        if row is None:
            self._reads.remember(rid, key, _Read(None, "{}"))
            return {}
        text, revision = row
        attributes = _decode(text)
        if attributes is None:
            log_fault("sqlite", "get", "corrupt_record")
            # This person's own row will be overwritten by their next save; no other is touched.
            self._reads.remember(rid, key, _Read(revision, "{}"))
            return {}
        self._reads.remember(rid, key, _Read(revision, text))
        return attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        key = user_key_or_log(request_envelope, "sqlite", "save")
        if key is None:
            return
        try:
            mine = _encode(attributes)
        except (TypeError, ValueError) as exc:
            log_fault("sqlite", "save", "not_json", exc)
            return
        rid = request_id(request_envelope)
        read = self._reads.get(rid, key)
        try:
            written = self._write(key, read, json.loads(mine), mine)
        except _DB_ERRORS as exc:
            self._drop_connection()
            log_fault("sqlite", "save", "unavailable", exc)
            return
        except Exception as exc:  # a failing merge hook must not cost the person their reply
            log_fault("sqlite", "save", "merge_failed", exc)
            return
        self._reads.remember(rid, key, written)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = user_key_or_log(request_envelope, "sqlite", "delete")
        if key is None:
            return
        try:
            self._connection().execute(f"DELETE FROM {TABLE} WHERE user_key = ?", (key,))
        except _DB_ERRORS as exc:
            self._drop_connection()
            log_fault("sqlite", "delete", "unavailable", exc)
            return
        self._reads.remember(request_id(request_envelope), key, _Read(None, "{}"))

    # -- operations ----------------------------------------------------------------------------

    def health_check(self) -> bool:
        """True when the store answers a trivial query (for ``/healthz``)."""
        try:
            self._connection().execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchall()
        except _DB_ERRORS as exc:
            self._drop_connection()
            log_fault("sqlite", "health_check", "unavailable", exc)
            return False
        return True

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        if getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        else:
            _inherited.append(conn)

    # -- internals -----------------------------------------------------------------------------

    def _write(
        self, key: str, read: _Read | None, mine: dict[str, object], mine_text: str
    ) -> _Read:
        conn = self._connection()
        # IMMEDIATE takes the write lock before reading, so the revision check and the write
        # are one atomic step across processes.
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                f"SELECT attributes, revision FROM {TABLE} WHERE user_key = ?", (key,)
            ).fetchone()
            stored_revision: int | None = row[1] if row else None
            text = mine_text
            # Without a read in this request there is no base: a blind write, last one wins.
            if read is not None and (not read.reliable or read.revision != stored_revision):
                theirs = (_decode(row[0]) if row else None) or {}
                text = _encode(self._merge(json.loads(read.text), theirs, mine))
                log.info(
                    "persistence merged a concurrent update",
                    extra={"event": "persistence.merged", "store": "sqlite"},
                )
            revision = (stored_revision or 0) + 1
            conn.execute(
                f"INSERT INTO {TABLE} (user_key, attributes, updated_at, revision)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_key) DO UPDATE SET attributes = excluded.attributes,"
                " updated_at = excluded.updated_at, revision = excluded.revision",
                (key, text, datetime.now(UTC).isoformat(timespec="seconds"), revision),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return _Read(revision, text)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.close()  # a connection inherited across fork is set aside, not used
        conn = self._open()
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _drop_connection(self) -> None:
        # After an error the connection may be stale (file replaced, lock state unknown);
        # the next call opens a fresh one.
        try:
            self.close()
        except sqlite3.Error:
            self._local.conn = None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
            check_same_thread=False,  # used by one thread only, but closable from any
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            if _user_version(conn) > SCHEMA_VERSION:
                # Checked before anything (even the journal mode) changes the file.
                raise StoreUnavailable("schema is newer than this code")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning(
                    "persistence could not enable WAL",
                    extra={"event": "persistence.no_wal", "store": "sqlite", "mode": mode},
                )
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn


def _encode(attributes: Attributes) -> str:
    return json.dumps(dict(attributes), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _decode(text: object) -> dict[str, object] | None:
    """The stored JSON object, or ``None`` if the record is corrupt."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
