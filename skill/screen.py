"""What a device with a screen shows for a reply, and which machine event each touch is.

Pure: the screen is derived from the session state after the turn, the reply, the turn's event
and the content, never from the machine's internals. Every word shown comes from the content
(``screen.yaml`` for labels, the routines and FAQ for the rest). The documents that lay these
data out are the APL files in ``skill/apl/``; ``skill.display`` sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from skill.content import Content, FaqEntry, Routine
from skill.content.model import capitalised as _capital
from skill.machine.events import Event, Turn
from skill.reply import Line, Reply
from skill.state import Memory, SessionState, State

#: The one name every document's data sits under: ``${payload.screen...}``.
DATA_KEY = "screen"
#: Events a touch may send: the same events the spoken intents map to.
TOUCH_EVENTS = frozenset(
    {
        Event.NEXT,
        Event.PREVIOUS,
        Event.REPEAT,
        Event.PAUSE,
        Event.RESUME,
        Event.YES,
        Event.NO,
        Event.START_OVER,
        Event.START_ROUTINE,
        Event.LIST_ROUTINES,
        Event.PAIN,
    }
)
#: Without a hosted cue, how fast Alexa's voice is taken to speak (about 150 words a minute).
WORDS_PER_SECOND = 2.5
#: A hosted step cue is its words, the hold, then this end tone (``skill.audio.tones``).
END_TONE_SECONDS = 0.9

#: Touch target name -> (event, label key).
_TARGETS: dict[str, tuple[Event, str]] = {
    "previous": (Event.PREVIOUS, "previous"),
    "repeat": (Event.REPEAT, "repeat"),
    "pause": (Event.PAUSE, "pause"),
    "next": (Event.NEXT, "next"),
    "finish": (Event.NEXT, "finish"),
    "resume": (Event.RESUME, "resume"),
    "yes": (Event.YES, "answer_yes"),
    "no": (Event.NO, "answer_no"),
    "start": (Event.START_OVER, "start_default"),
    "pain": (Event.PAIN, "it_hurts"),
}
_YES_NO = ("yes", "no")
_QUESTIONS = (State.SCREENING, State.RESUME_OFFER, State.CONFIRM_DELETE)


@dataclass(frozen=True)
class Screen:
    """One document (a file in ``skill/apl/``) and the data source it binds."""

    document: str
    data: dict[str, Any]

    @property
    def datasources(self) -> dict[str, Any]:
        return {DATA_KEY: self.data}


#: How long a line takes to say, in seconds, when its cue is hosted (else None).
CueSeconds = Callable[[Line], "float | None"]


def _no_cues(line: Line) -> float | None:
    return None


def _target(content: Content, name: str, value: str = "") -> dict[str, str]:
    event, label = _TARGETS[name]
    return {
        "name": name,
        "label": content.screen.label(label),
        "event": event.value,
        "value": value,
    }


def _said(reply: Reply) -> str:
    return " ".join(line.text for line in reply.speech)


def _spoken_seconds(line: Line, cue_seconds: CueSeconds) -> float:
    seconds = cue_seconds(line)
    return seconds if seconds is not None else len(line.text.split()) / WORDS_PER_SECOND


def _countdown(
    content: Content, routine: Routine, index: int, reply: Reply, cue_seconds: CueSeconds
) -> dict[str, Any]:
    """The hold, counted down on the device from when the step's words have been said."""
    hold = routine.steps[index].hold_seconds or 0
    if not hold:
        return {"seconds": 0, "startAfterMs": 0, "label": ""}
    step_cue = content.step_line(routine, index).cue
    lead = 0.0
    for line in reply.speech:
        seconds = _spoken_seconds(line, cue_seconds)
        if line.cue == step_cue:
            # A hosted step cue carries the hold itself after its words, then an end tone.
            hosted = cue_seconds(line) is not None
            lead += seconds - hold - END_TONE_SECONDS if hosted else seconds
            break
        lead += seconds
    return {
        "seconds": hold,
        "startAfterMs": max(0, round(lead * 1000)),
        "label": content.screen.label("countdown_label", seconds=hold),
    }


def _faq_in(reply: Reply, content: Content) -> FaqEntry | None:
    for line in reply.speech:
        if line.cue and line.cue.startswith("faq."):
            return content.faq_entry(line.cue.removeprefix("faq."))
    return None


def _pain(content: Content, shown: bool = True) -> dict[str, Any]:
    return {**_target(content, "pain"), "shown": shown}


def _base(content: Content, routine: Routine | None) -> dict[str, Any]:
    labels = content.screen
    return {
        "title": _capital(routine.name) if routine else labels.label("app_title"),
        "subtitle": "",
        "body": "",
        "targets": [],
        "primaryTargets": [],
        "pain": _pain(content),
    }


def screen_for(
    session: SessionState,
    reply: Reply,
    event: Event,
    content: Content,
    cue_seconds: CueSeconds = _no_cues,
) -> Screen:
    """The screen for a reply; ``session`` is the state after the turn."""
    labels = content.screen
    routine = content.routine(session.routine_id)
    if event in (Event.RED_FLAG, Event.CHEST_PAIN):
        return Screen(
            "urgent",
            {
                "title": labels.label("app_title"),
                "subtitle": "",
                "heading": labels.label("urgent_title"),
                "body": _said(reply),
                "numberLabel": labels.label("urgent_number_label"),
                "number": labels.emergency_number,
            },
        )
    data = _base(content, routine)
    if session.state is State.PAIN_STOPPED:
        data.update(
            heading=labels.label("stopped_title"),
            body=_said(reply),
            note=labels.label("stopped_note"),
        )
        del data["targets"], data["primaryTargets"], data["pain"]
        return Screen("stop", data)
    if reply.end_session:
        data.update(body=_said(reply), pain=_pain(content, shown=False))
        return Screen("message", data)
    entry = _faq_in(reply, content)
    if entry is not None:
        targets = _state_targets(content, session, routine)
        heading = _capital(labels.label("faq_heading", name=entry.name))
        data.update(heading=heading, body=entry.answer)
        data.update(targets=targets, primaryTargets=targets[-1:])
        return Screen("answer", data)
    if session.state in (State.IN_STEP, State.PAUSED, State.ASIDE) and routine is not None:
        return Screen("step", _step(content, session, routine, reply, cue_seconds, data))
    if session.state in (State.READY, State.FINISHED):
        finished = session.state is State.FINISHED
        targets = [_target(content, "start")] if finished else []
        data.update(
            title=labels.label("finished_title" if finished else "menu_title"),
            subtitle=_capital(routine.name) if finished and routine else "",
            body=_said(reply),
            items=[
                {
                    "name": r.id,
                    "label": _capital(r.name),
                    "event": Event.START_ROUTINE.value,
                    "value": r.id,
                }
                for r in content.routines
            ],
            targets=targets,
            primaryTargets=targets,
        )
        return Screen("menu", data)
    targets = _state_targets(content, session, routine)
    data.update(body=_said(reply), targets=targets, primaryTargets=targets)
    return Screen("message", data)


def _state_targets(
    content: Content, session: SessionState, routine: Routine | None
) -> list[dict[str, str]]:
    if session.state in _QUESTIONS:
        return [_target(content, name) for name in _YES_NO]
    if session.state in (State.ASIDE, State.PAUSED) and routine is not None:
        return [_target(content, "resume")]
    return []


def _step(
    content: Content,
    session: SessionState,
    routine: Routine,
    reply: Reply,
    cue_seconds: CueSeconds,
    data: dict[str, Any],
) -> dict[str, Any]:
    index = session.step_index
    step = routine.steps[index]
    count = len(routine.steps)
    going = session.state is State.IN_STEP
    if going:
        last = index == count - 1
        targets = [_target(content, n) for n in ("previous", "repeat", "pause")]
        targets.append(_target(content, "finish" if last else "next"))
        countdown = _countdown(content, routine, index, reply, cue_seconds)
    else:
        targets = _state_targets(content, session, routine)
        countdown = {"seconds": 0, "startAfterMs": 0, "label": ""}
    paused = session.state is State.PAUSED
    subtitle = content.screen.label(
        "step_paused" if paused else "step_of", number=index + 1, count=count
    )
    data.update(
        subtitle=subtitle,
        heading=step.title,
        body=step.card,
        progress={"value": index + 1, "total": count},
        countdown=countdown,
        targets=targets,
        primaryTargets=targets[-1:],
    )
    return data


def touch_turn(arguments: Sequence[object] | None, content: Content, memory: Memory) -> Turn:
    """The machine turn for a touch (``SendEvent`` arguments: the event, then its value).

    A touch is another way of saying an intent: it becomes the same event, so every rule of
    the table (safety first) holds for it. Anything unrecognised is a fallback.
    """
    args = [str(a) for a in (arguments or [])]
    name = args[0] if args else ""
    value = args[1] if len(args) > 1 else ""
    try:
        event = Event(name)
    except ValueError:
        return Turn(Event.FALLBACK, memory=memory)
    if event not in TOUCH_EVENTS:
        return Turn(Event.FALLBACK, memory=memory)
    if event is Event.START_ROUTINE:
        # An id the content no longer has is "said but not recognised".
        return Turn(event, routine=value if content.routine(value) else "", memory=memory)
    return Turn(event, memory=memory)
