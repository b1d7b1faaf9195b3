"""The ``workout-planner`` command.

Subcommands live beside what they drive and are imported only when run, so that
``workout-planner serve`` does not pay for the audio toolchain (and the reverse)::

    workout-planner serve --port 8080 --db var/progress.sqlite3 --skill-id amzn1.ask.skill.x
    workout-planner audio build --engine piper
    workout-planner chat
"""

from __future__ import annotations

import importlib

import click

#: name -> "module:attribute" of a click command.
COMMANDS: dict[str, str] = {
    "serve": "skill.web.serve:serve",
    "package": "skill.deploy.package:package",
    "audio": "skill.audio.cli:audio",
    "chat": "skill.chat.cli:chat",
    "model": "skill.model:model_command",
    "diagram": "skill.diagram:diagram_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command), target
        return command


@click.group(cls=LazyGroup)
@click.version_option(package_name="workout-planner")
def main() -> None:
    """Workout Planner: a voice-guided upper-back mobility skill for Alexa."""
