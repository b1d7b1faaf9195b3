import json
import subprocess
import sys

import pytest

from skill.audio.manifest import (
    MANIFEST_NAME,
    CueFile,
    ManifestError,
    dumps_manifest,
    load_manifest,
    write_manifest,
)

HASH = "ab" * 32


def cue_file(cue_id="prompt.welcome", **changes):
    fields = dict(
        file=f"{cue_id.replace('.', '-')}-{HASH[:12]}.mp3",
        text="Welcome back.",
        duration_seconds=1.25,
        engine="espeak-ng 1.51 voice=en-us",
        hash=HASH,
    )
    return CueFile(**{**fields, **changes})


def test_round_trip_is_sorted_stable_and_atomic(tmp_path):
    path = tmp_path / MANIFEST_NAME
    cues = {
        f"{locale}/{cue_id}": cue_file(cue_id)
        for cue_id in ("step.upper_back.3", "prompt.welcome", "faq.crack_safety")
        for locale in ("en-US", "en-GB")
    }
    write_manifest(path, cues)
    first = path.read_bytes()
    write_manifest(path, dict(reversed(cues.items())))
    assert path.read_bytes() == first  # order-independent, byte-stable
    loaded = load_manifest(path)
    assert dict(loaded) == cues and loaded.locales() == ["en-GB", "en-US"]
    document = json.loads(first)
    assert document["version"] == 2 and list(document["cues"]) == sorted(cues)
    # Each file is described once, however many locales play it.
    assert sorted(document["files"]) == sorted({found.file for found in cues.values()})
    assert loaded.keys_of(cue_file("prompt.welcome").file) == [
        "en-GB/prompt.welcome",
        "en-US/prompt.welcome",
    ]
    assert first.endswith(b"\n") and b'\n  "cues": {\n' in first
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST_NAME]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o644


def test_one_file_cannot_be_described_two_ways(tmp_path):
    cues = {"en-US/prompt.welcome": cue_file(), "en-GB/prompt.welcome": cue_file(text="Hi.")}
    with pytest.raises(ValueError, match=r"'en-GB/prompt\.welcome': file prompt-welcome-"):
        dumps_manifest(cues)


def test_missing_manifest_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_manifest(tmp_path / MANIFEST_NAME)


def written(tmp_path):
    path = tmp_path / MANIFEST_NAME
    write_manifest(path, {"en-US/prompt.welcome": cue_file(), "en-GB/prompt.welcome": cue_file()})
    return path, json.loads(path.read_text())


NAME = cue_file().file


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda files: files[NAME].pop("text"), "'text' is missing"),
        (lambda files: files[NAME].update(duration_seconds="long"), "'duration_seconds'"),
        (lambda files: files[NAME].update(duration_seconds=True), "'duration_seconds'"),
        (lambda files: files[NAME].update(hash="xyz"), "'hash'"),
        (lambda files: files[NAME].update(text=5), "'text'"),
        (lambda files: files.update({NAME: []}), "must be an object"),
    ],
)
def test_broken_file_entry_names_the_manifest_file_and_field(tmp_path, mutate, field):
    path, document = written(tmp_path)
    mutate(document["files"])
    path.write_text(json.dumps(document))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert str(path) in message and f"field 'files', file {NAME!r}" in message
    assert field in message


def test_a_file_name_that_is_a_path_is_refused(tmp_path):
    path, document = written(tmp_path)
    document["files"]["../etc/passwd.mp3"] = document["files"][NAME]
    path.write_text(json.dumps(document))
    with pytest.raises(ManifestError, match=r"'\.\./etc/passwd\.mp3': file names are plain"):
        load_manifest(path)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("prompt.welcome", NAME, "cue ids are <locale>/<id>"),  # version 1's unprefixed id
        ("en-GB/prompt.welcome", "absent.mp3", "'absent.mp3' is not a file of field 'files'"),
        ("en-GB/prompt.welcome", 7, "7 is not a file of field 'files'"),
    ],
)
def test_a_broken_cue_names_the_manifest_file_and_cue(tmp_path, key, value, field):
    path, document = written(tmp_path)
    document["cues"][key] = value
    path.write_text(json.dumps(document))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: field 'cues', cue {key!r}: ") and field in message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("{not json", "cannot read"),
        ("[]", "JSON object"),
        ('{"version": 9}', "field 'version' must be 2, got 9"),
        ('{"version": 2, "cues": {}}', "field 'files'"),
        ('{"version": 2, "files": {}, "cues": []}', "field 'cues'"),
    ],
)
def test_broken_document_names_the_file(tmp_path, text, field):
    path = tmp_path / MANIFEST_NAME
    path.write_text(text)
    with pytest.raises(ManifestError, match=field) as caught:
        load_manifest(path)
    assert str(path) in str(caught.value)


def test_a_version_1_manifest_is_refused_with_how_to_rebuild_it(tmp_path):
    path = tmp_path / MANIFEST_NAME
    old = {"prompt.welcome": {"file": NAME, "text": "Hi.", "duration_seconds": 1.0}}
    path.write_text(json.dumps({"version": 1, "cues": old}))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert str(caught.value) == (
        f"{path}: field 'version' must be 2, got 1 "
        "(written by an older build; run: workout-planner audio build)"
    )


def test_durations_are_rounded_for_stable_diffs():
    text = dumps_manifest({"en-US/prompt.welcome": cue_file(duration_seconds=1.23456)})
    assert '"duration_seconds": 1.235' in text


def test_importing_the_manifest_stays_cheap():
    code = (
        "import sys, skill.audio.manifest\n"
        "heavy = {'numpy', 'scipy', 'lameenc', 'miniaudio', 'gtts', 'tqdm', 'click'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
