"""The ``workout-planner chat`` console: a typed conversation with the skill, as Alexa has it.

``Console`` sends each line as a real request envelope (``skill.nlu`` picks the intent) to the
skill in this process or on a server; ``run_script`` checks a scripted conversation::

    from skill.chat import Console, InProcess, resolver_for, run_script
    from skill.envelopes import AlexaSession
    from skill.settings import Settings

    console = Console(InProcess(Settings()), resolver_for("en-GB"), AlexaSession(locale="en-GB"))
    result = run_script("tests/transcripts/first_routine.txt", console)
    assert result.ok, result.summary()  # "...: ok in en-GB (9 turns, 29 checks)"

Lines are resolved with the locale's own model (``resolver_for``); a script's ``@ locale`` line
switches the console to that locale (see ``skill.chat.script``).
"""

from skill.chat.channel import Channel, ChannelError, InProcess, OverHttp
from skill.chat.console import Console, Exchange
from skill.chat.models import UnknownLocale, resolver_for
from skill.chat.script import (
    Mismatch,
    Script,
    ScriptError,
    ScriptResult,
    load_script,
    parse_script,
    run_script,
)
from skill.chat.view import Heard

__all__ = [
    "Channel",
    "ChannelError",
    "Console",
    "Exchange",
    "Heard",
    "InProcess",
    "Mismatch",
    "OverHttp",
    "Script",
    "ScriptError",
    "ScriptResult",
    "UnknownLocale",
    "load_script",
    "parse_script",
    "resolver_for",
    "run_script",
]
