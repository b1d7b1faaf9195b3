"""Routines, FAQ, prompts and intent samples: data files validated once into typed objects,
one bundle per locale (``load_content("en-GB")``), chosen per request by a ``Library``.

Pure: no I/O beyond reading this folder's YAML at load, and no flask or ask_sdk.
"""

from __future__ import annotations

from skill.content.loader import ContentError, bundled_library, bundled_locales, load_content
from skill.content.locales import Choice, Library
from skill.content.model import (
    DEFAULT_LOCALE,
    Content,
    FaqEntry,
    IntentSamples,
    LocaleFacts,
    Routine,
    ScreenText,
    Side,
    SlotValue,
    Step,
)

__all__ = [
    "DEFAULT_LOCALE",
    "Choice",
    "Content",
    "ContentError",
    "FaqEntry",
    "IntentSamples",
    "Library",
    "LocaleFacts",
    "Routine",
    "ScreenText",
    "Side",
    "SlotValue",
    "Step",
    "bundled_library",
    "bundled_locales",
    "load_content",
]
