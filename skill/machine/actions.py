"""Actions: what happens on a transition. Each takes the context and returns an ``Outcome``.

The table names actions by string; ``ACTIONS`` maps the names to these functions. Actions set the
session fields they change; the machine sets the target state afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from skill.content import Routine
from skill.machine import guards as g
from skill.machine.events import Ctx, Effect, Event, Outcome
from skill.numbers import ordinal, words
from skill.reply import Card, Line, Reply
from skill.state import Screening, SessionState

Action = Callable[[Ctx], Outcome]
ACTIONS: dict[str, Action] = {}
CARD_TITLE = "Workout Planner"


def action(fn: Action) -> Action:
    ACTIONS[fn.__name__] = fn
    return fn


# Building replies.


def _say(
    ctx: Ctx,
    *speech: Line,
    reprompt: str | Line,
    session: SessionState | None = None,
    effects: frozenset[Effect] = frozenset(),
    card: Card | None = None,
) -> Outcome:
    again = ctx.content.prompt(reprompt) if isinstance(reprompt, str) else reprompt
    reply = Reply(speech, (again,), card or Card(CARD_TITLE, " ".join(s.text for s in speech)))
    return Outcome(session or ctx.session, reply, effects)


def _end(ctx: Ctx, *keys: str, effects: frozenset[Effect] = frozenset()) -> Outcome:
    speech = tuple(ctx.content.prompt(key) for key in keys)
    card = Card(CARD_TITLE, " ".join(line.text for line in speech))
    return Outcome(ctx.session, Reply(speech, card=card, end_session=True), effects)


def _p(ctx: Ctx, *keys: str) -> tuple[Line, ...]:
    return tuple(ctx.content.prompt(key) for key in keys)


def _step(
    ctx: Ctx, routine: Routine, index: int, *lead: Line, base: SessionState | None = None
) -> Outcome:
    """Say a step: where they are, what to do, how long to hold, and how to go on."""
    session = replace(
        base or ctx.session, routine_id=routine.id, step_index=index, pending_routine_id=None
    )
    step = routine.steps[index]
    last = index == len(routine.steps) - 1
    hold = f" Hold for {step.hold_seconds} seconds." if step.hold_seconds else ""
    card = Card(f"Step {index + 1} of {len(routine.steps)}: {step.title}", step.card + hold)
    speech = (
        *lead,
        ctx.content.step_line(routine, index),
        ctx.content.prompt("step_next_last" if last else "step_next"),
    )
    return _say(ctx, *speech, reprompt="step_reprompt", session=session, card=card)


def _current(ctx: Ctx) -> Routine:
    routine = ctx.content.routine(ctx.session.routine_id)
    assert routine is not None, "guarded by the table and by the machine's recovery"
    return routine


def _answer(ctx: Ctx, topic: str | None) -> tuple[Line, Card]:
    entry = ctx.content.faq_entry(topic)
    if entry is None:
        line = ctx.content.prompt("faq_unknown")
        return line, Card(CARD_TITLE, line.text)
    return ctx.content.faq_line(entry), Card(entry.name.capitalize() + "?", entry.answer)


def _faq(ctx: Ctx, reprompt: str, topic: str | None = None) -> Outcome:
    topic = ctx.turn.topic if topic is None else topic
    line, card = _answer(ctx, topic)
    follow = ctx.content.prompt(reprompt)
    return _say(
        ctx, line, follow, reprompt=follow, card=card, session=replace(ctx.session, faq_topic=topic)
    )


def _menu_session(ctx: Ctx) -> SessionState:
    return SessionState(screening=ctx.session.screening)


# Safety.


@action
def stop_for_pain(ctx: Ctx) -> Outcome:
    speech = _p(ctx, "pain_stop", "pain_no_continue")
    card = Card("Stopped: something hurt", " ".join(line.text for line in speech))
    return _say(
        ctx, *speech, reprompt="pain_reprompt", card=card, effects=frozenset({Effect.PAIN_STOP})
    )


@action
def pain_guidance(ctx: Ctx) -> Outcome:
    return _say(
        ctx, *_p(ctx, "pain_guidance"), reprompt="pain_reprompt", session=_menu_session(ctx)
    )


@action
def red_flag(ctx: Ctx) -> Outcome:
    return _end(ctx, "red_flag", effects=frozenset({Effect.PAIN_STOP}))


@action
def chest_pain(ctx: Ctx) -> Outcome:
    return _end(ctx, "chest_pain", effects=frozenset({Effect.PAIN_STOP}))


@action
def goodbye(ctx: Ctx) -> Outcome:
    return _end(ctx, "goodbye")


# Launch and the menu.


@action
def welcome_after_pain(ctx: Ctx) -> Outcome:
    speech = _p(ctx, "welcome_back", "pain_checkin", "after_checkin")
    return _say(ctx, *speech, reprompt="menu_reprompt", effects=frozenset({Effect.PAIN_CHECKED_IN}))


def _resume_question(ctx: Ctx, routine: Routine, index: int) -> Line:
    return Line(
        f"Last time, you stopped at step {words(index + 1)} of the {routine.name} routine. "
        "Would you like to pick up there?"
    )


@action
def offer_resume(ctx: Ctx) -> Outcome:
    memory = ctx.turn.memory
    routine = ctx.content.routine(memory.unfinished_routine_id)
    assert routine is not None, "guarded by has_unfinished"
    index = min(max(memory.unfinished_step_index, 0), len(routine.steps) - 1)
    session = replace(ctx.session, routine_id=routine.id, step_index=index)
    return _say(
        ctx,
        ctx.content.prompt("welcome_back"),
        _resume_question(ctx, routine, index),
        reprompt="resume_offer_reprompt",
        session=session,
    )


@action
def offer_again(ctx: Ctx) -> Outcome:
    question = _resume_question(ctx, _current(ctx), ctx.session.step_index)
    return _say(ctx, question, reprompt="resume_offer_reprompt")


@action
def resume_saved(ctx: Ctx) -> Outcome:
    return _step(ctx, _current(ctx), ctx.session.step_index)


@action
def menu_fresh(ctx: Ctx) -> Outcome:
    return _say(ctx, *_p(ctx, "declined"), reprompt="menu_reprompt", session=_menu_session(ctx))


@action
def menu(ctx: Ctx) -> Outcome:
    return _say(ctx, *_p(ctx, "menu"), reprompt="menu_reprompt", session=_menu_session(ctx))


@action
def home(ctx: Ctx) -> Outcome:
    return _say(ctx, *_p(ctx, "home", "menu"), reprompt="menu_reprompt", session=_menu_session(ctx))


# Starting a routine, and the screening question.


@action
def unknown_routine(ctx: Ctx) -> Outcome:
    speech = _p(ctx, "unknown_routine", "menu")
    return _say(ctx, *speech, reprompt="menu_reprompt", session=_menu_session(ctx))


@action
def ask_screening(ctx: Ctx) -> Outcome:
    routine = g.chosen_routine(ctx)
    session = replace(ctx.session, pending_routine_id=routine.id if routine else None)
    return _say(ctx, *_p(ctx, "screening_question"), reprompt="screening_reprompt", session=session)


@action
def update_screening(ctx: Ctx) -> Outcome:
    session = SessionState()
    speech = _p(ctx, "update_screening", "screening_question")
    return _say(ctx, *speech, reprompt="screening_reprompt", session=session)


def _begin(ctx: Ctx, routine: Routine, *lead: Line, base: SessionState | None = None) -> Outcome:
    fresh = replace(base or ctx.session, finish_counted=False)  # a new run counts again
    return _step(ctx, routine, 0, *lead, ctx.content.intro_line(routine), base=fresh)


@action
def screened_start(ctx: Ctx) -> Outcome:
    """The screening question answered, and the routine asked for is fine to guide."""
    routine = ctx.content.routine(ctx.session.pending_routine_id)
    assert routine is not None, "guarded by pending_suits_condition and has_pending"
    answer = Screening.YES if ctx.turn.event is Event.YES else Screening.NO
    noted = ctx.content.prompt("screening_noted")
    return _begin(ctx, routine, noted, base=replace(ctx.session, screening=answer))


@action
def screened_yes(ctx: Ctx) -> Outcome:
    session = SessionState(screening=Screening.YES)
    return _say(ctx, *_p(ctx, "screening_yes"), reprompt="menu_reprompt", session=session)


@action
def screened_no(ctx: Ctx) -> Outcome:
    session = SessionState(screening=Screening.NO)
    speech = _p(ctx, "screening_noted", "menu")
    return _say(ctx, *speech, reprompt="menu_reprompt", session=session)


@action
def decline_unsuitable(ctx: Ctx) -> Outcome:
    speech = _p(ctx, "routine_unsuitable")
    return _say(ctx, *speech, reprompt="menu_reprompt", session=_menu_session(ctx))


@action
def begin_routine(ctx: Ctx) -> Outcome:
    routine = g.chosen_routine(ctx)
    assert routine is not None, "guarded by routine_unrecognised"
    return _begin(ctx, routine)


# In a routine.


@action
def say_step(ctx: Ctx) -> Outcome:
    return _step(ctx, _current(ctx), ctx.session.step_index)


@action
def next_step(ctx: Ctx) -> Outcome:
    return _step(ctx, _current(ctx), ctx.session.step_index + 1)


@action
def previous_step(ctx: Ctx) -> Outcome:
    if ctx.session.step_index == 0:
        return _step(ctx, _current(ctx), 0, ctx.content.prompt("first_step_already"))
    return _step(ctx, _current(ctx), ctx.session.step_index - 1)


@action
def restart(ctx: Ctx) -> Outcome:
    return _begin(ctx, _current(ctx), ctx.content.prompt("start_over"))


@action
def last_step_again(ctx: Ctx) -> Outcome:
    routine = _current(ctx)
    return _step(ctx, routine, len(routine.steps) - 1)


@action
def repeat_answer(ctx: Ctx) -> Outcome:
    return _faq(ctx, "faq_return", topic=ctx.session.faq_topic)


@action
def finish(ctx: Ctx) -> Outcome:
    routine = _current(ctx)
    speech = [ctx.content.done_line(routine)]
    first_time = not ctx.session.finish_counted
    if first_time and ctx.turn.memory.known:
        count = ctx.turn.memory.sessions_this_week + 1
        speech.append(Line(f"That's your {ordinal(count)} session this week."))
    speech.append(ctx.content.prompt("finished_menu"))
    card = Card("Routine complete", " ".join(line.text for line in speech))
    return _say(
        ctx,
        *speech,
        reprompt="finished_menu",
        card=card,
        session=replace(ctx.session, finish_counted=True),
        effects=frozenset({Effect.ROUTINE_FINISHED}) if first_time else frozenset(),
    )


@action
def repeat_finished(ctx: Ctx) -> Outcome:
    speech = (ctx.content.done_line(_current(ctx)), ctx.content.prompt("finished_menu"))
    return _say(ctx, *speech, reprompt="finished_menu")


# A person's data.


@action
def delete_data(ctx: Ctx) -> Outcome:
    return _say(
        ctx,
        *_p(ctx, "delete_done", "menu_reprompt"),
        reprompt="menu_reprompt",
        session=SessionState(),
        effects=frozenset({Effect.DELETE_DATA}),
    )


@action
def keep_data(ctx: Ctx) -> Outcome:
    speech = _p(ctx, "delete_kept", "menu_reprompt")
    return _say(ctx, *speech, reprompt="menu_reprompt", session=_menu_session(ctx))


#: Actions that only say fixed prompts: name -> (prompt keys, reprompt key).
SAYINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "confirm_delete": (("delete_confirm",), "delete_confirm"),
    "declined": (("declined",), "menu_reprompt"),
    "fallback": (("fallback", "menu_reprompt"), "menu_reprompt"),
    "fallback_aside": (("fallback", "faq_return"), "faq_return"),
    "fallback_pain": (("fallback", "pain_reprompt"), "pain_reprompt"),
    "fallback_paused": (("fallback", "paused_reprompt"), "paused_reprompt"),
    "fallback_step": (("fallback", "step_reprompt"), "step_reprompt"),
    "help_menu": (("help_menu",), "menu_reprompt"),
    "help_pain": (("help_pain",), "pain_reprompt"),
    "help_paused": (("help_paused",), "paused_reprompt"),
    "help_screening": (("help_screening",), "screening_reprompt"),
    "help_step": (("help_step",), "step_reprompt"),
    "menu_aside": (("menu", "faq_return"), "faq_return"),
    "not_in_routine": (("not_in_routine", "menu"), "menu_reprompt"),
    "pain_blocked": (("pain_blocked",), "pain_reprompt"),
    "pain_rest": (("pain_rest",), "pain_reprompt"),
    "pause": (("paused",), "paused_reprompt"),
    "reask_screening": (("screening_question",), "screening_reprompt"),
    "repeat_pain": (("pain_stop",), "pain_reprompt"),
    "take_your_time": (("take_your_time",), "step_reprompt"),
    "welcome_back": (("welcome_back", "offer_default"), "offer_default_reprompt"),
    "welcome_first": (
        ("welcome_first", "disclaimer", "how_to_stop", "menu"),
        "offer_default_reprompt",
    ),
}

#: Actions that answer the question asked, then say how to go on: name -> follow-up.
ANSWERS: dict[str, str] = {
    "answer": "faq_more",
    "answer_aside": "faq_return",
    "answer_then_offer": "resume_offer_reprompt",
    "answer_then_pain": "pain_reprompt",
    "answer_then_screen": "screening_reprompt",
}


def _saying(keys: tuple[str, ...], reprompt: str) -> Action:
    return lambda ctx: _say(ctx, *_p(ctx, *keys), reprompt=reprompt)


def _answering(follow_up: str) -> Action:
    return lambda ctx: _faq(ctx, follow_up)


ACTIONS.update({name: _saying(*spec) for name, spec in SAYINGS.items()})
ACTIONS.update({name: _answering(follow_up) for name, follow_up in ANSWERS.items()})
