"""Alexa request envelopes, built the way the Alexa service sends them.

``AlexaSession`` plays Alexa's side of a conversation: it keeps the session id and attributes
between turns, and starts a new session after the skill ends one. Used by the console, the
tests and the benchmarks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
#: What an Echo Show says of its screen: it renders APL (up to this version).
SCREEN_INTERFACES: dict[str, Any] = {
    "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}
}
SCREEN_VIEWPORT: dict[str, Any] = {
    "experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False}],
    "mode": "HUB",
    "shape": "RECTANGLE",
    "pixelWidth": 1280,
    "pixelHeight": 800,
    "dpi": 160,
    "currentPixelWidth": 1280,
    "currentPixelHeight": 800,
    "touch": ["SINGLE"],
}

#: A slot: its spoken value, optionally with the id entity resolution matched it to.
SlotValue = str | tuple[str, str | None]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slot(name: str, value: SlotValue, skill_id: str) -> dict[str, Any]:
    spoken, resolved = (value, None) if isinstance(value, str) else value
    slot: dict[str, Any] = {"name": name, "value": spoken, "confirmationStatus": "NONE"}
    authority = f"amzn1.er-authority.echo-sdk.{skill_id}.{name}"
    if resolved:
        slot["resolutions"] = {
            "resolutionsPerAuthority": [
                {
                    "authority": authority,
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": spoken, "id": resolved}}],
                }
            ]
        }
    else:
        slot["resolutions"] = {
            "resolutionsPerAuthority": [
                {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
            ]
        }
    return slot


@dataclass
class AlexaSession:
    skill_id: str = DEFAULT_SKILL_ID
    user_id: str = field(default_factory=lambda: f"amzn1.ask.account.{uuid.uuid4().hex}")
    device_id: str = "amzn1.ask.device.console"
    locale: str = "en-US"
    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True
    #: A device with a screen (an Echo Show): requests say it renders APL.
    screen: bool = False
    #: The voice Alexa recognised (``context.System.person``), if any.
    person_id: str | None = None

    def envelope(self, request: dict[str, Any]) -> dict[str, Any]:
        application = {"applicationId": self.skill_id}
        user = {"userId": self.user_id}
        request = {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": _now(),
            "locale": self.locale,
            **request,
        }
        context: dict[str, Any] = {
            "System": {
                "application": application,
                "user": user,
                "device": {
                    "deviceId": self.device_id,
                    "supportedInterfaces": dict(SCREEN_INTERFACES) if self.screen else {},
                },
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        }
        if self.screen:
            context["Viewport"] = dict(SCREEN_VIEWPORT)
        if self.person_id:
            context["System"]["person"] = {"personId": self.person_id}
        return {
            "version": "1.0",
            "session": {
                "new": self.new,
                "sessionId": self.session_id,
                "application": application,
                "attributes": dict(self.attributes),
                "user": user,
            },
            "context": context,
            "request": request,
        }

    def launch(self) -> dict[str, Any]:
        return self.envelope({"type": "LaunchRequest"})

    def intent(self, name: str, **slots: SlotValue) -> dict[str, Any]:
        intent = {
            "name": name,
            "confirmationStatus": "NONE",
            "slots": {key: _slot(key, value, self.skill_id) for key, value in slots.items()},
        }
        return self.envelope(
            {"type": "IntentRequest", "dialogState": "COMPLETED", "intent": intent}
        )

    def user_event(self, arguments: list[str], token: str = "") -> dict[str, Any]:
        """A touch on the screen: an APL ``SendEvent`` with its arguments."""
        return self.envelope(
            {
                "type": "Alexa.Presentation.APL.UserEvent",
                "token": token,
                "arguments": list(arguments),
                "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
                "components": {},
            }
        )

    def session_ended(self, reason: str = "USER_INITIATED") -> dict[str, Any]:
        return self.envelope({"type": "SessionEndedRequest", "reason": reason})

    def skill_disabled(self) -> dict[str, Any]:
        """``AlexaSkillEvent.SkillDisabled``: outside any session, for the account."""
        envelope = self.envelope(
            {
                "type": "AlexaSkillEvent.SkillDisabled",
                "eventCreationTime": _now(),
                "eventPublishingTime": _now(),
                "body": {"userInformation": {"persistenceStatus": "NOT_PERSISTED"}},
            }
        )
        del envelope["session"]
        envelope["context"]["System"].pop("person", None)
        return envelope

    def absorb(self, response: dict[str, Any]) -> None:
        """Carry the response's attributes into the next turn, or start a new session."""
        if response.get("response", {}).get("shouldEndSession") is not False:
            self.restart()
        else:
            self.attributes = dict(response.get("sessionAttributes") or {})
            self.new = False

    def restart(self) -> None:
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.attributes = {}
        self.new = True
