"""Actions: what happens on a transition. Each takes the context and returns an ``Outcome``.

The table (``skill.machine.table``) names these callables directly. An action sets the session
fields it changes; the machine sets the target state, the turn counter and the miss count after
it. Every word said comes from the content (``P`` keys); actions only choose and fill them.

``asks`` names the question state whose question the reply ends with; ``reasks`` marks an action
whose reply ends with the question of the state it is in (answer briefly, then ask again). The
table is checked against both when it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from skill.content import Routine
from skill.content.keys import P
from skill.machine import guards as g
from skill.machine.events import Ctx, Effect, Event, Outcome
from skill.reply import Card, Line, Reply
from skill.state import QUESTION_STATES, Aside, Screening, SessionState, State

#: A spoken count falls where this many seconds of a hold are left (fifteen, thirty, ...).
COUNT_EVERY_SECONDS = 15


@dataclass(frozen=True)
class Action:
    name: str
    run: Callable[[Ctx], Outcome]
    asks: State | None = None
    reasks: bool = False

    def __call__(self, ctx: Ctx) -> Outcome:
        return self.run(ctx)

    def __repr__(self) -> str:
        return self.name


def action(
    *, asks: State | None = None, reasks: bool = False
) -> Callable[[Callable[[Ctx], Outcome]], Action]:
    def wrap(fn: Callable[[Ctx], Outcome]) -> Action:
        return Action(fn.__name__, fn, asks, reasks)

    return wrap


# Building replies.


def _n(ctx: Ctx, number: int) -> str:
    """A number as the locale says it ("three")."""
    return ctx.content.numbers.cardinal(number)


def _p(ctx: Ctx, key: P, **values: object) -> Line:
    """One wording of a prompt: the session's turn counter chooses, so replies vary."""
    return ctx.content.prompt(key, ctx.session.turn, **values)


def _say(
    ctx: Ctx,
    *speech: Line,
    reprompt: Line | tuple[Line, ...],
    session: SessionState | None = None,
    effects: frozenset[Effect] = frozenset(),
    card: Card | None = None,
) -> Outcome:
    again = reprompt if isinstance(reprompt, tuple) else (reprompt,)
    text = " ".join(s.text for s in speech if s.text and s.within_cue is None)
    reply = Reply(speech, again, card or Card(ctx.content.card_title, text))
    return Outcome(session or ctx.session, reply, effects)


def _say_then_ask(ctx: Ctx, key: P) -> Outcome:
    """One line, then the current state's question, which is also the reprompt."""
    return _say(ctx, _p(ctx, key), question(ctx), reprompt=question(ctx))


def _end(ctx: Ctx, *keys: P, effects: frozenset[Effect] = frozenset()) -> Outcome:
    speech = tuple(_p(ctx, key) for key in keys)
    card = Card(ctx.content.card_title, " ".join(line.text for line in speech))
    return Outcome(ctx.session, Reply(speech, card=card, end_session=True), effects)


#: Openings answered with a greeting: the disclaimer follows the greeting instead of leading.
GREETED = frozenset({Event.LAUNCH, Event.YES, Event.NO})
HEARD = frozenset({Effect.DISCLAIMER_HEARD})


def with_disclaimer(ctx: Ctx, outcome: Outcome) -> Outcome:
    """The reply with the disclaimer, for an opening from someone who has not heard it yet:
    leading, or after the greeting of a launch-like opening."""
    if Effect.DISCLAIMER_HEARD in outcome.effects:
        return outcome  # the reply (a first launch's welcome) says it already
    line, reply = _p(ctx, P.DISCLAIMER), outcome.reply
    at = 1 if ctx.turn.event in GREETED else 0
    speech = (*reply.speech[:at], line, *reply.speech[at:])
    card = replace(reply.card, text=f"{line.text} {reply.card.text}") if reply.card else None
    return replace(
        outcome,
        reply=replace(reply, speech=speech, card=card),
        effects=outcome.effects | HEARD,
    )


REACHED = frozenset({Effect.STEP_REACHED})
LEFT = frozenset({Effect.ROUTINE_LEFT})


def _answered(outcome: Outcome) -> Outcome:
    """The screening answer is in ``outcome.session``: the store must keep it."""
    return replace(outcome, effects=outcome.effects | {Effect.SCREENING_ANSWERED})


def _current(ctx: Ctx) -> Routine:
    routine = ctx.content.routine(ctx.session.routine_id)
    assert routine is not None, "guarded by the table and by the machine's recovery"
    return routine


def _menu_session(ctx: Ctx, offered: Routine | None = None) -> SessionState:
    return SessionState(
        screening=ctx.session.screening,
        held=ctx.session.held,
        offered_routine_id=offered.id if offered else None,
    )


def _offer(ctx: Ctx, routine: Routine) -> Line:
    """Offering a routine by name: the default, or the gentle one."""
    return _p(
        ctx, P.OFFER_DEFAULT if routine.id == ctx.content.default_routine_id else P.OFFER_GENTLE
    )


def _aside_return(ctx: Ctx) -> Line:
    routine, index = _current(ctx), ctx.session.step_index
    if index == len(routine.steps) - 1:
        return _p(ctx, P.ASIDE_RETURN_LAST, number=_n(ctx, index + 1))
    return _p(ctx, P.ASIDE_RETURN, number=_n(ctx, index + 1), next_number=_n(ctx, index + 2))


def question(ctx: Ctx) -> Line:
    """What the current state asks, or tells the person they can say."""
    state = ctx.session.state
    if state is State.READY:
        offered = ctx.content.routine(ctx.session.offered_routine_id)
        return _offer(ctx, offered) if offered else _p(ctx, P.MENU_REPROMPT)
    if state is State.ASIDE:
        return _aside_return(ctx)
    return _p(ctx, _QUESTIONS.get(state, P.MENU_REPROMPT))


_QUESTIONS: dict[State, P] = {
    State.SCREENING: P.SCREENING_REPROMPT,
    State.CONFIRM_DELETE: P.DELETE_REPROMPT,
    State.RESUME_OFFER: P.RESUME_OFFER_REPROMPT,
    State.FINISHED: P.FINISHED_MENU,
    State.IN_STEP: P.STEP_REPROMPT,
    State.PAUSED: P.PAUSED_REPROMPT,
    State.PAIN_STOPPED: P.PAIN_REPROMPT,
}

_HELP: dict[State, P] = {
    State.SCREENING: P.HELP_SCREENING,
    State.CONFIRM_DELETE: P.HELP_DELETE,
    State.RESUME_OFFER: P.HELP_RESUME,
    State.FINISHED: P.HELP_FINISHED,
    State.IN_STEP: P.HELP_STEP,
    State.ASIDE: P.HELP_STEP,
    State.PAUSED: P.HELP_PAUSED,
    State.PAIN_STOPPED: P.HELP_PAIN,
}


def _hold(ctx: Ctx, seconds: int, cue: str | None) -> list[Line]:
    """Silence through the hold, with a short count at every fifteen seconds left, then its end.

    These lines belong to the step's cue: when the cue plays, its own countdown covers them.
    """
    lines: list[Line] = []
    left = seconds
    while left > 0:
        count_at = (left - 1) // COUNT_EVERY_SECONDS * COUNT_EVERY_SECONDS
        lines.append(Line("", pause_seconds=left - count_at, within_cue=cue))
        left = count_at
        if left:
            count = _p(ctx, P.HOLD_COUNT, seconds=_n(ctx, left))
            lines.append(Line(count.text, within_cue=cue))
    lines.append(Line(_p(ctx, P.HOLD_END).text, within_cue=cue))
    return lines


def _step(
    ctx: Ctx, routine: Routine, index: int, *lead: Line, base: SessionState | None = None
) -> Outcome:
    """Say a step: where they are, what to do, the hold, and how to go on."""
    session = replace(
        base or ctx.session, routine_id=routine.id, step_index=index, pending_routine_id=None
    )
    step = routine.steps[index]
    last = index == len(routine.steps) - 1
    line = ctx.content.step_line(routine, index)
    speech = list(lead)
    if step.hold_seconds and not session.held:
        speech.append(_p(ctx, P.HOW_TO_STOP))  # the first hold teaches the wake word
        session = replace(session, held=True)
    speech.append(line)
    if step.hold_seconds:
        speech.extend(_hold(ctx, step.hold_seconds, line.cue))
    speech.append(_p(ctx, P.STEP_NEXT_LAST if last else P.STEP_NEXT))
    hold = f" {ctx.content.hold_text(step.hold_seconds)}" if step.hold_seconds else ""
    card = Card(ctx.content.step_card_title(routine, index), step.card + hold)
    return _say(
        ctx, *speech, reprompt=_p(ctx, P.STEP_REPROMPT), session=session, card=card, effects=REACHED
    )


def _answer(ctx: Ctx, topic: str | None) -> tuple[Line, Card]:
    entry = ctx.content.faq_entry(topic)
    if entry is None:
        line = _p(ctx, P.FAQ_UNKNOWN)
        return line, Card(ctx.content.card_title, line.text)
    return ctx.content.faq_line(entry), Card(ctx.content.faq_card_title(entry), entry.answer)


# Safety.


@action()
def stop_for_pain(ctx: Ctx) -> Outcome:
    speech = (_p(ctx, P.PAIN_STOP), _p(ctx, P.PAIN_NO_CONTINUE), _p(ctx, P.PAIN_REPROMPT))
    card = Card(ctx.content.card_title, " ".join(line.text for line in speech[:2]))
    return _say(
        ctx,
        *speech,
        reprompt=_p(ctx, P.PAIN_REPROMPT),
        card=card,
        effects=frozenset({Effect.PAIN_STOP}),
    )


@action()
def pain_guidance(ctx: Ctx) -> Outcome:
    return _say(
        ctx,
        _p(ctx, P.PAIN_GUIDANCE),
        _p(ctx, P.PAIN_REPROMPT),
        reprompt=_p(ctx, P.PAIN_REPROMPT),
        session=_menu_session(ctx),
        effects=frozenset({Effect.PAIN_STOP}),  # the next session checks in first
    )


@action(reasks=True)
def pain_blocked(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.PAIN_BLOCKED)


@action(reasks=True)
def pain_rest(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.PAIN_REST)


@action(reasks=True)
def repeat_pain(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.PAIN_STOP)


@action()
def red_flag(ctx: Ctx) -> Outcome:
    return _end(ctx, P.RED_FLAG, effects=frozenset({Effect.PAIN_STOP}))


@action()
def chest_pain(ctx: Ctx) -> Outcome:
    return _end(ctx, P.CHEST_PAIN, effects=frozenset({Effect.PAIN_STOP}))


@action()
def goodbye(ctx: Ctx) -> Outcome:
    # Leaving mid-routine is what the next session's "pick up where you left off" needs.
    return _end(ctx, P.GOODBYE, effects=LEFT if ctx.session.in_routine else frozenset())


# Launch and the menu.


@action()
def welcome_first(ctx: Ctx) -> Outcome:
    routine = g.suitable_default(ctx)
    speech = (_p(ctx, P.WELCOME_FIRST), _p(ctx, P.DISCLAIMER), _p(ctx, P.HOW_TO_STOP))
    offer = _offer(ctx, routine)
    session = _menu_session(ctx, routine)
    return _say(ctx, *speech, offer, reprompt=offer, session=session, effects=HEARD)


@action()
def welcome_back(ctx: Ctx) -> Outcome:
    routine = g.suitable_default(ctx)
    offer = _offer(ctx, routine)
    return _say(
        ctx, _p(ctx, P.WELCOME_BACK), offer, reprompt=offer, session=_menu_session(ctx, routine)
    )


@action()
def welcome_after_pain(ctx: Ctx) -> Outcome:
    speech = (_p(ctx, P.WELCOME_BACK), _p(ctx, P.PAIN_CHECKIN), _p(ctx, P.AFTER_CHECKIN))
    return _say(
        ctx,
        *speech,
        reprompt=_p(ctx, P.MENU_REPROMPT),
        session=_menu_session(ctx),
        effects=frozenset({Effect.PAIN_CHECKED_IN}),
    )


def _resume_question(ctx: Ctx) -> Line:
    routine, index = _current(ctx), ctx.session.step_index
    return _p(ctx, P.RESUME_OFFER, number=_n(ctx, index + 1), routine=routine.name)


@action(asks=State.RESUME_OFFER)
def offer_resume(ctx: Ctx) -> Outcome:
    memory = ctx.turn.memory
    routine = ctx.content.routine(memory.unfinished_routine_id)
    assert routine is not None, "guarded by has_unfinished"
    index = min(max(memory.unfinished_step_index, 0), len(routine.steps) - 1)
    session = replace(ctx.session, routine_id=routine.id, step_index=index)
    ctx = replace(ctx, session=session)
    return _say(
        ctx,
        _p(ctx, P.WELCOME_BACK),
        _resume_question(ctx),
        reprompt=_p(ctx, P.RESUME_OFFER_REPROMPT),
    )


@action()
def resume_saved(ctx: Ctx) -> Outcome:
    """Picking up a routine from an earlier session; a twist or pressure step wants a warm-up."""
    routine, index = _current(ctx), ctx.session.step_index
    lead = (_p(ctx, P.WARM_UP_FIRST),) if routine.steps[index].warm_up_first else ()
    return _step(ctx, routine, index, *lead)


@action()
def menu_fresh(ctx: Ctx) -> Outcome:
    return _say(
        ctx,
        _p(ctx, P.DECLINED),
        _p(ctx, P.MENU_REPROMPT),
        reprompt=_p(ctx, P.MENU_REPROMPT),
        session=_menu_session(ctx),
        effects=frozenset({Effect.UNFINISHED_DECLINED}),
    )


def _menu(ctx: Ctx, *lead: Line) -> Outcome:
    """The routines this person can do, and the question."""
    if ctx.session.screening is Screening.YES:
        gentle = ctx.content.gentle_routine
        line = _p(ctx, P.MENU_GENTLE)
        return _say(ctx, *lead, line, reprompt=line, session=_menu_session(ctx, gentle))
    again = _p(ctx, P.MENU_REPROMPT)
    return _say(ctx, *lead, _p(ctx, P.MENU), again, reprompt=again, session=_menu_session(ctx))


@action()
def menu(ctx: Ctx) -> Outcome:
    return _menu(ctx)


@action()
def home(ctx: Ctx) -> Outcome:
    return _menu(ctx, _p(ctx, P.HOME))


@action()
def declined(ctx: Ctx) -> Outcome:
    again = _p(ctx, P.MENU_REPROMPT)
    return _say(ctx, _p(ctx, P.DECLINED), again, reprompt=again)


@action()
def suggest_gentle(ctx: Ctx) -> Outcome:
    """Too hard, outside a routine: the gentlest routine, offered."""
    gentle = ctx.content.gentle_routine
    offer = _offer(ctx, gentle)
    return _say(
        ctx, _p(ctx, P.TOO_HARD_MENU), offer, reprompt=offer, session=_menu_session(ctx, gentle)
    )


# Starting a routine, and the screening question.


@action()
def unknown_routine(ctx: Ctx) -> Outcome:
    return _menu(ctx, _p(ctx, P.UNKNOWN_ROUTINE))


@action(asks=State.SCREENING)
def ask_screening(ctx: Ctx) -> Outcome:
    routine = g.chosen_routine(ctx)
    pending = routine.id if routine else ctx.session.pending_routine_id
    session = replace(ctx.session, pending_routine_id=pending)
    return _say(
        ctx,
        _p(ctx, P.SCREENING_QUESTION),
        reprompt=_p(ctx, P.SCREENING_REPROMPT),
        session=session,
    )


@action(asks=State.SCREENING)
def update_screening(ctx: Ctx) -> Outcome:
    session = SessionState(held=ctx.session.held)
    return _say(
        ctx,
        _p(ctx, P.UPDATE_SCREENING),
        _p(ctx, P.SCREENING_QUESTION),
        reprompt=_p(ctx, P.SCREENING_REPROMPT),
        session=session,
    )


def _begin(ctx: Ctx, routine: Routine, *lead: Line, base: SessionState | None = None) -> Outcome:
    fresh = replace(base or ctx.session, finish_counted=False)  # a new run counts again
    return _step(ctx, routine, 0, *lead, ctx.content.intro_line(routine), base=fresh)


#: The events that answer the screening question with "yes, I have a condition".
SAYS_CONDITION = frozenset({Event.YES, Event.HAVE_CONDITION})


@action()
def screened_start(ctx: Ctx) -> Outcome:
    """The screening question answered, and the routine asked for is fine to guide."""
    routine = ctx.content.routine(ctx.session.pending_routine_id)
    assert routine is not None, "guarded by pending_suits_condition and has_pending"
    answer = Screening.YES if ctx.turn.event in SAYS_CONDITION else Screening.NO
    noted = _p(ctx, P.SCREENING_NOTED)
    return _answered(_begin(ctx, routine, noted, base=replace(ctx.session, screening=answer)))


@action()
def screened_yes(ctx: Ctx) -> Outcome:
    """A spine condition, and the routine asked for has twists or pressure: offer the gentle one."""
    gentle = ctx.content.gentle_routine
    session = replace(_menu_session(ctx, gentle), screening=Screening.YES)
    ctx = replace(ctx, session=session)
    offer = _offer(ctx, gentle)
    return _answered(_say(ctx, _p(ctx, P.SCREENING_YES), offer, reprompt=offer))


@action()
def screened_no(ctx: Ctx) -> Outcome:
    session = replace(_menu_session(ctx), screening=Screening.NO)
    return _answered(_menu(replace(ctx, session=session), _p(ctx, P.SCREENING_NOTED)))


@action()
def decline_unsuitable(ctx: Ctx) -> Outcome:
    gentle = ctx.content.gentle_routine
    offer = _offer(ctx, gentle)
    return _say(
        ctx,
        _p(ctx, P.ROUTINE_UNSUITABLE),
        offer,
        reprompt=offer,
        session=_menu_session(ctx, gentle),
    )


@action()
def begin_routine(ctx: Ctx) -> Outcome:
    routine = g.chosen_routine(ctx)
    assert routine is not None, "guarded by routine_unrecognised"
    return _begin(ctx, routine)


# In a routine.


@action()
def say_step(ctx: Ctx) -> Outcome:
    return _step(ctx, _current(ctx), ctx.session.step_index)


@action()
def next_step(ctx: Ctx) -> Outcome:
    return _step(ctx, _current(ctx), ctx.session.step_index + 1, _p(ctx, P.STEP_TRANSITION))


@action()
def previous_step(ctx: Ctx) -> Outcome:
    if ctx.session.step_index == 0:
        return _step(ctx, _current(ctx), 0, _p(ctx, P.FIRST_STEP_ALREADY))
    return _step(ctx, _current(ctx), ctx.session.step_index - 1)


@action()
def restart(ctx: Ctx) -> Outcome:
    return _begin(ctx, _current(ctx), _p(ctx, P.START_OVER))


@action()
def last_step_again(ctx: Ctx) -> Outcome:
    routine = _current(ctx)
    return _step(ctx, routine, len(routine.steps) - 1)


@action(reasks=True)
def take_your_time(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.TAKE_YOUR_TIME)


@action()
def pause(ctx: Ctx) -> Outcome:
    again = _p(ctx, P.PAUSED_REPROMPT)
    return _say(ctx, _p(ctx, P.PAUSED), again, reprompt=again)


def _aside(ctx: Ctx, kind: Aside, *speech: Line, topic: str | None = None) -> Outcome:
    """Something said mid-routine; the place is kept, and the reply says how to go on."""
    session = replace(ctx.session, aside=kind, faq_topic=topic)
    back = _aside_return(ctx)
    tail = () if kind is Aside.EASIER else (back,)  # the easier way ends with its own options
    return _say(ctx, *speech, *tail, reprompt=back, session=session)


def _step_info(ctx: Ctx) -> tuple[Line, ...]:
    routine, index = _current(ctx), ctx.session.step_index
    step, count = routine.steps[index], len(routine.steps)
    number, total = _n(ctx, index + 1), _n(ctx, count)
    lines = [_p(ctx, P.STEP_INFO, number=number, count=total, title=step.title)]
    if step.hold_seconds:
        lines.append(_p(ctx, P.STEP_INFO_HOLD, seconds=_n(ctx, step.hold_seconds)))
    if step.side:
        lines.append(_p(ctx, P(f"step_info_side_{step.side.value}")))
    left = count - index - 1
    left_line = _p(ctx, P.STEP_INFO_LEFT, left=_n(ctx, left)) if left else _p(ctx, P.STEP_INFO_LAST)
    lines.append(left_line)
    return tuple(lines)


def _easier(ctx: Ctx) -> tuple[Line, ...]:
    routine, index = _current(ctx), ctx.session.step_index
    return _p(ctx, P.TOO_HARD), ctx.content.easier_line(routine, index), _p(ctx, P.TOO_HARD_SKIP)


def _faq_line(ctx: Ctx) -> Line:
    return _answer(ctx, ctx.session.faq_topic)[0]


def _menu_line(ctx: Ctx) -> Line:
    return _p(ctx, P.MENU_GENTLE if ctx.session.screening is Screening.YES else P.MENU)


@action()
def answer_aside(ctx: Ctx) -> Outcome:
    line, card = _answer(ctx, ctx.turn.topic)
    outcome = _aside(ctx, Aside.FAQ, line, topic=ctx.turn.topic)
    return replace(outcome, reply=replace(outcome.reply, card=card))


@action()
def menu_aside(ctx: Ctx) -> Outcome:
    return _aside(ctx, Aside.MENU, _menu_line(ctx))


@action()
def step_info(ctx: Ctx) -> Outcome:
    return _aside(ctx, Aside.STEP_INFO, *_step_info(ctx))


@action()
def easier(ctx: Ctx) -> Outcome:
    return _aside(ctx, Aside.EASIER, *_easier(ctx))


@action(reasks=True)
def repeat_aside(ctx: Ctx) -> Outcome:
    kind = ctx.session.aside
    said: tuple[Line, ...]
    if kind is Aside.STEP_INFO:
        said = _step_info(ctx)
    elif kind is Aside.EASIER:
        said = _easier(ctx)
    elif kind is Aside.MENU:
        said = (_menu_line(ctx),)
    else:
        said = (_faq_line(ctx),)
    return _aside(ctx, kind or Aside.FAQ, *said, topic=ctx.session.faq_topic)


@action(asks=State.FINISHED)
def finish(ctx: Ctx) -> Outcome:
    routine = _current(ctx)
    speech = [ctx.content.done_line(routine)]
    first_time = not ctx.session.finish_counted
    if first_time and ctx.turn.memory.known:
        nth = ctx.content.numbers.ordinal(ctx.turn.memory.sessions_this_week + 1)
        speech.append(_p(ctx, P.FINISHED_NTH, nth=nth))
    again = _p(ctx, P.FINISHED_MENU)
    speech.append(again)
    card = Card(ctx.content.card_title, " ".join(line.text for line in speech))
    return _say(
        ctx,
        *speech,
        reprompt=again,
        card=card,
        session=replace(ctx.session, finish_counted=True),
        effects=frozenset({Effect.ROUTINE_FINISHED}) if first_time else frozenset(),
    )


@action(asks=State.FINISHED)
def repeat_finished(ctx: Ctx) -> Outcome:
    again = _p(ctx, P.FINISHED_MENU)
    return _say(ctx, ctx.content.done_line(_current(ctx)), again, reprompt=again)


# Questions, help, thanks and not being understood: in any state, then that state's question.


@action(reasks=True)
def answer(ctx: Ctx) -> Outcome:
    line, card = _answer(ctx, ctx.turn.topic)
    plain_menu = ctx.session.state is State.READY and not ctx.session.offered_routine_id
    follow = _p(ctx, P.FAQ_MORE) if plain_menu else question(ctx)
    session = replace(ctx.session, faq_topic=ctx.turn.topic)
    return _say(ctx, line, follow, reprompt=follow, card=card, session=session)


@action(reasks=True)
def repeat_last(ctx: Ctx) -> Outcome:
    """ "Repeat" at the menu: the last answer, or the menu."""
    if ctx.session.faq_topic is not None and ctx.session.state is State.READY:
        follow = question(ctx)
        return _say(ctx, _faq_line(ctx), follow, reprompt=follow)
    return _say(ctx, question(ctx), reprompt=question(ctx))


@action(reasks=True)
def reask(ctx: Ctx) -> Outcome:
    return _say(ctx, question(ctx), reprompt=question(ctx))


@action(reasks=True)
def help_here(ctx: Ctx) -> Outcome:
    state = ctx.session.state
    if state is State.READY and ctx.session.screening is Screening.YES:
        line = _p(ctx, P.MENU_GENTLE)
        session = _menu_session(ctx, ctx.content.gentle_routine)
        return _say(ctx, line, reprompt=line, session=session)
    if state is State.READY:
        offered = ctx.content.routine(ctx.session.offered_routine_id)
        tail = (_offer(ctx, offered),) if offered else ()
        return _say(ctx, _p(ctx, P.HELP_MENU), *tail, reprompt=question(ctx))
    return _say(ctx, _p(ctx, _HELP[state]), reprompt=question(ctx))


@action(reasks=True)
def thanks(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.THANKS)


@action(reasks=True)
def not_asked(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.NOT_ASKED)


@action(reasks=True)
def not_in_routine(ctx: Ctx) -> Outcome:
    return _say_then_ask(ctx, P.NOT_IN_ROUTINE)


@action(reasks=True)
def fallback(ctx: Ctx) -> Outcome:
    """Not understood: a short re-ask, then the options, then a way out."""
    misses = ctx.session.misses
    if misses == 1:
        return help_here(ctx)
    if misses >= 2:
        tail = (question(ctx),) if ctx.session.state in QUESTION_STATES else ()
        return _say(ctx, _p(ctx, P.FALLBACK_LAST), *tail, reprompt=question(ctx))
    return _say_then_ask(ctx, P.FALLBACK)


@action()
def fallback_routine(ctx: Ctx) -> Outcome:
    """Not understood mid-routine: how to stop comes first, and the routine pauses."""
    misses = ctx.session.misses
    then = {0: P.FALLBACK_ROUTINE_PAUSE, 1: P.HELP_PAUSED}.get(misses, P.FALLBACK_ROUTINE_LAST)
    again = _p(ctx, P.PAUSED_REPROMPT)
    return _say(ctx, _p(ctx, P.FALLBACK_ROUTINE), _p(ctx, then), reprompt=again)


# A person's data.


@action(asks=State.CONFIRM_DELETE)
def confirm_delete(ctx: Ctx) -> Outcome:
    return _say(ctx, _p(ctx, P.DELETE_CONFIRM), reprompt=_p(ctx, P.DELETE_REPROMPT))


@action()
def delete_data(ctx: Ctx) -> Outcome:
    again = _p(ctx, P.MENU_REPROMPT)
    return _say(
        ctx,
        _p(ctx, P.DELETE_DONE),
        again,
        reprompt=again,
        session=SessionState(),
        effects=frozenset({Effect.DELETE_DATA}),
    )


@action()
def keep_data(ctx: Ctx) -> Outcome:
    again = _p(ctx, P.MENU_REPROMPT)
    return _say(ctx, _p(ctx, P.DELETE_KEPT), again, reprompt=again, session=_menu_session(ctx))
