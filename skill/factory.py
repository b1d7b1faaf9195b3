"""Builds the skill from its dependencies: content, a persistence adapter and settings.

No module-level state: tests (and the web app, the Lambda handler, the console) each build
their own skill with what they need.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope

from skill.content import Content, Library, bundled_library
from skill.display import TouchHandler
from skill.envelope_reader import ModelReader, ModelWriter
from skill.handlers import (
    ApologyHandler,
    CanFulfillHandler,
    Conversation,
    ConversationHandler,
    NoProgress,
    OtherLanguageHandler,
    ProgressKeeper,
    SessionEndedHandler,
    SilentHandler,
)
from skill.settings import Settings
from skill.skill_events import SkillDisabledHandler
from skill.speech import HostedCue, SpeechRenderer

log = logging.getLogger("skill.factory")


#: The SDK's name for the envelope type, as its models name their fields' types.
ENVELOPE_TYPE = "ask_sdk_model.request_envelope.RequestEnvelope"


class EnvelopeSerializer(DefaultSerializer):  # type: ignore[misc]
    """The SDK's serializer, reading requests with :class:`skill.envelope_reader.ModelReader`.

    The SDK's own reading costs most of a request (docs/benchmarks.md): it re-parses each
    model's type strings and imports each class by name every time, and reads timestamps with
    dateutil. ``ModelReader`` builds the same objects from the models' public metadata, planned
    once per type, and ``ModelWriter`` writes responses the same way.
    """

    def __init__(self) -> None:
        super().__init__()
        self._reader = ModelReader()
        self._writer = ModelWriter()

    def serialize(self, obj: Any) -> Any:
        """What ``DefaultSerializer.serialize`` returns, with each class's fields planned once."""
        return self._writer.write(obj)

    def from_dict(self, payload: dict[str, Any]) -> RequestEnvelope:
        """The envelope from a dict the web layer (or Lambda) already parsed."""
        envelope = self._reader.read(payload, ENVELOPE_TYPE)
        if not isinstance(envelope, RequestEnvelope):
            raise SerializationException("the request body is not an Alexa request envelope")
        return envelope


_serializer = EnvelopeSerializer()


def speech_renderer(settings: Settings) -> SpeechRenderer:
    """Cues play as <audio> only when they are hosted (AUDIO_BASE_URL) and the manifest is there."""
    if not settings.audio_base_url:
        return SpeechRenderer()
    from skill.audio.manifest import load_manifest  # stdlib only; the audio toolchain stays out

    manifest_path = settings.audio_dir / "manifest.json"
    try:
        manifest = load_manifest(manifest_path)
    except (OSError, ValueError) as exc:
        log.warning("audio manifest unusable; speaking text", extra={"error": str(exc)})
        return SpeechRenderer()
    cues = {cue_id: HostedCue(e.file, e.duration_seconds, e.text) for cue_id, e in manifest.items()}
    return SpeechRenderer(cues, settings.audio_base_url)


def build_skill(
    *,
    content: Content | None = None,
    library: Library | None = None,
    persistence: AbstractPersistenceAdapter | None = None,
    settings: Settings | None = None,
    keeper: ProgressKeeper | None = None,
) -> CustomSkill:
    """The skill, with its request handlers registered in the one order that matters."""
    if library is None:  # every bundled locale, or only ``content`` when given
        library = Library.of(content) if content is not None else bundled_library()
    settings = settings or Settings()
    if persistence is None:
        persistence = store_adapter(settings)
    if keeper is None:
        keeper = _keeper(persistence)
    speech = speech_renderer(settings)
    conversation = Conversation(library, speech, keeper)

    # The SDK's own annotations say these are required; None is its documented default.
    builder = CustomSkillBuilder(persistence_adapter=persistence)  # type: ignore[arg-type]
    builder.skill_id = settings.skill_id  # type: ignore[assignment]
    # First match wins. SessionEnded, skill events and CanFulfill come before the conversation,
    # which takes every Launch and Intent request, and touches on the screen (APL UserEvent)
    # go through the same conversation; the silent handler takes what is left.
    for handler in (
        SessionEndedHandler(library, keeper),
        SkillDisabledHandler(persistence),
        CanFulfillHandler(library),
        OtherLanguageHandler(library, speech),
        ConversationHandler(conversation),
        TouchHandler(conversation),
        SilentHandler(),
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(ApologyHandler(library))
    return builder.create()


def sqlite_adapter(path: Path) -> AbstractPersistenceAdapter:
    """The embedded store, merging concurrent writes so no update is lost."""
    from skill.persistence.url import StoreUrl, open_store

    return open_store(StoreUrl("sqlite", path=path))


def store_adapter(settings: Settings) -> AbstractPersistenceAdapter | None:
    """The store the settings name (``store_url``, else ``db_path``), or ``None``: no store.

    Raises ``skill.persistence.url.StoreUrlError`` for a URL that names no usable store.
    """
    if settings.store_url:
        from skill.persistence.url import open_store, parse_store_url

        return open_store(parse_store_url(settings.store_url))
    return sqlite_adapter(settings.db_path) if settings.db_path is not None else None


def _keeper(persistence: AbstractPersistenceAdapter | None) -> ProgressKeeper:
    if persistence is None:
        return NoProgress()
    from skill.keeper import StoredProgress

    return StoredProgress()


def invoke(skill: CustomSkill, envelope: dict[str, Any] | str | bytes) -> dict[str, Any]:
    """One request through the skill: deserialise, invoke, serialise."""
    if not isinstance(envelope, dict):
        try:
            envelope = json.loads(envelope)
        except ValueError as exc:  # UnicodeDecodeError included
            raise SerializationException("the request body is not JSON") from exc
        if not isinstance(envelope, dict):
            raise SerializationException("the request body is not a JSON object")
    request_envelope = _serializer.from_dict(envelope)
    response = skill.invoke(request_envelope=request_envelope, context=None)
    result = _serializer.serialize(response)
    assert isinstance(result, dict)
    return result
