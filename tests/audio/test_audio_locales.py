"""Every locale's cues in one manifest: each locale lists all its cues under its own ids, and
cues that say the same share one file; ``check`` holds each locale to its bundle."""

import json
import shutil

import pytest

from skill.audio.build import LocaleCues, build, cue_file_name, cue_hash
from skill.audio.check import check
from skill.audio.manifest import MANIFEST_NAME, load_manifest
from skill.cues import CueSpec

BASE = [
    CueSpec("prompt.welcome", "Welcome back."),
    CueSpec("step.upper_back.3", "Hug yourself.", hold_seconds=2, chime=True),
    CueSpec("faq.see_doctor", "See a doctor."),
]
MATE = CueSpec("prompt.welcome", "Welcome back, mate.")
GP = CueSpec("faq.see_doctor", "See your GP.")
#: en-GB and en-AU say their own welcome (the same words); en-GB its own FAQ answer too.
OTHERS = {
    "en-GB": [MATE, BASE[1], GP],
    "en-AU": [MATE, BASE[1], BASE[2]],
    "en-CA": list(BASE),
}


def groups(engine, *, left_out=()):
    return [
        LocaleCues(locale, cues, None if locale in left_out else engine)
        for locale, cues in OTHERS.items()
    ]


@pytest.fixture(scope="module")
def built_once(tmp_path_factory, espeak):
    out = tmp_path_factory.mktemp("locales")
    build(BASE, out, espeak, progress=False, locales=groups(espeak))
    return out


def test_each_locale_lists_every_cue_and_equal_texts_share_one_file(tmp_path, counting_engine):
    report = build(BASE, tmp_path, counting_engine, progress=False, locales=groups(counting_engine))
    # Five files for twelve cues: the base's three, and one for each line said anew.
    assert sorted(counting_engine.spoken) == sorted([*(c.text for c in BASE), MATE.text, GP.text])
    assert report.cues == 12 and report.locales == 4 and len(report.rendered) == 5
    manifest = load_manifest(tmp_path / MANIFEST_NAME)
    assert manifest.locales() == ["en-AU", "en-CA", "en-GB", "en-US"]
    assert len(manifest) == 12 and len(manifest.files) == 5
    us, gb = manifest.cues["en-US/prompt.welcome"], manifest.cues["en-GB/prompt.welcome"]
    assert gb != us and manifest.cues["en-AU/prompt.welcome"] == gb
    assert manifest.cues["en-CA/prompt.welcome"] == us
    assert manifest.cues["en-GB/step.upper_back.3"] == manifest.cues["en-US/step.upper_back.3"]
    assert manifest[f"en-GB/{GP.id}"].text == GP.text
    assert check(BASE, tmp_path, OTHERS) == []


def test_a_locale_left_out_of_a_build_keeps_its_own_files_and_follows_the_base(
    built, counting_engine
):
    before = load_manifest(built / MANIFEST_NAME)
    base = [BASE[0], BASE[1], CueSpec("faq.see_doctor", "See a doctor soon.")]
    others = {**OTHERS, "en-AU": [MATE, *base[1:]], "en-CA": base}
    locales = [
        LocaleCues(locale, cues, None if locale == "en-GB" else counting_engine)
        for locale, cues in others.items()
    ]
    report = build(base, built, counting_engine, progress=False, locales=locales)
    assert counting_engine.spoken == ["See a doctor soon."]
    after = load_manifest(built / MANIFEST_NAME)
    assert after.cues["en-GB/faq.see_doctor"] == before.cues["en-GB/faq.see_doctor"]
    assert after.cues["en-CA/faq.see_doctor"] == after.cues["en-US/faq.see_doctor"]
    assert report.removed == [before.cues["en-US/faq.see_doctor"]]
    assert check(base, built, others) == []


def test_a_version_1_manifest_is_rebuilt_without_rendering_again(built, counting_engine):
    manifest = load_manifest(built / MANIFEST_NAME)
    old = {
        key.removeprefix("en-US/"): {"file": found.file, "text": found.text}
        for key, found in manifest.items()
    }
    (built / MANIFEST_NAME).write_text(json.dumps({"version": 1, "cues": old}))
    [problem] = check(BASE, built, OTHERS)
    assert problem == (
        f"{built / MANIFEST_NAME}: field 'version' must be 2, got 1 "
        "(written by an older build; run: workout-planner audio build)"
    )
    report = build(BASE, built, counting_engine, progress=False, locales=groups(counting_engine))
    assert counting_engine.spoken == [] and report.rendered == [] and len(report.kept) == 5
    assert load_manifest(built / MANIFEST_NAME) == manifest
    assert check(BASE, built, OTHERS) == []


def edit(built, change):
    path = built / MANIFEST_NAME
    document = json.loads(path.read_text())
    change(document, built)
    path.write_text(json.dumps(document))


def drop_gb_welcome(document, built):
    del document["cues"]["en-GB/prompt.welcome"]


def delete_gb_file(document, built):
    (built / document["cues"]["en-GB/prompt.welcome"]).unlink()


def stray_file(document, built):
    (built / "prompt-old-000000000000.mp3").write_bytes(b"ID3")


def unplayed_file(document, built):
    name = document["cues"]["en-US/prompt.welcome"]
    document["files"]["prompt-welcome-ffffffffffff.mp3"] = document["files"][name]
    shutil.copy(built / name, built / "prompt-welcome-ffffffffffff.mp3")


def unknown_locale(document, built):
    document["cues"]["en-NZ/prompt.welcome"] = document["cues"]["en-US/prompt.welcome"]


def own_copy_of_the_base(document, built):
    """en-CA's welcome says the base's words, in a file of its own (another engine's)."""
    name = document["cues"]["en-US/prompt.welcome"]
    digest = cue_hash(BASE[0], "another engine")
    copy = cue_file_name(BASE[0].id, digest)
    shutil.copy(built / name, built / copy)
    document["files"][copy] = {**document["files"][name], "engine": "another engine"}
    document["files"][copy]["hash"] = digest
    document["cues"]["en-CA/prompt.welcome"] = copy


def other_words(document, built):
    document["files"][document["cues"]["en-GB/faq.see_doctor"]]["text"] = "See a GP."


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (drop_gb_welcome, ["cue 'en-GB/prompt.welcome' is missing from "]),
        (delete_gb_file, ["missing file for cue 'en-AU/prompt.welcome', 'en-GB/prompt.welcome'"]),
        (stray_file, ["prompt-old-000000000000.mp3: not in the manifest (orphan file)"]),
        (
            unplayed_file,
            ["file prompt-welcome-ffffffffffff.mp3 is described but no cue plays it (orphan)"],
        ),
        (
            unknown_locale,
            ["cue 'en-NZ/prompt.welcome' is in the manifest but not in the content (orphan)"],
        ),
        (
            own_copy_of_the_base,
            ["cue 'en-CA/prompt.welcome' says what 'en-US/prompt.welcome' says but plays its own"],
        ),
        (other_words, ["cue 'en-GB/faq.see_doctor' is stale (its content changed)"]),
    ],
)
def test_check_holds_every_locale_to_its_bundle(built, breakage, expected):
    edit(built, breakage)
    problems = check(BASE, built, OTHERS)
    assert len(problems) == len(expected), problems
    for problem, wanted in zip(problems, expected, strict=True):
        assert wanted in problem
