"""The Lambda reference: a hello-world ask-sdk skill that keeps a visit count with ask-sdk's
own DynamoDbAdapter, as Amazon's samples do. ``bench.lambda_cold`` starts it cold beside
``skill/lambda_handler.py``: anything the project spends beyond it is the project's own cost.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_dynamodb.adapter import DynamoDbAdapter
from ask_sdk_model import Response


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        manager = handler_input.attributes_manager
        visits = int(manager.persistent_attributes.get("visits", 0)) + 1
        manager.persistent_attributes = {"visits": visits}
        manager.save_persistent_attributes()
        speech = "Welcome, you can say hello."
        return handler_input.response_builder.speak(speech).ask(speech).response


_builder = CustomSkillBuilder(
    persistence_adapter=DynamoDbAdapter(
        table_name=os.environ["DYNAMODB_TABLE"],
        create_table=False,
        dynamodb_resource=boto3.resource("dynamodb"),
    )
)
_builder.skill_id = os.environ["ALEXA_SKILL_ID"]  # type: ignore[assignment]
_builder.add_request_handler(LaunchHandler())
handler: Any = _builder.lambda_handler()
