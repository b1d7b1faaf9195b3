"""The first hour of a new contributor: the README's commands work as written, the licence and
the pre-commit hooks are there, and nothing cites a document outside the repository."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
import yaml

from skill.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "CONTRIBUTING.md")
#: `workout-planner …` up to the end of a code span, line or shell comment.
_COMMAND = re.compile(r"workout-planner((?: +(?:[a-z][a-z-]*|--[a-z-]+(?:[= ][^\s`#|]+)?))+)")


def _command(path: list[str]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"workout-planner {' '.join(path)}: no such command"
        command = found
    return command


def _mentions() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for match in _COMMAND.finditer((ROOT / doc).read_text()):
            found.append((doc, match.group(1)))
    return found


def test_every_workout_planner_command_in_the_docs_exists_with_those_options():
    mentions = _mentions()
    assert len(mentions) > 10
    for doc, text in mentions:
        words = text.split()
        path = []
        while words and not words[0].startswith("--"):
            candidate = [*path, words[0]]
            command = _command(path)
            if not isinstance(command, click.Group):
                break
            if command.get_command(click.Context(command), words[0]) is None:
                break
            path = candidate
            words.pop(0)
        command = _command(path)
        known = {opt for param in command.params for opt in getattr(param, "opts", ())}
        for flag in (w.split("=")[0] for w in words if w.startswith("--")):
            assert flag in known | {"--help"}, f"{doc}: workout-planner {' '.join(path)} {flag}"


def test_package_as_documented_needs_its_endpoint(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "--lambda-arn" in readme and "--endpoint-url" in readme
    result = subprocess.run(
        [sys.executable, "-c", "from skill.cli import main; main()", "package"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "--lambda-arn" in result.stderr or "--endpoint-url" in result.stderr


def test_serverless_commands_in_the_docs_carry_the_skill_id():
    for doc in DOCS:
        for line in (ROOT / doc).read_text().splitlines():
            for found in re.finditer(r"npx serverless (package|deploy)[^`]*", line):
                assert '--param="skillId=' in found.group(0), f"{doc}: {found.group(0)}"


def test_the_licence_is_the_one_pyproject_names():
    licence = (ROOT / "LICENSE").read_text()
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT"
    assert licence.startswith("MIT License")
    assert "WITHOUT WARRANTY OF ANY KIND" in licence


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    suffixes = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".conf", ".sh", ".json", ".in"}
    paths = [ROOT / name for name in listed.split("\0") if name]
    return [p for p in paths if p.suffix in suffixes and p.is_file()]


def test_nothing_cites_documents_outside_the_repository():
    # Contributors have Amazon's public documentation, not the team's private notes.
    private = ("platform " + "notes", "../" + "shared", "alexa-platform-" + "notes")
    offending = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in _tracked_text_files()
        if path.name != "package-lock.json"
        for needle in private
        if needle in path.read_text(errors="replace").lower()
    ]
    assert not offending


# -- pre-commit ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hooks() -> list[dict[str, object]]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_pre_commit_accepts_the_configuration():
    pre_commit = Path(sys.executable).parent / "pre-commit"
    result = subprocess.run(
        [str(pre_commit), "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_hook_runs_a_tool_from_the_virtualenv(hooks):
    for hook in hooks:
        program = shlex.split(str(hook["entry"]))[0]
        assert program.startswith(".venv/bin/"), hook["id"]
        assert (ROOT / program).exists() or (
            Path(sys.executable).parent / Path(program).name
        ).exists()


def test_every_check_command_has_a_hook(hooks):
    entries = " ".join(str(hook["entry"]) for hook in hooks)
    for name in COMMANDS:
        command = _command([name])
        if any("--check" in getattr(p, "opts", ()) for p in command.params):
            assert f"workout-planner {name} --check" in entries, name
    for tool in ("ruff check", "ruff format --check", "mypy", "tests/test_lock.py"):
        assert tool in entries, tool
