"""ask-sdk adapter for screens: RenderDocument out, Alexa.Presentation.APL.UserEvent in.

A document goes only to a device whose request lists ``Alexa.Presentation.APL`` among its
supported interfaces ("Alexa.Presentation.APL Interface Reference"); a touch becomes the same
machine event as the spoken intent it stands for (``skill.screen.touch_turn``).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_supported_interfaces, is_request_type
from ask_sdk_model import Response

if TYPE_CHECKING:
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

    from skill.handlers import Conversation
    from skill.screen import Screen

log = logging.getLogger("skill.display")

USER_EVENT = "Alexa.Presentation.APL.UserEvent"
#: Alexa refuses a response over 120 KB ("Request and Response JSON Reference"). The document
#: and its data get all but what the speech (under 8,000 characters), the session attributes
#: and the envelope can take.
MAX_RESPONSE_BYTES = 120 * 1024
MAX_DIRECTIVE_BYTES = MAX_RESPONSE_BYTES - 24 * 1024
TOKEN_PREFIX = "workoutPlanner."


def has_screen(handler_input: HandlerInput) -> bool:
    """Does the device render APL? (Its request says so; the console's ``--screen`` too.)"""
    try:
        interfaces = get_supported_interfaces(handler_input)
    except (AttributeError, TypeError):  # a request without a device context
        return False
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def render_directive(screen: Screen) -> RenderDocumentDirective | None:
    """The RenderDocument directive for ``screen``; None when it would break the size limit."""
    from skill.apl import document  # screens only: a voice-only start never loads them

    doc = document(screen.document)
    size = len(json.dumps([doc, screen.datasources], separators=(",", ":")).encode("utf-8"))
    if size > MAX_DIRECTIVE_BYTES:
        log.warning(
            "screen left out: too large", extra={"document": screen.document, "bytes": size}
        )
        return None
    # Imported here: the APL models package costs a Lambda cold start ~20 ms, and only requests
    # from a screen need it.
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

    return RenderDocumentDirective(
        token=TOKEN_PREFIX + screen.document, document=doc, datasources=screen.datasources
    )


class TouchHandler(AbstractRequestHandler):
    """A touch on the screen: the same turn as saying it, through the same conversation."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type(USER_EVENT)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        from skill.screen import touch_turn

        request: Any = handler_input.request_envelope.request
        memory = self.conversation.keeper.memory(handler_input)
        content = self.conversation.content_for(handler_input)
        turn = touch_turn(request.arguments, content, memory)
        return self.conversation.respond(handler_input, turn)
