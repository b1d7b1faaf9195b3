"""``audio/manifest.json``: which MP3 file speaks which cue.

Standard library only: the web server imports this module to look cues up at runtime.
The file is written atomically (temporary file + ``os.replace``) with sorted keys, so a reader
never sees half a manifest and rebuilding identical content leaves it byte-for-byte unchanged.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1

#: File names are served in URLs and joined to the audio directory: no path separators.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.mp3$")
_HEX_HASH = re.compile(r"^[0-9a-f]{64}$")


def cue_key(locale: str | None, cue_id: str) -> str:
    """The manifest key of a cue: the bare id for the shared base, ``en-GB/prompt.x`` for a
    locale's own cue (one whose text differs from the base's; the others share the base's file).
    """
    return f"{locale}/{cue_id}" if locale else cue_id


class ManifestError(ValueError):
    """The manifest file is unreadable or malformed; the message names the file and field."""


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    #: Name of the MP3 file, relative to the manifest's directory.
    file: str
    #: What the cue says, as rendered.
    text: str
    duration_seconds: float
    #: The fingerprint of the speech engine and its settings that rendered the cue.
    engine: str
    #: sha256 (hex) over the cue's content, the engine fingerprint and the encoder settings.
    hash: str


_STR_FIELDS = ("file", "text", "engine", "hash")


def load_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Read a manifest written by :func:`write_manifest`, keyed by cue id.

    Raises ``FileNotFoundError`` when there is no manifest, ``ManifestError`` when it is broken.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc}") from exc
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: the manifest must be a JSON object")
    if raw.get("version") != FORMAT_VERSION:
        raise ManifestError(
            f"{path}: field 'version' must be {FORMAT_VERSION}, got {raw.get('version')!r}"
        )
    cues = raw.get("cues")
    if not isinstance(cues, dict):
        raise ManifestError(f"{path}: field 'cues' must be an object of cue id to entry")
    return {cue_id: _entry(path, cue_id, fields) for cue_id, fields in cues.items()}


def _entry(path: Path, cue_id: str, fields: Any) -> ManifestEntry:
    where = f"{path}: cue {cue_id!r}"
    if not isinstance(fields, dict):
        raise ManifestError(f"{where}: the entry must be an object")
    for name in (*_STR_FIELDS, "duration_seconds"):
        if name not in fields:
            raise ManifestError(f"{where}: field {name!r} is missing")
    for name in _STR_FIELDS:
        if not isinstance(fields[name], str):
            raise ManifestError(f"{where}: field {name!r} must be a string")
    duration = fields["duration_seconds"]
    if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
        raise ManifestError(f"{where}: field 'duration_seconds' must be a non-negative number")
    if not _FILE_NAME.match(fields["file"]):
        raise ManifestError(f"{where}: field 'file' must be a plain .mp3 file name")
    if not _HEX_HASH.match(fields["hash"]):
        raise ManifestError(f"{where}: field 'hash' must be 64 lowercase hex digits")
    return ManifestEntry(
        id=cue_id,
        file=fields["file"],
        text=fields["text"],
        duration_seconds=float(duration),
        engine=fields["engine"],
        hash=fields["hash"],
    )


def dumps_manifest(entries: Iterable[ManifestEntry]) -> str:
    """The manifest's exact text: sorted, indented, newline-terminated (stable across builds)."""
    cues = {
        entry.id: {
            "file": entry.file,
            "text": entry.text,
            "duration_seconds": round(entry.duration_seconds, 3),
            "engine": entry.engine,
            "hash": entry.hash,
        }
        for entry in entries
    }
    document = {"version": FORMAT_VERSION, "cues": cues}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_manifest(path: Path, entries: Iterable[ManifestEntry]) -> None:
    """Replace the manifest at ``path`` atomically: readers see the old file or the new one."""
    write_atomically(Path(path), dumps_manifest(entries).encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the files are served to the world
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
