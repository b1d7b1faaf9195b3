"""What a start loads: cheap rules that keep the cold-start wins of docs/benchmarks.md.

Each probe is a fresh interpreter, so what it finds in ``sys.modules`` is what a start imports.
No timings: a module that creeps back into the start fails here, on any machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.test_ca import SKILL_ID

#: Not needed to answer a voice request: the YAML parser (the compiled copy is read), the sample
#: grammar (checked when the copy is compiled), screens, the Lambda's AWS stack, and the SDK's
#: models of what the request does not carry (the envelope reader resolves a field's type only
#: when a payload has that field: APL's models alone are ~30 ms of imports).
NOT_AT_START = (
    "ask_sdk_model.interfaces.alexa.presentation.apl",
    "yaml",
    "boto3",
    "botocore",
    "ask_sdk_dynamodb",
    "jsonschema",
    "skill.content.grammar",
    "skill.content.samples",
    "skill.screen",
    "skill.apl",
)


def _loaded(code: str, env: dict[str, str] | None = None) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modules


def test_the_web_app_answers_its_first_launch_without_the_heavy_modules(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "from skill.envelopes import AlexaSession\n"
        "from skill.settings import Settings\n"
        "from skill.web.flask_app import create_app\n"
        f"settings = Settings(skill_id={SKILL_ID!r}, verify_signatures=False, "
        f"db_path=Path({str(tmp_path / 'p.sqlite3')!r}))\n"
        "client = create_app({'SETTINGS': settings}).test_client()\n"
        f"reply = client.post('/alexa', json=AlexaSession(skill_id={SKILL_ID!r}).launch())\n"
        "assert reply.status_code == 200, reply.get_data()\n"
    )
    loaded = _loaded(code)
    assert [name for name in NOT_AT_START if name in loaded] == []


def test_a_screen_request_loads_the_screens_then(tmp_path: Path) -> None:
    # The other side of the rule above: screens still render, their modules loaded on demand.
    code = (
        "from skill.envelopes import AlexaSession\n"
        "from skill.settings import Settings\n"
        "from skill.web.flask_app import create_app\n"
        f"settings = Settings(skill_id={SKILL_ID!r}, verify_signatures=False)\n"
        "client = create_app({'SETTINGS': settings}).test_client()\n"
        f"reply = client.post('/alexa', json=AlexaSession(skill_id={SKILL_ID!r}, "
        "screen=True).launch())\n"
        "directives = reply.get_json()['response'].get('directives', [])\n"
        "assert any(d['type'].endswith('RenderDocument') for d in directives), directives\n"
    )
    loaded = _loaded(code)
    assert {"skill.screen", "skill.apl", "ask_sdk_model.interfaces.alexa.presentation.apl"} <= set(
        loaded
    )
