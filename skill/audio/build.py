"""Render cues to MP3 files and ``manifest.json``, re-rendering only what changed.

A cue's file name carries a hash of everything that shapes its audio, so an unchanged cue is
recognised from the manifest and the file's existence alone (no decoding), and a changed one
gets a new file. The manifest is replaced only after every cue rendered: a failure part-way
leaves the previous manifest, and the files it names, untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from skill.audio import versions
from skill.audio.manifest import (
    MANIFEST_NAME,
    ManifestEntry,
    ManifestError,
    cue_key,
    dumps_manifest,
    load_manifest,
    write_atomically,
)
from skill.audio.mp3check import MAX_SECONDS, scan_frames
from skill.cues import CueSpec

if TYPE_CHECKING:
    from skill.audio.engines import Engine, Pcm

log = logging.getLogger(__name__)

#: Dotted ids of letters, digits and underscores: dots become dashes in file names, unambiguously.
_CUE_ID = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


class BuildError(RuntimeError):
    """A cue could not be rendered; the message names the cue."""


@dataclass
class BuildReport:
    rendered: list[str] = field(default_factory=list)  # cue ids
    kept: list[str] = field(default_factory=list)  # cue ids
    removed: list[str] = field(default_factory=list)  # file names
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"rendered {len(self.rendered)}, kept {len(self.kept)}, "
            f"removed {len(self.removed)} in {self.seconds:.2f} s"
        )


def cue_hash(cue: CueSpec, engine_fingerprint: str) -> str:
    """sha256 (hex) of what the cue's audio depends on."""
    parts: list[object] = [cue.text, cue.hold_seconds, cue.chime, engine_fingerprint]
    parts.append(versions.RENDER)
    if cue.counts:  # only then: cues without spoken counts keep the hashes they had
        parts.append([list(cue.counts), versions.SPOKEN_COUNTS])
    payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def cue_file_name(cue_id: str, digest: str) -> str:
    return f"{cue_id.replace('.', '-')}-{digest[:12]}.mp3"


def validate_cues(cues: Iterable[CueSpec]) -> None:
    """Raise BuildError for cues that cannot become files (bad id, duplicate, empty text)."""
    seen: set[str] = set()
    for cue in cues:
        if not _CUE_ID.match(cue.id):
            raise BuildError(f"cue {cue.id!r}: ids are dotted words of letters, digits, _")
        if cue.id in seen:
            raise BuildError(f"cue {cue.id!r} appears twice")
        seen.add(cue.id)
        if not cue.text.strip():
            raise BuildError(f"cue {cue.id!r}: the text is empty")
        hold = cue.hold_seconds
        if hold is not None and (isinstance(hold, bool) or not isinstance(hold, int) or hold < 1):
            raise BuildError(f"cue {cue.id!r}: hold_seconds must be a whole number >= 1")
        if cue.counts and (not hold or len(cue.counts) >= hold):
            raise BuildError(f"cue {cue.id!r}: counts need a hold longer than them")
        if any(not word.strip() for word in cue.counts):
            raise BuildError(f"cue {cue.id!r}: a count is empty")


@dataclass(frozen=True)
class LocaleCues:
    """A locale's cues whose text differs from the base's, and the engine (accent) for them."""

    locale: str
    cues: list[CueSpec]
    engine: Engine


def own_cues(base: Iterable[CueSpec], cues: Iterable[CueSpec]) -> list[CueSpec]:
    """The cues of a locale that need their own file: the others share the base's."""
    shared = set(base)
    return [cue for cue in cues if cue not in shared]


def build(
    cues: list[CueSpec],
    out_dir: Path,
    engine: Engine,
    *,
    progress: bool = True,
    jobs: int = 1,
    locales: Iterable[LocaleCues] = (),
    keep_locales: Iterable[str] = (),
) -> BuildReport:
    """Bring ``out_dir`` (MP3 files + manifest.json) up to date with ``cues``.

    ``cues`` are the shared base's, rendered with ``engine``; each of ``locales`` adds its own
    cues (keyed ``<locale>/<id>``), rendered with its own engine. Entries of ``keep_locales``
    are carried over from the previous manifest as they are (a build of some locales only).
    ``jobs`` cues render at once, in threads sharing an engine (which must allow it, as the
    engines in :mod:`skill.audio.engines` and :mod:`skill.audio.piper_engine` do).
    """
    started = time.perf_counter()
    groups = [LocaleCues("", cues, engine), *locales]
    for group in groups:
        validate_cues(group.cues)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    previous = _previous_entries(manifest_path)
    report = BuildReport()
    entries: dict[str, ManifestEntry] = {}
    kept = tuple(f"{locale}/" for locale in keep_locales)
    for key, old in previous.items():
        if kept and key.startswith(kept) and (out_dir / old.file).is_file():
            entries[key] = old
            report.kept.append(key)
    for group in groups:
        _build_group(group, out_dir, previous, entries, report, progress, jobs)

    text = dumps_manifest(entries.values())
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        write_atomically(manifest_path, text.encode("utf-8"))
    wanted = {entry.file for entry in entries.values()}
    for stale in sorted(out_dir.glob("*.mp3")):
        if stale.name not in wanted:
            stale.unlink()
            report.removed.append(stale.name)
    report.seconds = time.perf_counter() - started
    return report


def _build_group(
    group: LocaleCues,
    out_dir: Path,
    previous: Mapping[str, ManifestEntry],
    entries: dict[str, ManifestEntry],
    report: BuildReport,
    progress: bool,
    jobs: int,
) -> None:
    engine, locale = group.engine, group.locale or None
    fingerprint = engine.fingerprint
    todo: list[tuple[CueSpec, str]] = []
    for cue in group.cues:
        key = cue_key(locale, cue.id)
        digest = cue_hash(cue, fingerprint)
        name = cue_file_name(cue.id, digest)
        old = previous.get(key)
        # Unchanged: the manifest says so and the file is there (no need to decode it).
        unchanged = old is not None and old.hash == digest and old.file == name
        if old is not None and unchanged and (out_dir / name).is_file():
            entries[key] = old
            report.kept.append(key)
            continue
        adopted = _adopt(out_dir / name, cue, fingerprint, digest)
        if adopted is not None:
            entries[key] = replace(adopted, id=key)
            report.kept.append(key)
        else:
            todo.append((cue, digest))

    # The counts sound the same in every hold: spoken once per build.
    words = sorted({word for cue, _ in todo for word in cue.counts})
    counts = {word: engine.synthesize(word) for word in words}
    show = progress and sys.stderr.isatty() and len(todo) > 1
    with tqdm(total=len(todo), desc="Rendering cues", unit="cue", disable=not show) as bar:
        for entry in _render_all(todo, fingerprint, out_dir, engine, counts, jobs):
            key = cue_key(locale, entry.id)
            entries[key] = replace(entry, id=key)
            bar.update()
    report.rendered += [cue_key(locale, cue.id) for cue, _ in todo]


def _render_all(
    todo: list[tuple[CueSpec, str]],
    fingerprint: str,
    out_dir: Path,
    engine: Engine,
    counts: Mapping[str, Pcm],
    jobs: int,
) -> Iterator[ManifestEntry]:
    """Render every cue of ``todo``, yielding each entry as it is done.

    The first failure stops the build: cues not yet started are cancelled, those under way
    finish (their files are adopted by the next build), and the error propagates as it is.
    """
    if jobs <= 1 or len(todo) <= 1:
        for cue, digest in todo:
            yield _render(cue, digest, fingerprint, out_dir, engine, counts)
        return
    pool = ThreadPoolExecutor(max_workers=min(jobs, len(todo)), thread_name_prefix="cue")
    try:
        pending: set[Future[ManifestEntry]] = {
            pool.submit(_render, cue, digest, fingerprint, out_dir, engine, counts)
            for cue, digest in todo
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _previous_entries(manifest_path: Path) -> dict[str, ManifestEntry]:
    try:
        return load_manifest(manifest_path)
    except FileNotFoundError:
        return {}
    except ManifestError as exc:
        # Rebuilding replaces it; files whose names still match are adopted, not re-rendered.
        log.warning("ignoring the broken manifest: %s", exc)
        return {}


def _adopt(path: Path, cue: CueSpec, fingerprint: str, digest: str) -> ManifestEntry | None:
    """Reuse a file rendered by a build that failed later (its name proves its content).

    Files are written atomically, so one with the right name is complete; walking its frame
    headers gives the duration without decoding.
    """
    if not path.is_file():
        return None
    scan = scan_frames(path.read_bytes())
    if scan.problems or not scan.frames:
        return None
    return ManifestEntry(cue.id, path.name, cue.text, scan.duration_seconds, fingerprint, digest)


def _render(
    cue: CueSpec,
    digest: str,
    fingerprint: str,
    out_dir: Path,
    engine: Engine,
    counts: Mapping[str, Pcm],
) -> ManifestEntry:
    # Imported here: a build with nothing to render never loads numpy, scipy or LAME.
    from skill.audio.assemble import assemble
    from skill.audio.encode import SAMPLE_RATE, EncodingError, encode

    speech = engine.synthesize(cue.text)  # EngineUnavailable propagates as it is
    audio = assemble(cue, speech, [counts[word] for word in cue.counts])
    seconds = len(audio) / SAMPLE_RATE
    if seconds > MAX_SECONDS - 1:
        raise BuildError(f"cue {cue.id!r} would last {seconds:.0f} s; Alexa plays at most 240 s")
    try:
        encoded = encode(audio, SAMPLE_RATE)
    except (EncodingError, ValueError) as exc:
        raise BuildError(f"cue {cue.id!r}: {exc}") from exc
    name = cue_file_name(cue.id, digest)
    write_atomically(out_dir / name, encoded.data)
    return ManifestEntry(cue.id, name, cue.text, encoded.duration_seconds, fingerprint, digest)
