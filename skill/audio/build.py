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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from skill.audio import versions
from skill.audio.manifest import (
    MANIFEST_NAME,
    CueFile,
    Manifest,
    ManifestError,
    cue_key,
    dumps_manifest,
    load_manifest,
    write_atomically,
)
from skill.audio.mp3check import MAX_SECONDS, scan_frames
from skill.content.model import DEFAULT_LOCALE
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
    rendered: list[str] = field(default_factory=list)  # file names
    kept: list[str] = field(default_factory=list)  # file names
    removed: list[str] = field(default_factory=list)  # file names
    #: Cue ids (``<locale>/<id>``) the manifest lists, and in how many locales.
    cues: int = 0
    locales: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"rendered {len(self.rendered)}, kept {len(self.kept)}, "
            f"removed {len(self.removed)} in {self.seconds:.2f} s "
            f"({self.cues} cues of {self.locales} locale(s) in "
            f"{len(self.rendered) + len(self.kept)} files)"
        )


def cue_hash(cue: CueSpec, engine_fingerprint: str) -> str:
    """sha256 (hex) of what the cue's audio depends on (not its locale: equal cues share a file)."""
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
    """Every cue of a locale's bundle, and the engine (accent) for those unlike the base's.

    ``engine`` None: this build renders nothing for the locale (a build of other locales only);
    its cues that are the base's follow the base, its own keep the files they had.
    """

    locale: str
    cues: list[CueSpec]
    engine: Engine | None


@dataclass
class _Plan:
    """What the manifest will say: cue key -> file name, each file described or to render."""

    out_dir: Path
    previous: Manifest | None
    keys: dict[str, str] = field(default_factory=dict)
    files: dict[str, CueFile] = field(default_factory=dict)
    todo: dict[str, tuple[CueSpec, str, Engine]] = field(default_factory=dict)
    report: BuildReport = field(default_factory=BuildReport)

    def add(self, key: str, cue: CueSpec, engine: Engine) -> str:
        digest = cue_hash(cue, engine.fingerprint)
        name = cue_file_name(cue.id, digest)
        self.keys[key] = name
        if name in self.files or name in self.todo:
            return name  # another locale's cue says the same with the same engine: one file
        old = self.previous.files.get(name) if self.previous else None
        # Unchanged: the manifest says so and the file is there (no need to decode it).
        if old is not None and old.hash == digest and (self.out_dir / name).is_file():
            self.files[name] = old
            self.report.kept.append(name)
            return name
        adopted = _adopt(self.out_dir / name, cue, engine.fingerprint, digest)
        if adopted is not None:
            self.files[name] = adopted
            self.report.kept.append(name)
        else:
            self.todo[name] = (cue, digest, engine)
        return name

    def keep(self, key: str) -> None:
        """Carry a cue over from the previous manifest as it is, if its file is still there."""
        if self.previous is None or key not in self.previous:
            return  # never built: `audio check` reports it missing
        old = self.previous[key]
        if (self.out_dir / old.file).is_file():
            self.keys[key] = old.file
            if old.file not in self.files and old.file not in self.todo:
                self.files[old.file] = old
                self.report.kept.append(old.file)


def build(
    cues: list[CueSpec],
    out_dir: Path,
    engine: Engine,
    *,
    progress: bool = True,
    jobs: int = 1,
    locales: Iterable[LocaleCues] = (),
    base_locale: str = DEFAULT_LOCALE,
) -> BuildReport:
    """Bring ``out_dir`` (MP3 files + manifest.json) up to date with every locale's cues.

    ``cues`` are the base locale's, rendered with ``engine``; each of ``locales`` lists all its
    cues: those equal to the base's share the base's files, the others are rendered with the
    locale's engine (one file for every locale whose cue says the same with the same engine).
    ``jobs`` cues render at once, in threads sharing an engine (which must allow it, as the
    engines in :mod:`skill.audio.engines` and :mod:`skill.audio.piper_engine` do).
    """
    started = time.perf_counter()
    groups = [LocaleCues(base_locale, cues, engine), *locales]
    for group in groups:
        validate_cues(group.cues)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    plan = _Plan(out_dir, _previous_manifest(manifest_path))
    base = {cue.id: (cue, plan.add(cue_key(base_locale, cue.id), cue, engine)) for cue in cues}
    for group in groups[1:]:
        for cue in group.cues:
            key = cue_key(group.locale, cue.id)
            shared = base.get(cue.id)
            if shared is not None and shared[0] == cue:
                plan.keys[key] = shared[1]
            elif group.engine is None:
                plan.keep(key)
            else:
                plan.add(key, cue, group.engine)
    _render_todo(plan, progress, jobs)

    report = plan.report
    entries = {key: plan.files[name] for key, name in plan.keys.items()}
    text = dumps_manifest(entries)
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        write_atomically(manifest_path, text.encode("utf-8"))
    for stale in sorted(out_dir.glob("*.mp3")):
        if stale.name not in plan.files:
            stale.unlink()
            report.removed.append(stale.name)
    report.cues, report.locales = len(entries), len(groups)
    report.seconds = time.perf_counter() - started
    return report


def _render_todo(plan: _Plan, progress: bool, jobs: int) -> None:
    """Render the files the plan lacks, engine by engine (an accent per locale with gTTS)."""
    by_engine: dict[int, tuple[Engine, list[tuple[CueSpec, str]]]] = {}
    for cue, digest, engine in plan.todo.values():
        by_engine.setdefault(id(engine), (engine, []))[1].append((cue, digest))
    show = progress and sys.stderr.isatty() and len(plan.todo) > 1
    with tqdm(total=len(plan.todo), desc="Rendering cues", unit="cue", disable=not show) as bar:
        for engine, todo in by_engine.values():
            # The counts sound the same in every hold: spoken once per engine and build.
            words = sorted({word for cue, _ in todo for word in cue.counts})
            counts = {word: engine.synthesize(word) for word in words}
            for done in _render_all(todo, engine.fingerprint, plan.out_dir, engine, counts, jobs):
                plan.files[done.file] = done
                bar.update()
    plan.report.rendered += list(plan.todo)  # in the content's order, however they finished


def _render_all(
    todo: list[tuple[CueSpec, str]],
    fingerprint: str,
    out_dir: Path,
    engine: Engine,
    counts: Mapping[str, Pcm],
    jobs: int,
) -> Iterator[CueFile]:
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
        pending: set[Future[CueFile]] = {
            pool.submit(_render, cue, digest, fingerprint, out_dir, engine, counts)
            for cue, digest in todo
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _previous_manifest(manifest_path: Path) -> Manifest | None:
    try:
        return load_manifest(manifest_path)
    except FileNotFoundError:
        return None
    except ManifestError as exc:
        # Rebuilding replaces it (an older version too); files whose names still match are
        # adopted, not rendered again.
        log.warning("ignoring the broken manifest: %s", exc)
        return None


def _adopt(path: Path, cue: CueSpec, fingerprint: str, digest: str) -> CueFile | None:
    """Reuse a file rendered by a build that failed later (its name proves its content).

    Files are written atomically, so one with the right name is complete; walking its frame
    headers gives the duration without decoding.
    """
    if not path.is_file():
        return None
    scan = scan_frames(path.read_bytes())
    if scan.problems or not scan.frames:
        return None
    return CueFile(path.name, cue.text, scan.duration_seconds, fingerprint, digest)


def _render(
    cue: CueSpec,
    digest: str,
    fingerprint: str,
    out_dir: Path,
    engine: Engine,
    counts: Mapping[str, Pcm],
) -> CueFile:
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
    return CueFile(name, cue.text, encoded.duration_seconds, fingerprint, digest)
