"""Skill events: what Alexa tells the skill outside a conversation.

``AlexaSkillEvent.SkillDisabled`` means the person removed the skill: everything stored for
that account is deleted, every recognised person under it included (see the README's privacy
section). The event arrives with the account's user id and no session; the web endpoint checks
its timestamp with the 3,600-second tolerance Alexa allows skill events, and on Lambda it comes
through the same function (the manifest subscribes to ``SKILL_DISABLED``).
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import RequestEnvelope, Response

log = logging.getLogger("skill.skill_events")


@runtime_checkable
class ForgetsUsers(Protocol):
    """A store that can delete every record of an account (both of ours can)."""

    def forget_user(self, request_envelope: RequestEnvelope) -> None: ...


class SkillDisabledHandler(AbstractRequestHandler):
    """Forget the account; the answer is an empty response, as for any skill event."""

    def __init__(self, store: object | None) -> None:
        self.store = store if isinstance(store, ForgetsUsers) else None

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        if self.store is not None:
            self.store.forget_user(handler_input.request_envelope)
        log.info(
            "skill disabled: stored progress forgotten",
            extra={"event": "skill.disabled", "stored": self.store is not None},
        )
        return handler_input.response_builder.response
