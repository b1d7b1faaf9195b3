"""Routines, FAQ, prompts and intent samples: data files validated once into typed objects.

Pure: no I/O beyond reading this folder's YAML at load, and no flask or ask_sdk.
"""

from __future__ import annotations

from skill.content.loader import ContentError, load_content
from skill.content.model import (
    Content,
    FaqEntry,
    IntentSamples,
    Routine,
    ScreenText,
    Side,
    SlotValue,
    Step,
)

__all__ = [
    "Content",
    "ContentError",
    "FaqEntry",
    "IntentSamples",
    "Routine",
    "ScreenText",
    "Side",
    "SlotValue",
    "Step",
    "load_content",
]
