"""The APL documents the skill sends to devices with a screen: data files, one a screen.

Each binds ``${payload.screen...}`` to the data ``skill.screen`` builds. They use Amazon's
responsive components from the alexa-layouts package and lay out for the round hub, the
landscape hubs and TV (see "Viewport Profiles" in Amazon's APL documentation).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

APL_DIR = Path(__file__).resolve().parent
DOCUMENTS = ("step", "menu", "answer", "message", "stop", "urgent")


@lru_cache(maxsize=len(DOCUMENTS))
def document(name: str) -> dict[str, Any]:
    """The APL document ``name`` (one of ``DOCUMENTS``), read once."""
    if name not in DOCUMENTS:
        raise KeyError(f"no APL document {name!r}")
    loaded = json.loads((APL_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded
