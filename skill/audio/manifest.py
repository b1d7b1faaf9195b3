"""``audio/manifest.json``: which MP3 file speaks which cue, in which locale.

Every locale lists every cue of its bundle under its own id (``en-GB/prompt.chest_pain``), each
pointing at a file; each file is described once (what it says, its engine, hash and duration)
and shared by every locale whose cue says the same::

    {"version": 2,
     "files": {"prompt-chest_pain-2dff2e5798c5.mp3": {"text": ..., "engine": ..., ...}},
     "cues": {"en-US/prompt.chest_pain": "prompt-chest_pain-2dff2e5798c5.mp3",
              "en-CA/prompt.chest_pain": "prompt-chest_pain-2dff2e5798c5.mp3", ...}}

Standard library only: the web server imports this module to look cues up at runtime.
The file is written atomically (temporary file + ``os.replace``) with sorted keys, so a reader
never sees half a manifest and rebuilding identical content leaves it byte-for-byte unchanged.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
#: 1 keyed the base's cues without a locale; 2 keys every locale's cues and describes files once.
FORMAT_VERSION = 2
REBUILD_HINT = "run: workout-planner audio build"

#: File names are served in URLs and joined to the audio directory: no path separators.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.mp3$")
_HEX_HASH = re.compile(r"^[0-9a-f]{64}$")
_CUE_KEY = re.compile(r"^[a-z]{2,3}-[A-Z]{2}/[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


def cue_key(locale: str, cue_id: str) -> str:
    """A cue's id in the manifest: its locale and its id in the content (``en-GB/prompt.x``)."""
    return f"{locale}/{cue_id}"


def split_key(key: str) -> tuple[str, str]:
    """``en-GB/prompt.x`` -> ``("en-GB", "prompt.x")``."""
    locale, _, cue_id = key.partition("/")
    return locale, cue_id


class ManifestError(ValueError):
    """The manifest file is unreadable or malformed; the message names the file and field."""


@dataclass(frozen=True)
class CueFile:
    """One MP3 file of the audio directory, as the manifest describes it."""

    #: Name of the MP3 file, relative to the manifest's directory.
    file: str
    #: What the file says, as rendered.
    text: str
    duration_seconds: float
    #: The fingerprint of the speech engine and its settings that rendered the file.
    engine: str
    #: sha256 (hex) over the cue's content, the engine fingerprint and the encoder settings.
    hash: str


class Manifest(Mapping[str, CueFile]):
    """Cue key (``<locale>/<id>``) -> the file that speaks it; ``files`` describes each file."""

    def __init__(self, cues: Mapping[str, str], files: Mapping[str, CueFile]) -> None:
        unknown = sorted(set(cues.values()) - set(files))
        if unknown:
            raise ManifestError(f"cues name files the manifest does not describe: {unknown}")
        self.cues = dict(cues)
        self.files = dict(files)

    def __getitem__(self, key: str) -> CueFile:
        return self.files[self.cues[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.cues)

    def __len__(self) -> int:
        return len(self.cues)

    def locales(self) -> list[str]:
        return sorted({split_key(key)[0] for key in self.cues})

    def keys_of(self, file: str) -> list[str]:
        """The cue keys a file speaks for, sorted."""
        return sorted(key for key, name in self.cues.items() if name == file)


_STR_FIELDS = ("text", "engine", "hash")


def load_manifest(path: Path) -> Manifest:
    """Read a manifest written by :func:`write_manifest`.

    Raises ``FileNotFoundError`` when there is no manifest, ``ManifestError`` (naming the file
    and the field) when it is broken or of another version.
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
            f"{path}: field 'version' must be {FORMAT_VERSION}, got {raw.get('version')!r} "
            f"(written by an older build; {REBUILD_HINT})"
        )
    files, cues = raw.get("files"), raw.get("cues")
    if not isinstance(files, dict):
        raise ManifestError(f"{path}: field 'files' must be an object of file name to file")
    if not isinstance(cues, dict):
        raise ManifestError(f"{path}: field 'cues' must be an object of cue id to file name")
    described = {name: _file(path, name, fields) for name, fields in files.items()}
    for key, name in cues.items():
        where = f"{path}: field 'cues', cue {key!r}"
        if not _CUE_KEY.match(key):
            raise ManifestError(f"{where}: cue ids are <locale>/<id>, as en-GB/prompt.welcome")
        if not isinstance(name, str) or name not in described:
            raise ManifestError(f"{where}: {name!r} is not a file of field 'files'")
    return Manifest(cues, described)


def _file(path: Path, name: str, fields: Any) -> CueFile:
    where = f"{path}: field 'files', file {name!r}"
    if not _FILE_NAME.match(name):
        raise ManifestError(f"{where}: file names are plain .mp3 file names")
    if not isinstance(fields, dict):
        raise ManifestError(f"{where}: the entry must be an object")
    for field_name in (*_STR_FIELDS, "duration_seconds"):
        if field_name not in fields:
            raise ManifestError(f"{where}: field {field_name!r} is missing")
    for field_name in _STR_FIELDS:
        if not isinstance(fields[field_name], str):
            raise ManifestError(f"{where}: field {field_name!r} must be a string")
    duration = fields["duration_seconds"]
    if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
        raise ManifestError(f"{where}: field 'duration_seconds' must be a non-negative number")
    if not _HEX_HASH.match(fields["hash"]):
        raise ManifestError(f"{where}: field 'hash' must be 64 lowercase hex digits")
    return CueFile(
        file=name,
        text=fields["text"],
        duration_seconds=float(duration),
        engine=fields["engine"],
        hash=fields["hash"],
    )


def dumps_manifest(cues: Mapping[str, CueFile]) -> str:
    """The manifest's exact text for cue key -> file: each file described once, keys sorted,
    indented, newline-terminated (stable across builds)."""
    described: dict[str, CueFile] = {}
    for key, found in cues.items():
        if described.setdefault(found.file, found) != found:
            raise ValueError(f"cue {key!r}: file {found.file} is described two ways")
    files = {
        name: {
            "text": found.text,
            "duration_seconds": round(found.duration_seconds, 3),
            "engine": found.engine,
            "hash": found.hash,
        }
        for name, found in described.items()
    }
    mapping = {key: found.file for key, found in cues.items()}
    document = {"version": FORMAT_VERSION, "files": files, "cues": mapping}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_manifest(path: Path, cues: Mapping[str, CueFile]) -> None:
    """Replace the manifest at ``path`` atomically: readers see the old file or the new one."""
    write_atomically(Path(path), dumps_manifest(cues).encode("utf-8"))


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
