"""Where progress is kept, as one URL: the same parser for ``serve --store`` and Lambda.

- ``sqlite:///var/progress.sqlite3`` (relative path) or ``sqlite:////var/lib/wp/p.sqlite3``
  (absolute: four slashes, as SQLAlchemy spells it): the embedded store, one file.
- ``dynamodb://table-name`` or ``dynamodb://table-name?region=eu-west-1``: a DynamoDB table
  laid out as ask-sdk's DynamoDbAdapter lays it out (partition key ``id``), so several servers,
  or Lambda and servers, can share it.

Parsing is pure (no boto3 import); :func:`open_store` builds the adapter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

STORE_ENV = "WORKOUT_PLANNER_STORE"
TABLE_ENV = "DYNAMODB_TABLE"
#: DynamoDB's own rule for table names.
_TABLE = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
EXAMPLES = "sqlite:///var/progress.sqlite3 or dynamodb://table-name?region=eu-west-1"


class StoreUrlError(ValueError):
    """A store URL that names no usable store; ``str()`` says why, without echoing secrets."""


@dataclass(frozen=True)
class StoreUrl:
    kind: str  # "sqlite" | "dynamodb"
    path: Path | None = None  # sqlite
    table: str | None = None  # dynamodb
    region: str | None = None  # dynamodb; None: the AWS default chain

    def __str__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return f"dynamodb://{self.table}" + (f"?region={self.region}" if self.region else "")


def parse_store_url(text: str) -> StoreUrl:
    """Parse a store URL, or raise :class:`StoreUrlError` saying what is wrong."""
    parts = urlsplit(text.strip())
    if parts.scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise StoreUrlError(f"a SQLite store is sqlite:///<file>, e.g. {EXAMPLES}")
        if parts.query or parts.fragment:
            raise StoreUrlError("a SQLite store URL takes no ?options")
        return StoreUrl("sqlite", path=Path(parts.path[1:]))
    if parts.scheme == "dynamodb":
        if parts.path not in ("", "/") or parts.fragment or "@" in parts.netloc:
            raise StoreUrlError(
                f"a DynamoDB store is dynamodb://<table>[?region=…], e.g. {EXAMPLES}"
            )
        if not _TABLE.fullmatch(parts.netloc):
            raise StoreUrlError("a DynamoDB table name is 3-255 of A-Z a-z 0-9 _ . -")
        options = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        unknown = sorted(set(options) - {"region"})
        if unknown:
            raise StoreUrlError(f"unknown DynamoDB store option(s): {', '.join(unknown)}")
        regions = options.get("region", [])
        if len(regions) > 1 or (regions and not _REGION.fullmatch(regions[0])):
            raise StoreUrlError("region must be one AWS region name, e.g. region=eu-west-1")
        return StoreUrl("dynamodb", table=parts.netloc, region=regions[0] if regions else None)
    raise StoreUrlError(f"unknown store; use {EXAMPLES}")


def lambda_store_url(environ: Mapping[str, str]) -> str:
    """Lambda's store: ``$WORKOUT_PLANNER_STORE``, else the table serverless.yml names."""
    if environ.get(STORE_ENV):
        return environ[STORE_ENV]
    table = environ.get(TABLE_ENV)
    if not table:
        raise StoreUrlError(f"no store: set {STORE_ENV} (e.g. {EXAMPLES}) or {TABLE_ENV}")
    return f"dynamodb://{table}"


def open_store(url: StoreUrl) -> AbstractPersistenceAdapter:
    """The persistence adapter for ``url``, merging concurrent writes so no update is lost."""
    from skill.progress import progress_merge

    if url.kind == "sqlite":
        from skill.persistence.sqlite import SQLitePersistenceAdapter

        assert url.path is not None
        url.path.parent.mkdir(parents=True, exist_ok=True)
        return SQLitePersistenceAdapter(url.path, merge=progress_merge)
    from skill.persistence.dynamo import dynamo_adapter

    return dynamo_adapter(url.table, region=url.region, merge=progress_merge)
