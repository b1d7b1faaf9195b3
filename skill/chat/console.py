"""A conversation with the skill, one typed line at a time, carried the way Alexa carries it.

Each line is resolved to an intent against the interaction model (``skill.nlu``) and sent as a
real request envelope through one ``AlexaSession``: the session id and attributes carry over,
the user id stays the same, and a new session starts after the skill ends one.

- "open workout planner" (or an empty line when no session is open) sends a LaunchRequest;
  said while a session is open, it starts a new one, as re-invoking a skill does on a device.
- An empty line in an open session is silence: Alexa plays the reprompt; a second silence ends
  the session (SessionEndedRequest, EXCEEDED_MAX_REPROMPTS).
- ``end()`` (Ctrl-D or "quit" in the console) sends a SessionEndedRequest, USER_INITIATED.
- ``--touch NAME`` (a line, in the console or a script) touches the target NAME (its name or
  its label) on the screen the last reply showed: an APL UserEvent, as an Echo Show sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from skill.chat.channel import Channel
from skill.chat.view import Heard
from skill.envelopes import AlexaSession
from skill.nlu import LAUNCH, Resolution, Resolver

SILENCE = "(silence)"
TOUCH = "--touch"


class TouchError(ValueError):
    """A touch on something the screen does not show."""


@dataclass(frozen=True)
class Exchange:
    """One turn: what was typed, what it resolved to, which request went, what came back."""

    said: str
    resolution: Resolution | None
    request: str  # "LaunchRequest", "IntentRequest", "SessionEndedRequest", or SILENCE
    heard: Heard


class Console:
    """Talks to a skill through ``channel`` as one person on one device."""

    def __init__(
        self,
        channel: Channel,
        resolver: Resolver,
        session: AlexaSession | None = None,
        cue_texts: Mapping[str, str] | None = None,
        cue_ids: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """``cue_texts``: file name -> words; ``cue_ids``: locale -> file name -> cue id."""
        self.channel = channel
        self.resolver = resolver
        self.session = session or AlexaSession()
        self.cue_texts = dict(cue_texts or {})
        self.cue_ids = dict(cue_ids or {})
        self._last: Heard | None = None
        self._silences = 0

    @property
    def in_session(self) -> bool:
        return not self.session.new

    def talk_in(self, locale: str, resolver: Resolver) -> None:
        """From the next session on, be a device in ``locale``, heard by ``resolver``.

        Only between sessions: a device does not change its locale mid-conversation.
        """
        if self.in_session:
            raise ValueError("the locale changes between sessions, not in an open one")
        self.session.locale = locale
        self.resolver = resolver

    def say(self, line: str) -> Exchange:
        """Send what the person says (an empty line is silence, or opens the skill)."""
        line = line.strip()
        if line == TOUCH or line.startswith(TOUCH + " "):
            return self.touch(line[len(TOUCH) :].strip())
        if not line:
            if not self.in_session:
                return self._send("", None, self.session.launch())
            return self._silence()
        resolution = self.resolver.resolve(line)
        if resolution.one_shot and self.in_session:
            self.session.restart()
        if resolution.intent == LAUNCH:
            return self._send(line, resolution, self.session.launch())
        envelope = self.session.intent(resolution.intent, **resolution.slots)
        return self._send(line, resolution, envelope)

    def touch(self, name: str) -> Exchange:
        """Touch the target ``name`` (its name or label) on the last reply's screen."""
        shown = self._last.shown if self._last and self.in_session else None
        target = shown.target(name) if shown else None
        if shown is None or target is None:
            names = ", ".join(t.name for t in shown.targets) if shown else ""
            offered = names or ("nothing" if shown else "nothing: no screen")
            raise TouchError(f"no touch target {name!r} on the screen (it offers {offered})")
        envelope = self.session.user_event(
            list(target.arguments), f"workoutPlanner.{shown.document}"
        )
        return self._send(f"{TOUCH} {name}", None, envelope)

    def end(self, reason: str = "USER_INITIATED") -> Exchange | None:
        """Close an open session the way Alexa does: a SessionEndedRequest (no reply is heard)."""
        if not self.in_session:
            return None
        return self._send("", None, self.session.session_ended(reason))

    def _silence(self) -> Exchange:
        self._silences += 1
        if self._silences >= 2:
            ended = self.end("EXCEEDED_MAX_REPROMPTS")
            assert ended is not None
            return ended
        last = self._last
        reprompt = last.reprompt if last else ""
        heard = Heard(reprompt, reprompt, "", "", (), False, reprompt)
        return Exchange("", None, SILENCE, heard)

    def _send(self, said: str, resolution: Resolution | None, envelope: dict[str, Any]) -> Exchange:
        request = str(envelope["request"]["type"])
        response = self.channel.send(envelope)
        self.session.absorb(response)
        ids = self.cue_ids.get(self.session.locale)  # a file plays one cue id in each locale
        heard = Heard.from_response(response, self.cue_texts, ids)
        self._silences = 0
        self._last = heard
        return Exchange(said, resolution, request, heard)
