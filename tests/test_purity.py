"""The pure core imports neither flask nor ask_sdk (as Flask's own sansio code keeps no I/O)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE_MODULES = [
    "skill.content",
    "skill.cues",
    "skill.machine",
    "skill.content.numbers",
    "skill.progress",
    "skill.reply",
    "skill.speech",
    "skill.state",
    "skill.intents",
    "skill.screen",
    "skill.apl",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_core_imports_no_framework(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        "print(sorted({m.split('.')[0] for m in sys.modules "
        "if m.split('.')[0] in ('flask', 'werkzeug', 'ask_sdk_core', 'ask_sdk_model', "
        "'ask_sdk_runtime', 'boto3', 'requests')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", f"{module} pulls in {result.stdout.strip()}"
