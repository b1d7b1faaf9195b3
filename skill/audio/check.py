"""Does ``audio/`` match every locale's content, and does every file meet Alexa's rules?"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from skill.audio.build import cue_file_name, cue_hash
from skill.audio.manifest import (
    MANIFEST_NAME,
    REBUILD_HINT,
    Manifest,
    ManifestError,
    cue_key,
    load_manifest,
)
from skill.audio.mp3check import MAX_SECONDS, check_mp3
from skill.content.model import DEFAULT_LOCALE
from skill.cues import CueSpec


def check(
    cues: list[CueSpec],
    out_dir: Path,
    locales: Mapping[str, list[CueSpec]] | None = None,
    *,
    base_locale: str = DEFAULT_LOCALE,
) -> list[str]:
    """Every problem found, one line each (empty when all is well).

    ``cues`` are the base locale's; ``locales`` maps each other locale to all its cues. Each
    locale must list every cue of its bundle, as its content says it (not stale), in a file
    named for its hash; a cue that says what the base's says must share the base's file.
    Orphans (cues no bundle has, files no cue plays, MP3 files the manifest does not describe),
    missing files and every file's own violations are reported.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST_NAME
    try:
        manifest = load_manifest(manifest_path)
    except FileNotFoundError:
        return [f"{manifest_path}: no manifest; {REBUILD_HINT}"]
    except ManifestError as exc:
        return [str(exc)]

    bundles = {base_locale: cues, **(locales or {})}
    wanted = {cue_key(locale, cue.id): cue for locale, found in bundles.items() for cue in found}
    problems = [*_listed(manifest, wanted, manifest_path), *_shared(manifest, bundles, base_locale)]
    for key in sorted(set(manifest) - set(wanted)):
        problems.append(f"cue {key!r} is in the manifest but not in the content (orphan)")
    played = set(manifest.cues.values())
    for name in sorted(set(manifest.files) - played):
        problems.append(f"{manifest_path}: file {name} is described but no cue plays it (orphan)")
    for name, described in sorted(manifest.files.items()):
        path = out_dir / name
        if described.duration_seconds > MAX_SECONDS:
            problems.append(f"{name} lasts {described.duration_seconds:.0f} s (max 240 s)")
        if not path.is_file():
            problems.append(f"{path}: missing file for cue {_keys(manifest, name)}; {REBUILD_HINT}")
        else:
            problems += check_mp3(path)
    for path in sorted(out_dir.glob("*.mp3")):
        if path.name not in manifest.files:
            problems.append(f"{path}: not in the manifest (orphan file)")
    return problems


def _listed(manifest: Manifest, wanted: Mapping[str, CueSpec], manifest_path: Path) -> list[str]:
    """Each locale lists each of its cues, pointing at a file that says it as the content does."""
    problems = []
    for key, cue in wanted.items():
        described = manifest.get(key)
        if described is None:
            problems.append(f"cue {key!r} is missing from {manifest_path}; {REBUILD_HINT}")
        # The hash is recomputed with the engine recorded for the file: any engine will do,
        # but text, hold, chime and the render settings must be the content's.
        elif described.text != cue.text or described.hash != cue_hash(cue, described.engine):
            problems.append(f"cue {key!r} is stale (its content changed); {REBUILD_HINT}")
        elif described.file != cue_file_name(cue.id, described.hash):
            problems.append(f"cue {key!r}: file {described.file} does not match its hash")
    return problems


def _shared(
    manifest: Manifest, bundles: Mapping[str, list[CueSpec]], base_locale: str
) -> list[str]:
    """A cue that says what the base's says plays the base's file (cues that say the same with
    the same engine already share one: a file's name is its cue's id and hash)."""
    problems = []
    base = {cue.id: cue for cue in bundles.get(base_locale, [])}
    for locale, found in bundles.items():
        for cue in found:
            key, base_key = cue_key(locale, cue.id), cue_key(base_locale, cue.id)
            if locale == base_locale or base.get(cue.id) != cue:
                continue
            own, shared = manifest.cues.get(key), manifest.cues.get(base_key)
            if own and shared and own != shared:
                problems.append(
                    f"cue {key!r} says what {base_key!r} says but plays its own file "
                    f"{own}; it must share {shared}"
                )
    return problems


def _keys(manifest: Manifest, name: str) -> str:
    return ", ".join(repr(key) for key in manifest.keys_of(name))
