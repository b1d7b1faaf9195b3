"""Does ``audio/`` match the content, and does every file meet Alexa's rules?"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from skill.audio.build import cue_file_name, cue_hash
from skill.audio.manifest import MANIFEST_NAME, ManifestError, cue_key, load_manifest
from skill.audio.mp3check import MAX_SECONDS, check_mp3
from skill.cues import CueSpec


def check(
    cues: list[CueSpec], out_dir: Path, locales: Mapping[str, list[CueSpec]] | None = None
) -> list[str]:
    """Every problem found, one line each (empty when all is well).

    ``cues`` are the shared base's; ``locales`` maps each other locale to its own cues (those
    whose text differs from the base's), keyed ``<locale>/<id>`` in the manifest.

    Missing cues, stale ones (rendered from other text or settings), orphans (manifest entries
    without a cue, MP3 files without an entry) and every file's own violations.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST_NAME
    hint = "run: workout-planner audio build"
    try:
        manifest = load_manifest(manifest_path)
    except FileNotFoundError:
        return [f"{manifest_path}: no manifest; {hint}"]
    except ManifestError as exc:
        return [str(exc)]

    problems: list[str] = []
    wanted = {cue.id: cue for cue in cues}
    for locale, own in (locales or {}).items():
        wanted.update({cue_key(locale, cue.id): cue for cue in own})
    for cue_id, cue in wanted.items():
        entry = manifest.get(cue_id)
        if entry is None:
            problems.append(f"cue {cue_id!r} is missing from {manifest_path}; {hint}")
            continue
        # The hash is recomputed with the engine recorded for the file: any engine will do,
        # but text, hold, chime and the render settings must be the content's.
        if entry.text != cue.text or entry.hash != cue_hash(cue, entry.engine):
            problems.append(f"cue {cue_id!r} is stale (its content changed); {hint}")
        elif entry.file != cue_file_name(cue.id, entry.hash):
            problems.append(f"cue {cue_id!r}: file {entry.file} does not match its hash")
        if entry.duration_seconds > MAX_SECONDS:
            problems.append(f"cue {cue_id!r} lasts {entry.duration_seconds:.0f} s (max 240 s)")
        path = out_dir / entry.file
        if not path.is_file():
            problems.append(f"{path}: missing file for cue {cue_id!r}; {hint}")
        else:
            problems += check_mp3(path)

    for cue_id in sorted(set(manifest) - set(wanted)):
        problems.append(f"cue {cue_id!r} is in the manifest but not in the content (orphan)")
    listed = {entry.file for entry in manifest.values()}
    for path in sorted(out_dir.glob("*.mp3")):
        if path.name not in listed:
            problems.append(f"{path}: not in the manifest (orphan file)")
    return problems
