"""The ``workout-planner chat`` console: a typed conversation with the skill, as Alexa has it.

``Console`` sends each line as a real request envelope (``skill.nlu`` picks the intent) to the
skill in this process or on a server; ``run_script`` checks a scripted conversation::

    from skill.chat import Console, InProcess, run_script
    from skill.nlu import Resolver
    from skill.settings import Settings

    channel, resolver = InProcess(Settings()), Resolver.from_file()
    print(Console(channel, resolver).say("open workout planner").heard.speech)
    result = run_script("tests/transcripts/first_routine.txt", Console(channel, resolver))
    assert result.ok, result.summary()
"""

from skill.chat.channel import Channel, ChannelError, InProcess, OverHttp
from skill.chat.console import Console, Exchange
from skill.chat.script import Mismatch, ScriptError, ScriptResult, parse_script, run_script
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
    "ScriptError",
    "ScriptResult",
    "parse_script",
    "run_script",
]
