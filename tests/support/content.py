"""Copies of the bundled content to change or break, under a test's own tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from skill.content.loader import CONTENT_DIR


def copy_content(parent: Path) -> Path:
    """``parent/content``: the bundled YAML and its compiled copy (no code)."""
    target = parent / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def edit_yaml(directory: Path, name: str, change: Callable[[Any], object]) -> None:
    """Apply ``change`` to the parsed file ``name`` and write it back (the compiled copy goes
    stale, so the loader reads the YAML)."""
    path = directory / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
