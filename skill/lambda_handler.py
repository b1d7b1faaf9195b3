"""AWS Lambda entry point (``skill/lambda_handler.handler`` in serverless.yml).

Amazon invokes the function directly through the Alexa Skills Kit trigger, so there is no request
signature to check; the skill id still is, exactly, by the skill itself. The skill is built once
per container, at import (the cold start), and serves every later invocation.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

from skill.emf import answer, install_emf
from skill.factory import build_skill, invoke, store_adapter
from skill.persistence.url import lambda_store_url
from skill.settings import Settings
from skill.web.logs import JsonFormatter, configure_logging

# Lambda's runtime installs its own handler on the root logger: keep it (it feeds CloudWatch)
# but make its lines the same structured JSON as the web service's.
_root = logging.getLogger()
if _root.handlers:
    for _handler in _root.handlers:
        _handler.setFormatter(JsonFormatter())
    _root.setLevel(logging.INFO)
else:
    configure_logging(logging.INFO)

_settings = Settings.from_env()
if not _settings.skill_id:
    # Without it the skill would answer any skill's requests: refuse to start instead.
    raise RuntimeError(
        "ALEXA_SKILL_ID is not set: set it to the Alexa skill id (amzn1.ask.skill.…) this "
        "function serves (serverless.yml sets it from --param=skillId=…)."
    )

# WORKOUT_PLANNER_STORE names the store as `serve --store` does; else serverless.yml's table.
_settings = dataclasses.replace(_settings, store_url=lambda_store_url(os.environ))
SKILL = build_skill(persistence=store_adapter(_settings), settings=_settings)
#: The counts as CloudWatch Embedded Metric Format lines on stdout (see skill.emf).
METRICS = install_emf()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope with a response envelope."""
    return answer(METRICS, lambda envelope: invoke(SKILL, envelope), event)
