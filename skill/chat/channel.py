"""Where the console's requests go: the skill in this process, or a running server over HTTP."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from skill.settings import Settings

log = logging.getLogger("skill.chat")


class ChannelError(RuntimeError):
    """The skill could not be reached, or did not answer with a response envelope."""


class Channel(Protocol):
    #: What the console says about this channel when it starts (store, server, notes).
    notes: list[str]

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class InProcess:
    """The real skill, built here, with a SQLite store so progress features work.

    The store is ``db`` when given, else a file in a temporary directory removed on ``close``.
    Without the SQLite adapter (or the keeper) installed, progress stays in the session.
    """

    def __init__(self, settings: Settings, db: Path | None = None) -> None:
        from skill.factory import build_skill

        self.notes: list[str] = []
        self._tmp: str | None = None
        self._store: Any = None
        try:
            from skill.factory import sqlite_adapter

            if db is None:
                self._tmp = tempfile.mkdtemp(prefix="workout-planner-chat-")
                path = Path(self._tmp) / "progress.sqlite3"
            else:
                path = db
            self._store = sqlite_adapter(path)
            self.skill = build_skill(persistence=self._store, settings=settings)
            self.notes.append(f"progress store: {path}" + (" (temporary)" if db is None else ""))
        except ImportError as exc:  # a checkout without the store: the console still works
            self.close()
            self.skill = build_skill(settings=settings)
            self.notes.append(f"no progress store ({exc}); progress lasts one session")

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        from skill.factory import invoke

        return invoke(self.skill, envelope)

    def close(self) -> None:
        if self._store is not None and hasattr(self._store, "close"):
            self._store.close()
            self._store = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


class OverHttp:
    """POSTs each envelope as JSON to a running ``workout-planner serve --no-verify``.

    The console cannot sign requests the way Alexa does, so a server that verifies signatures
    answers 400; that is said plainly rather than shown as a skill reply.
    """

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.notes = [f"server: {url} (it must run with --no-verify)"]

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(envelope).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                payload = reply.read()
        except urllib.error.HTTPError as exc:
            hint = (
                " (is the server running with --no-verify?)" if exc.code in (400, 401, 403) else ""
            )
            raise ChannelError(f"{self.url} answered HTTP {exc.code}{hint}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ChannelError(f"cannot reach {self.url}: {exc}") from exc
        try:
            result = json.loads(payload)
        except ValueError as exc:
            raise ChannelError(f"{self.url} did not answer with JSON") from exc
        if not isinstance(result, dict):
            raise ChannelError(f"{self.url} did not answer with a response envelope")
        return result

    def close(self) -> None:
        return None
