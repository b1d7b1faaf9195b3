"""Plays cue files from the local audio directory with whatever player the machine has."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from skill.chat.view import cue_name

#: Tried in order; each plays one MP3 and exits.
PLAYERS: tuple[tuple[str, ...], ...] = (
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"),
    ("mpg123", "-q"),
    ("mpv", "--no-video", "--really-quiet"),
    ("afplay",),
    ("paplay",),
    ("play", "-q"),
)


def find_player() -> tuple[str, ...] | None:
    """The first available player command (with its arguments), or None."""
    for command in PLAYERS:
        path = shutil.which(command[0])
        if path:
            return (path, *command[1:])
    return None


class CuePlayer:
    """Plays cue URLs by file name from ``audio_dir``; says why when it cannot."""

    def __init__(self, audio_dir: Path, command: tuple[str, ...] | None = None) -> None:
        self.audio_dir = audio_dir
        self.command = command if command is not None else find_player()

    @property
    def note(self) -> str | None:
        if self.command is None:
            names = ", ".join(c[0] for c in PLAYERS)
            return f"--play: no audio player found (tried {names}); install ffmpeg or mpg123"
        return None

    def play(self, urls: Iterable[str]) -> list[str]:
        """Play each cue in turn, waiting for each; returns notes about cues it could not play."""
        if self.command is None:
            return []
        problems = []
        for url in urls:
            path = self.audio_dir / cue_name(url)
            if not path.is_file():
                problems.append(f"cue file not found: {path}")
                continue
            completed = subprocess.run(
                [*self.command, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            if completed.returncode != 0:
                problems.append(f"{self.command[0]} failed on {path.name}")
        return problems
