"""The reference: a hello-world ask-sdk-core skill behind the same kind of Flask route.

It does what any verified Alexa endpoint must do and nothing else: read the body, parse it,
run the same ``RequestVerifier`` (signature, timestamp, skill id), deserialise, invoke,
serialise. Anything the project spends beyond this is the project's own cost.

Under gunicorn (what ``bench.http`` starts)::

    gunicorn --preload -w 2 'bench.hello_world:create_hello_app(verify=False)'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import RequestEnvelope, Response
from flask import Flask, request

from skill.web.verify import RequestVerifier, VerificationError

#: The same id the test CA's requests carry (``tests.support.test_ca.SKILL_ID``).
HELLO_SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"
HELLO_INTENT = "HelloWorldIntent"

_serializer = DefaultSerializer()


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        speech = "Welcome, you can say hello."
        return handler_input.response_builder.speak(speech).ask(speech).response


class HelloHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name(HELLO_INTENT)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return (
            handler_input.response_builder.speak("Hello world!")
            .set_should_end_session(True)
            .response
        )


def build_hello_skill(skill_id: str = HELLO_SKILL_ID) -> CustomSkill:
    builder = SkillBuilder()
    builder.skill_id = skill_id  # type: ignore[assignment]  # the SDK types it as None
    builder.add_request_handler(LaunchHandler())
    builder.add_request_handler(HelloHandler())
    return builder.create()


def invoke(skill: CustomSkill, text: str) -> dict[str, Any]:
    """Deserialise, invoke, serialise: the same steps as ``skill.factory.invoke``."""
    envelope = _serializer.deserialize(payload=text, obj_type=RequestEnvelope)
    result = _serializer.serialize(skill.invoke(request_envelope=envelope, context=None))
    assert isinstance(result, dict)
    return result


def create_hello_app(
    *,
    skill_id: str = HELLO_SKILL_ID,
    verify: bool = True,
    trust_store: Any = None,
    fetch: Callable[[str], bytes] | None = None,
) -> Flask:
    """POST /alexa verified like the project's (pass the test CA's store and fetcher)."""
    app = Flask(__name__)
    skill = build_hello_skill(skill_id)
    verifier = RequestVerifier(
        skill_id, verify_signatures=verify, trust_store=trust_store, fetch=fetch, clock=time.time
    )

    @app.post("/alexa")
    def alexa() -> Any:
        body = request.get_data(cache=False)
        try:
            text = body.decode("utf-8")
            envelope = json.loads(text)
            verifier.verify(request.headers, body, envelope)  # type: ignore[arg-type]
        except (ValueError, VerificationError) as exc:
            return {"error": str(exc)}, 400
        payload = json.dumps(invoke(skill, text), separators=(",", ":")).encode()
        return app.response_class(payload, 200, mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    return app
