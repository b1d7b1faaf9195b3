import json
import subprocess
import sys

import pytest

from skill.audio.manifest import (
    MANIFEST_NAME,
    ManifestEntry,
    ManifestError,
    dumps_manifest,
    load_manifest,
    write_manifest,
)

HASH = "ab" * 32


def entry(cue_id="prompt.welcome", **changes):
    fields = dict(
        id=cue_id,
        file=f"{cue_id.replace('.', '-')}-{HASH[:12]}.mp3",
        text="Welcome back.",
        duration_seconds=1.25,
        engine="espeak-ng 1.51 voice=en-us",
        hash=HASH,
    )
    return ManifestEntry(**{**fields, **changes})


def test_round_trip_is_sorted_stable_and_atomic(tmp_path):
    path = tmp_path / MANIFEST_NAME
    entries = [entry("step.upper_back.3"), entry("prompt.welcome"), entry("faq.crack_safety")]
    write_manifest(path, entries)
    first = path.read_bytes()
    write_manifest(path, list(reversed(entries)))
    assert path.read_bytes() == first  # order-independent, byte-stable
    loaded = load_manifest(path)
    assert loaded == {e.id: e for e in entries}
    assert list(json.loads(first)["cues"]) == sorted(e.id for e in entries)
    assert first.endswith(b"\n") and b'\n  "cues": {\n' in first
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST_NAME]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o644


def test_missing_manifest_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_manifest(tmp_path / MANIFEST_NAME)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda cue: cue.pop("file"), "'file' is missing"),
        (lambda cue: cue.update(duration_seconds="long"), "'duration_seconds'"),
        (lambda cue: cue.update(duration_seconds=True), "'duration_seconds'"),
        (lambda cue: cue.update(file="../etc/passwd.mp3"), "'file'"),
        (lambda cue: cue.update(hash="xyz"), "'hash'"),
        (lambda cue: cue.update(text=5), "'text'"),
    ],
)
def test_broken_entry_names_file_cue_and_field(tmp_path, mutate, field):
    path = tmp_path / MANIFEST_NAME
    write_manifest(path, [entry()])
    document = json.loads(path.read_text())
    mutate(document["cues"]["prompt.welcome"])
    path.write_text(json.dumps(document))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert str(path) in message and "prompt.welcome" in message and field in message


@pytest.mark.parametrize(
    ("text", "field"),
    [("{not json", "cannot read"), ("[]", "JSON object"), ('{"version": 9}', "'version'")],
)
def test_broken_document_names_the_file(tmp_path, text, field):
    path = tmp_path / MANIFEST_NAME
    path.write_text(text)
    with pytest.raises(ManifestError, match=field) as caught:
        load_manifest(path)
    assert str(path) in str(caught.value)


def test_durations_are_rounded_for_stable_diffs():
    assert '"duration_seconds": 1.235' in dumps_manifest([entry(duration_seconds=1.23456)])


def test_importing_the_manifest_stays_cheap():
    code = (
        "import sys, skill.audio.manifest\n"
        "heavy = {'numpy', 'scipy', 'lameenc', 'miniaudio', 'gtts', 'tqdm', 'click'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
