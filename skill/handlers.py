"""ask-sdk adapters: each handler maps a request to a machine event and renders the reply.

Registration order is behaviour (the SDK takes the first handler whose ``can_handle`` is true);
``REQUEST_HANDLERS`` in ``skill.factory`` is the one place it is set.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any, Protocol

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import IntentRequest, Response
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from skill import metrics
from skill.content import Choice, Content, Library
from skill.content.keys import P
from skill.display import has_screen, render_directive
from skill.intents import INTENT_EVENTS, ROUTINE_SLOT, TOPIC_SLOT, faq_intents
from skill.machine import Effect, Event, Outcome, Turn, advance
from skill.reply import Card, Reply
from skill.speech import SpeechRenderer
from skill.state import Memory, SessionState

if TYPE_CHECKING:
    from skill.screen import Screen

log = logging.getLogger("skill.handlers")


class ProgressKeeper(Protocol):
    """What the conversation needs from the store (see ``skill.keeper``)."""

    def memory(self, handler_input: HandlerInput) -> Memory: ...

    def remember(self, handler_input: HandlerInput, outcome: Outcome) -> None: ...

    def apply(
        self, handler_input: HandlerInput, effects: frozenset[Effect], session: SessionState
    ) -> object: ...


class NoProgress:
    """No store: every session starts fresh."""

    def memory(self, handler_input: HandlerInput) -> Memory:
        return Memory()

    def remember(self, handler_input: HandlerInput, outcome: Outcome) -> None:
        return None

    def apply(
        self, handler_input: HandlerInput, effects: frozenset[Effect], session: SessionState
    ) -> None:
        return None


def slot_value(request: IntentRequest, name: str) -> tuple[str | None, str | None]:
    """(resolved id, raw spoken value) of a slot; either may be None."""
    slot = (request.intent.slots or {}).get(name) if request.intent else None
    if slot is None:
        return None, None
    for authority in getattr(slot.resolutions, "resolutions_per_authority", None) or []:
        if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH:
            # A match may still arrive without values or ids: fall back to the spoken value.
            for match in authority.values or []:
                if match.value is not None and match.value.id:
                    return match.value.id, slot.value
    return None, slot.value


def render(
    handler_input: HandlerInput, reply: Reply, speech: SpeechRenderer, screen: Screen | None = None
) -> Response:
    builder = handler_input.response_builder.speak(speech.ssml(reply.speech))
    if reply.card:
        builder.set_card(SimpleCard(title=reply.card.title, content=reply.card.text))
    directive = render_directive(screen) if screen else None
    if directive is not None:
        builder.add_directive(directive)
    if reply.end_session:
        builder.set_should_end_session(True)
    else:
        builder.ask(speech.ssml(reply.reprompt, reprompt=True))
    return builder.response


_CHOICE = "workoutPlanner.bundle"


def bundle_for(handler_input: HandlerInput, library: Library) -> Choice:
    """The request's bundle, chosen once per request (and the fallback logged once)."""
    attributes = handler_input.attributes_manager.request_attributes
    choice = attributes.get(_CHOICE)
    if isinstance(choice, Choice):
        return choice
    requested = getattr(handler_input.request_envelope.request, "locale", None)
    choice = attributes[_CHOICE] = library.choose(requested)
    if choice.fell_back:
        log.info(
            "no content for the request's locale",
            extra={
                "locale": requested,
                "answered_in": choice.content.locale,
                "language_supported": not choice.unsupported,
            },
        )
    return choice


class Conversation:
    """Runs one turn through the machine, keeping session state and progress."""

    def __init__(self, library: Library, speech: SpeechRenderer, keeper: ProgressKeeper) -> None:
        self.library = library
        self.speech = speech
        self.keeper = keeper
        #: Each FAQ topic's own intent -> its topic id.
        #: (The same in every locale: overlays change what an entry says, not which there are.)
        self.faq_intents = faq_intents(library.default)

    def content_for(self, handler_input: HandlerInput) -> Content:
        """The bundle of the request's locale."""
        return bundle_for(handler_input, self.library).content

    def turn_for(self, handler_input: HandlerInput, content: Content | None = None) -> Turn:
        content = content or self.content_for(handler_input)
        request = handler_input.request_envelope.request
        memory = self.keeper.memory(handler_input)
        session = handler_input.request_envelope.session
        opening = session is None or session.new is not False  # a launch, or a one-shot request
        if not isinstance(request, IntentRequest):
            return Turn(Event.LAUNCH, memory=memory, opening=True)
        name = request.intent.name if request.intent else None
        if name in self.faq_intents:
            return Turn(Event.FAQ, topic=self.faq_intents[name], memory=memory, opening=opening)
        event = INTENT_EVENTS.get(name or "", Event.FALLBACK)
        if event is Event.START_ROUTINE:
            resolved, spoken = slot_value(request, ROUTINE_SLOT)
            routine = resolved or (content.find_routine(spoken) or "" if spoken else None)
            return Turn(event, routine=routine, memory=memory, opening=opening)
        if event is Event.FAQ:
            resolved, spoken = slot_value(request, TOPIC_SLOT)
            topic = resolved or (content.find_topic(spoken) if spoken else None)
            return Turn(event, topic=topic, memory=memory, opening=opening)
        return Turn(event, memory=memory, opening=opening)

    def respond(self, handler_input: HandlerInput, turn: Turn | None = None) -> Response:
        """One turn: the request's own (spoken), or ``turn`` (a touch on the screen)."""
        attributes = handler_input.attributes_manager.session_attributes
        session = SessionState.from_attributes(attributes)
        content = self.content_for(handler_input)
        turn = turn or self.turn_for(handler_input, content)
        outcome = advance(session, turn, content)
        handler_input.attributes_manager.session_attributes = outcome.session.to_attributes()
        self.keeper.remember(handler_input, outcome)
        metrics.record(metrics.turn_counts(session, turn.event, outcome, content))
        speech = self.speech.for_locale(content.locale)
        screen = None
        if has_screen(handler_input):
            from skill.screen import screen_for  # screens only: voice-only starts skip it

            screen = screen_for(
                outcome.session, outcome.reply, turn.event, content, speech.cue_seconds
            )
        return render(handler_input, outcome.reply, speech, screen)


class ConversationHandler(AbstractRequestHandler):
    """LaunchRequest and every IntentRequest, known or not (unknown ones are a fallback)."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input) or is_request_type("IntentRequest")(
            handler_input
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.conversation.respond(handler_input)


class OtherLanguageHandler(AbstractRequestHandler):
    """A Launch or Intent request in a language the skill does not speak: a short apology."""

    def __init__(self, library: Library, speech: SpeechRenderer) -> None:
        self.library = library
        self.speech = speech

    def can_handle(self, handler_input: HandlerInput) -> bool:
        conversational = is_request_type("LaunchRequest")(handler_input) or is_request_type(
            "IntentRequest"
        )(handler_input)
        return conversational and bundle_for(handler_input, self.library).unsupported

    def handle(self, handler_input: HandlerInput) -> Response:
        content = bundle_for(handler_input, self.library).content
        line = content.prompt(P.LANGUAGE_UNSUPPORTED)
        reply = Reply((line,), card=Card(content.card_title, line.text), end_session=True)
        return render(handler_input, reply, self.speech.for_locale(content.locale))


class SessionEndedHandler(AbstractRequestHandler):
    """Alexa ends the session (timeout, user exit, another skill, error): answer with an empty
    response. Mid-routine, the session attributes carry the step: the routine was left there."""

    def __init__(self, library: Library, keeper: ProgressKeeper) -> None:
        self.library = library
        self.keeper = keeper

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request: Any = handler_input.request_envelope.request
        if request.error is not None:
            log.warning(
                "session ended with an error",
                extra={"reason": str(request.reason), "error_type": str(request.error.object_type)},
            )
        session = SessionState.from_attributes(handler_input.attributes_manager.session_attributes)
        content = bundle_for(handler_input, self.library).content
        metrics.record(metrics.session_ended_counts(session, content))
        if session.in_routine:
            self.keeper.apply(handler_input, frozenset({Effect.ROUTINE_LEFT}), session)
        return handler_input.response_builder.response


class CanFulfillHandler(AbstractRequestHandler):
    """Name-free invocation: say which intents this skill can take."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("CanFulfillIntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request: Any = handler_input.request_envelope.request
        intent = request.intent
        choice = bundle_for(handler_input, self.library)
        content = choice.content
        known = (
            intent is not None
            and not choice.unsupported
            and (intent.name in INTENT_EVENTS or intent.name in faq_intents(content))
        )
        finders = {ROUTINE_SLOT: content.find_routine, TOPIC_SLOT: content.find_topic}
        slots = {}
        for name, slot in ((intent.slots or {}) if intent else {}).items():
            value = slot.value or ""
            finder = finders.get(name)
            understood = bool(finder and finder(value))
            slots[name] = CanFulfillSlot(
                can_understand=CanUnderstandSlotValues.YES
                if understood
                else CanUnderstandSlotValues.MAYBE,
                can_fulfill=CanFulfillSlotValues.YES if understood else CanFulfillSlotValues.NO,
            )
        verdict = CanFulfillIntentValues.YES if known else CanFulfillIntentValues.NO
        handler_input.response_builder.set_can_fulfill_intent(
            CanFulfillIntent(can_fulfill=verdict, slots=slots)
        )
        return handler_input.response_builder.response


class SilentHandler(AbstractRequestHandler):
    """Anything else (System.ExceptionEncountered, player events): a valid, empty response."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info(
            "request answered silently",
            extra={
                "request_type": getattr(handler_input.request_envelope.request, "object_type", None)
            },
        )
        return handler_input.response_builder.response


class ApologyHandler(AbstractExceptionHandler):
    """Any exception: a spoken apology that keeps the session and its state; logged, not shown."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request = handler_input.request_envelope.request
        # Type and place only: an exception's message can quote what the person said.
        frame = traceback.extract_tb(exception.__traceback__)[-1:] or None
        metrics.handler_error()
        log.error(
            "handler failed",
            extra={
                "request_type": getattr(request, "object_type", None),
                "error_type": type(exception).__name__,
                "where": f"{frame[0].filename}:{frame[0].lineno}" if frame else None,
            },
        )
        try:
            content = bundle_for(handler_input, self.library).content
        except Exception:  # the failure may be the bundle's own: the default always loaded
            content = self.library.default
        speech = content.prompt(P.APOLOGY).text
        return (
            handler_input.response_builder.speak(speech)
            .ask(content.prompt(P.APOLOGY_REPROMPT).text)
            .set_card(SimpleCard(title=content.card_title, content=speech))
            .response
        )
