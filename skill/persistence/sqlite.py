"""The embedded store for the web deployment: one SQLite file shared by the gunicorn workers.

- WAL with ``synchronous=FULL``: a save is committed and fsynced before it returns. The log is
  bounded (``wal_autocheckpoint``, ``journal_size_limit``) so it cannot fill a small volume.
- ``busy_timeout`` of at most 1 s: a worker waits briefly for another's write, well inside
  Alexa's 8 s, and then gives up on the save rather than on the reply; while the lock is
  known to be held elsewhere, writes wait only 50 ms.
- Optimistic concurrency: each row has a ``revision``; a save whose read is stale merges with
  what is stored now (through the ``merge`` hook) instead of overwriting it.
- Replays count once: each write records its request id (``applied_requests``) in the same
  transaction, kept while a replay could pass verification; a request already applied
  changes nothing. Requests that write nothing record nothing.
- Faults degrade: a failed read is "a new person", a failed write is logged (at error level,
  with the SQLite error code), never raised.
- The store tells the truth: :meth:`~SQLitePersistenceAdapter.health` makes a real write
  (rolled back) within its own shorter timeout, and stays unhealthy for a minute after any
  fault. The file's device and inode are checked on every use: a replaced file is reopened
  after an error, a deleted one is never written into, and a new database is created only
  where this process never had one (the creation is logged).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence import (
    LOGGER_NAME,
    error_code,
    log_fault,
    person_key_range,
    request_id,
    user_key_or_log,
)
from skill.persistence.reads import Attributes, MergeHook, RequestReads, StoredRead
from skill.persistence.reads import encode_attributes as _encode
from skill.persistence.replay import AppliedBy, AppliedRequest, Replay, applied_request

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(LOGGER_NAME)

TABLE = "user_attributes"
APPLIED = "applied_requests"

#: How long a request waits for another writer before its save gives up.
BUSY_TIMEOUT_MS = 1_000
#: The health check's own, shorter wait for the write lock.
HEALTH_TIMEOUT_MS = 250
#: How long writes wait for the lock while another process is known to hold it.
CONTENDED_TIMEOUT_MS = 50
#: How long any fault keeps the store reported unhealthy.
FAULT_MEMORY_S = 60.0
#: The WAL is checkpointed every this many pages (~1 MiB), then truncated back to the limit.
WAL_AUTOCHECKPOINT_PAGES = 256
JOURNAL_SIZE_LIMIT_BYTES = 1 << 20
# The row the health check writes and rolls back: not a hex digest, so never a person's key.
_HEALTH_KEY = "health-check"
#: Expired replay records are swept, inside a write's own transaction, at most this often.
PRUNE_EVERY_S = 60.0


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
def _v3_applied_requests(conn: sqlite3.Connection) -> None:
    # One row per request that wrote, kept while a replay of it could pass verification.
    conn.execute(
        f"CREATE TABLE {APPLIED} ("
        " request_key TEXT PRIMARY KEY,"  # salted SHA-256 of the request id
        " expires_at REAL NOT NULL)"  # epoch seconds
        " WITHOUT ROWID"
    )
    conn.execute(f"CREATE INDEX {APPLIED}_expiry ON {APPLIED} (expires_at)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_create,
    _v2_revision,
    _v3_applied_requests,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreUnavailable(Exception):
    """The database cannot be used safely: ``code`` says why (``schema_newer``,
    ``file_missing``, ``file_replaced``)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


@dataclass(frozen=True)
class Health:
    """What :meth:`SQLitePersistenceAdapter.health` found; truthy when healthy."""

    ok: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.ok


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
            raise StoreUnavailable(
                "schema_newer", f"schema version {found} is newer than {SCHEMA_VERSION}"
            )
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
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        max_tracked_requests: int = 1_024,
    ) -> None:
        self.path = Path(path)
        self._merge: MergeHook = merge or mine_wins
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._reads = RequestReads(max_tracked_requests)
        self._applied_by = AppliedBy(max_tracked_requests)
        self._pruned_at = 0.0
        # Set when a write gave up on the lock, cleared by the next that gets it.
        self._contended = False
        self._local = threading.local()
        # Once a database was here, its absence is a fault, never a reason to start afresh.
        # Set before gunicorn forks (serve prepares the file first), so workers inherit it.
        self._known = self.path.exists()
        # (monotonic time, what failed): the last fault, shared by this process's threads.
        self._last_fault: tuple[float, str] | None = None

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
            self._failed("get", exc)
            self._reads.remember(rid, key, StoredRead(None, "{}", reliable=False))
            return {}
        if row is None:
            self._reads.remember(rid, key, StoredRead(None, "{}"))
            return {}
        text, revision = row
        attributes = _decode(text)
        if attributes is None:
            log_fault("sqlite", "get", "corrupt_record")
            # This person's own row will be overwritten by their next save; no other is touched.
            self._reads.remember(rid, key, StoredRead(revision, "{}"))
            return {}
        self._reads.remember(rid, key, StoredRead(revision, text))
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
        # A second save by the same request records nothing new; a replay is a new envelope.
        new = rid if request_envelope not in self._applied_by else None
        try:
            written = self.write(key, json.loads(mine), base=self._reads.get(rid, key), rid=new)
        except Replay:
            _log_replay("save")
            return
        except _DB_ERRORS as exc:
            self._failed("save", exc)
            return
        except Exception as exc:  # a failing merge hook must not cost the person their reply
            log_fault("sqlite", "save", "merge_failed", exc)
            return
        if new is not None:
            self._applied_by.add(request_envelope)
        self._reads.remember(rid, key, written)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = user_key_or_log(request_envelope, "sqlite", "delete")
        if key is None:
            return
        rid = request_id(request_envelope)
        new = rid if request_envelope not in self._applied_by else None
        try:
            with self._transaction() as conn:
                self._record(conn, applied_request(new))
                conn.execute(f"DELETE FROM {TABLE} WHERE user_key = ?", (key,))
        except Replay:
            _log_replay("delete")
            return
        except _DB_ERRORS as exc:
            self._failed("delete", exc)
            return
        if new is not None:
            self._applied_by.add(request_envelope)  # a later save in this request is its own
        self._reads.remember(rid, key, StoredRead(None, "{}"))

    def forget_user(self, request_envelope: RequestEnvelope) -> None:
        """Delete every record of the account: its own and each recognised person's."""
        account = user_key_or_log(request_envelope, "sqlite", "forget", account=True)
        if account is None:
            return
        low, high = person_key_range(account)
        # A skill event can be replayed for an hour: once the account is back, never again.
        applied = applied_request(request_id(request_envelope), skill_event=True)
        try:
            with self._transaction() as conn:
                self._record(conn, applied)
                conn.execute(
                    f"DELETE FROM {TABLE} WHERE user_key = ? OR (user_key >= ? AND user_key < ?)",
                    (account, low, high),
                )
        except Replay:
            _log_replay("forget")
        except _DB_ERRORS as exc:
            self._failed("forget", exc)

    # -- operations ----------------------------------------------------------------------------

    def health_check(self) -> bool:
        """True when :meth:`health` finds the store fit to serve."""
        return self.health().ok

    def health(self) -> Health:
        """Can serving write now, and has nothing failed in the last minute? (``/healthz``)

        A real write: the write lock (within ``HEALTH_TIMEOUT_MS``) and a row, rolled back.
        """
        try:
            conn = self._connection()
            conn.execute(f"PRAGMA busy_timeout = {HEALTH_TIMEOUT_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        f"INSERT OR REPLACE INTO {TABLE} (user_key, attributes, updated_at)"
                        " VALUES (?, '{}', ?)",
                        (_HEALTH_KEY, _now()),
                    )
                finally:
                    conn.execute("ROLLBACK")
            finally:
                conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        except _DB_ERRORS as exc:
            return Health(False, self._failed("health_check", exc))
        last = self._last_fault
        if last is not None and time.monotonic() - last[0] < FAULT_MEMORY_S:
            return Health(False, f"{last[1]} in the last {FAULT_MEMORY_S:.0f} s")
        return Health(True)

    def integrity_problem(self) -> str | None:
        """``PRAGMA quick_check`` (reads every page: for start-up, not per request)."""
        try:
            rows = self._connection().execute("PRAGMA quick_check").fetchall()
        except _DB_ERRORS as exc:
            return self._failed("integrity_check", exc)
        found = [str(row[0]) for row in rows]
        return None if found == ["ok"] else f"{len(found)} problem(s), e.g. {found[0][:80]}"

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

    def write(
        self,
        key: str,
        mine: dict[str, object],
        *,
        base: StoredRead | None,
        rid: str | None = None,
    ) -> StoredRead:
        """The one durable write: ``mine`` for record ``key``, in one transaction.

        ``base`` is what this request read (``None``: it read nothing, so last writer wins); if
        the record changed since, the three-way merge runs under the write lock. ``rid`` is the
        Alexa request id: it is recorded in this transaction (``applied_requests``), and if it
        was recorded before, :class:`Replay` is raised and nothing changes. Raises the
        database's errors (``save_attributes`` turns them into a logged fault).
        """
        read, mine_text = base, _encode(mine)
        # IMMEDIATE takes the write lock before reading, so the replay check, the revision
        # check and the write are one atomic step across processes.
        with self._transaction() as conn:
            self._record(conn, applied_request(rid))
            row = conn.execute(
                f"SELECT attributes, revision FROM {TABLE} WHERE user_key = ?", (key,)
            ).fetchone()
            stored_revision: int | None = row[1] if row else None
            text = mine_text
            # Without a read in this request there is no base: a blind write, last one wins.
            stale = read is not None and (
                not read.reliable or not read.current or read.revision != stored_revision
            )
            if read is not None and stale:
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
                (key, text, _now(), revision),
            )
        return (
            StoredRead(revision, mine_text, current=False) if stale else StoredRead(revision, text)
        )

    # -- internals -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (a replay included).

        After a write gave up waiting for the lock, the next ones wait only
        ``CONTENDED_TIMEOUT_MS`` until one succeeds: a lock held for long costs each queued
        request a moment, not a whole busy timeout each.
        """
        conn = self._connection()
        contended = self._contended
        if contended:
            conn.execute(f"PRAGMA busy_timeout = {CONTENDED_TIMEOUT_MS}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if contended:
            self._contended = False
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")

    def _record(self, conn: sqlite3.Connection, applied: AppliedRequest | None) -> None:
        """Inside the write's transaction: note the request, or raise :class:`Replay`."""
        if applied is None:
            return
        inserted = conn.execute(
            f"INSERT INTO {APPLIED} (request_key, expires_at) VALUES (?, ?)"
            " ON CONFLICT (request_key) DO NOTHING",
            (applied.key, applied.expires_at),
        ).rowcount
        if inserted == 0:
            raise Replay()
        now = time.time()
        if now - self._pruned_at >= PRUNE_EVERY_S:
            # In the same transaction: sweeping adds no commit (no fsync) of its own.
            self._pruned_at = now
            conn.execute(f"DELETE FROM {APPLIED} WHERE expires_at < ?", (now,))

    def _failed(self, operation: str, exc: BaseException) -> str:
        """Log and remember a fault; drop the connection, which may be stale. Returns why."""
        self._drop_connection()
        what = f"{operation} failed: {error_code(exc) or type(exc).__name__}"
        self._last_fault = (time.monotonic(), what)
        if error_code(exc) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            self._contended = True  # its connection is dropped; the next one waits less
        own = exc.code if isinstance(exc, StoreUnavailable) else None
        # A file deleted or replaced under a running service is an error whatever noticed it.
        severe = own in ("file_missing", "file_replaced")
        log_fault("sqlite", operation, "unavailable", exc, severe=severe)
        return what

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            self._check_file(self._local.identity)
            return conn
        self.close()  # a connection inherited across fork is set aside, not used
        conn, identity = self._open()
        self._local.conn, self._local.pid, self._local.identity = conn, os.getpid(), identity
        return conn

    def _check_file(self, identity: tuple[int, int]) -> None:
        """Raise unless the path still names the file this thread's connection has open."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            raise StoreUnavailable("file_missing", "the database file was deleted") from None
        if (found.st_dev, found.st_ino) != identity:
            # Writing on would go into the old file, which nothing reads any more.
            raise StoreUnavailable("file_replaced", "the database file was replaced")

    def _drop_connection(self) -> None:
        # After an error the connection may be stale (file replaced, lock state unknown);
        # the next call opens a fresh one.
        try:
            self.close()
        except sqlite3.Error:
            self._local.conn = None

    def _open(self) -> tuple[sqlite3.Connection, tuple[int, int]]:
        creating = not self._known and not self.path.exists()
        if creating:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # mode=rw never creates: a database that was here and is gone is a fault.
        uri = f"file:{quote(str(self.path.absolute()))}?mode={'rwc' if creating else 'rw'}"
        try:
            conn = sqlite3.connect(
                uri,
                uri=True,
                timeout=self._busy_timeout_ms / 1000,
                isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
                check_same_thread=False,  # used by one thread only, but closable from any
            )
        except sqlite3.OperationalError as exc:
            if not self.path.exists():
                raise StoreUnavailable("file_missing", "the database file is missing") from exc
            raise
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            if _user_version(conn) > SCHEMA_VERSION:
                # Checked before anything (even the journal mode) changes the file.
                raise StoreUnavailable("schema_newer", "schema is newer than this code")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning(
                    "persistence could not enable WAL",
                    extra={"event": "persistence.no_wal", "store": "sqlite", "mode": mode},
                )
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}")
            migrate(conn)
            found = os.stat(self.path)
        except BaseException:
            conn.close()
            raise
        if creating:
            log.info(
                "persistence created a new, empty database (first run)",
                extra={"event": "persistence.created", "store": "sqlite"},
            )
        self._known = True
        return conn, (found.st_dev, found.st_ino)


def _log_replay(operation: str) -> None:
    # Not a fault: Alexa retrying, or someone replaying a captured request; either way, once.
    log.info(
        "persistence ignored a request it had already applied",
        extra={"event": "persistence.replay_ignored", "store": "sqlite", "operation": operation},
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _decode(text: object) -> dict[str, object] | None:
    """The stored JSON object, or ``None`` if the record is corrupt."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
