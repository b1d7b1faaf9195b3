"""Runtime settings, read once from the environment (or given explicitly by tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: The repository's bundled cues; the Lambda package carries the manifest alone.
DEFAULT_AUDIO_DIR = Path(__file__).resolve().parent.parent / "audio"


@dataclass(frozen=True)
class Settings:
    #: The Alexa skill id requests must carry exactly; ``None`` only when verification is off.
    skill_id: str | None = None
    #: Check the signature and timestamp of each web request (never off on a public endpoint).
    verify_signatures: bool = True
    #: Public HTTPS base URL the cues are served from; without it replies speak plain SSML text.
    audio_base_url: str | None = None
    audio_dir: Path = field(default=DEFAULT_AUDIO_DIR)
    #: The embedded SQLite store; ``None`` keeps progress in the session only.
    db_path: Path | None = None
    #: Where progress is kept, as a URL (``skill.persistence.url``); wins over ``db_path``.
    store_url: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        db = env.get("WORKOUT_PLANNER_DB")
        return cls(
            skill_id=env.get("ALEXA_SKILL_ID") or None,
            verify_signatures=env.get("ALEXA_VERIFY", "1") not in ("0", "false", "no"),
            audio_base_url=(env.get("AUDIO_BASE_URL") or "").rstrip("/") or None,
            audio_dir=Path(env.get("AUDIO_DIR", DEFAULT_AUDIO_DIR)),
            db_path=Path(db) if db else None,
            store_url=env.get("WORKOUT_PLANNER_STORE") or None,  # skill.persistence.url.STORE_ENV
        )
