"""Drives the real skill the way Alexa does, and reads responses the way a person would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from skill.envelopes import AlexaSession, SlotValue
from skill.factory import invoke

_TAGS = re.compile(r"<[^>]+>")


def plain(ssml: str | None) -> str:
    return " ".join(_TAGS.sub(" ", ssml or "").split())


@dataclass
class Said:
    """One response, read the way a person would hear and see it."""

    raw: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        return self.raw.get("response", {})

    @property
    def speech(self) -> str:
        return plain(self.response.get("outputSpeech", {}).get("ssml"))

    @property
    def reprompt(self) -> str:
        return plain(self.response.get("reprompt", {}).get("outputSpeech", {}).get("ssml"))

    @property
    def card(self) -> dict[str, Any]:
        return self.response.get("card") or {}

    @property
    def ended(self) -> bool:
        return self.response.get("shouldEndSession") is not False

    @property
    def state(self) -> str | None:
        return (self.raw.get("sessionAttributes") or {}).get("workoutPlanner", {}).get("state")

    def __contains__(self, phrase: str) -> bool:
        return phrase.lower() in self.speech.lower()


class Dialogue:
    """A person talking to the skill through a real Alexa session."""

    def __init__(self, skill: Any, session: AlexaSession) -> None:
        self.skill = skill
        self.alexa = session
        self.last: Said | None = None

    def send(self, envelope: dict[str, Any]) -> Said:
        said = Said(invoke(self.skill, envelope))
        self.alexa.absorb(said.raw)
        self.last = said
        return said

    def launch(self) -> Said:
        return self.send(self.alexa.launch())

    def say(self, intent: str, **slots: SlotValue) -> Said:
        return self.send(self.alexa.intent(intent, **slots))

    def start(self, routine: str | None = None, *, screening: str = "no") -> Said:
        """Launch, start a routine, answer the screening question: step one."""
        self.launch()
        slots = {"routine": (routine, routine)} if routine else {}
        said = self.say("StartRoutineIntent", **slots)
        if said.state == "screening":
            said = self.say("AMAZON.YesIntent" if screening == "yes" else "AMAZON.NoIntent")
        return said
