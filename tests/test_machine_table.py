"""The transition table itself: total, every rule live, no traps, safety first, questions kept
honest, diagram in sync; and the validator that enforces it catches each kind of mistake."""

from __future__ import annotations

from dataclasses import replace

import pytest

from skill.content import Content
from skill.content.keys import P
from skill.diagram import DIAGRAM_PATH, render_diagram
from skill.machine import ANY, RULES, SAME, Event, Rule, TableError, Turn, advance, validate
from skill.machine import actions as a
from skill.machine import guards as g
from skill.machine.actions import Action
from skill.machine.events import Effect
from skill.machine.table import live_rules, rules_for
from skill.state import QUESTION_STATES, Memory, Screening, SessionState, State

ALL_STATES = list(State)
ALWAYS = [Event.HELP, Event.STOP, Event.CANCEL, Event.REPEAT, Event.PAIN]


def test_the_table_validates() -> None:
    validate(RULES)  # also run on import; here so a failure reads as a test


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("event", list(Event))
def test_every_state_answers_every_event(state: State, event: Event) -> None:
    """Some rule without a guard always matches, so no (state, event) is left unanswered."""
    assert any(rule.guard is None for rule in rules_for(RULES, state, event)), (state, event)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("event", ALWAYS)
def test_help_stop_cancel_repeat_and_pain_are_answered_everywhere(state: State, event: Event):
    assert live_rules(RULES, state, event)


def test_every_rule_can_fire_somewhere() -> None:
    live = {
        id(rule) for state in State for event in Event for rule in live_rules(RULES, state, event)
    }
    assert [str(rule) for rule in RULES if id(rule) not in live] == []


def test_pain_stopped_start_over_restarts_and_nothing_shadows_it() -> None:
    live = live_rules(RULES, State.PAIN_STOPPED, Event.START_OVER)
    assert [rule.action for rule in live][-2:] == [a.restart, a.pain_rest]


@pytest.mark.parametrize("state", ALL_STATES)
def test_pain_is_decided_before_anything_state_specific(state: State) -> None:
    first = rules_for(RULES, state, Event.PAIN)
    assert all(rule.source is ANY for rule in first)
    assert {rule.target_from(state) for rule in first} == {State.PAIN_STOPPED}
    pain_rules = [i for i, r in enumerate(RULES) if r.event is Event.PAIN]
    assert max(pain_rules) < min(i for i, r in enumerate(RULES) if r.source is not ANY)


def test_actions_are_named_callables_and_every_one_is_used() -> None:
    defined = {value for value in vars(a).values() if isinstance(value, Action)}
    used = {rule.action for rule in RULES}
    assert all(isinstance(rule.action, Action) and callable(rule.action) for rule in RULES)
    assert defined == used, sorted(x.name for x in defined ^ used)


def test_guards_are_named_functions() -> None:
    for rule in RULES:
        if rule.guard is not None:
            assert rule.guard.__name__ != "<lambda>"


def test_red_flags_end_the_session_from_everywhere() -> None:
    for state in ALL_STATES:
        for event in (Event.RED_FLAG, Event.CHEST_PAIN):
            assert rules_for(RULES, state, event)[0].target_from(state) is State.ENDED


def test_committed_diagram_is_in_sync() -> None:
    assert DIAGRAM_PATH.read_text(encoding="utf-8") == render_diagram(), (
        "docs/state-machine.md is stale: run `workout-planner diagram`"
    )


# The validator fails for each kind of broken table.

_ANSWERS = [
    Rule(ANY, event, a.goodbye, State.ENDED) for event in Event if event is not Event.LIST_ROUTINES
] + [Rule(ANY, Event.LIST_ROUTINES, a.menu, State.READY)]


_TRAP = (
    Rule(State.READY, Event.NEXT, a.pause, State.PAUSED),
    *(Rule(State.PAUSED, event, a.pause, SAME) for event in Event),
    *_ANSWERS,
)


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (RULES[:-1], "fallback in .* has no unguarded rule"),
        (
            (
                Rule(ANY, Event.YES, a.not_asked, SAME),
                Rule(ANY, Event.YES, a.declined, SAME),
                *RULES,
            ),
            "can never fire",
        ),
        (
            (
                Rule(State.READY, Event.NEXT, a.pause, State.PAUSED, g.has_routine),
                Rule(State.READY, Event.NEXT, a.pause, State.PAUSED, g.has_routine),
                *RULES,
            ),
            "can never fire",
        ),
        (
            (Rule(State.CONFIRM_DELETE, Event.NEXT, a.menu, SAME), *RULES),
            "stays in confirm_delete without asking its question",
        ),
        (tuple(_ANSWERS), "unreachable"),
        (_TRAP, "paused is a trap"),
    ],
)
def test_the_validator_refuses_a_broken_table(broken: tuple[Rule, ...], problem: str) -> None:
    with pytest.raises(TableError, match=problem):
        validate(tuple(broken))


# In a question state, a rule that keeps the state says its question again (behaviour, not the
# declaration the validator reads).


def _question_texts(content: Content, state: State) -> set[str]:
    keys = {
        State.SCREENING: [P.SCREENING_QUESTION, P.SCREENING_REPROMPT, P.HELP_SCREENING],
        State.CONFIRM_DELETE: [P.DELETE_CONFIRM, P.DELETE_REPROMPT, P.HELP_DELETE],
        State.RESUME_OFFER: [P.RESUME_OFFER_REPROMPT, P.HELP_RESUME],
        State.FINISHED: [P.FINISHED_MENU, P.HELP_FINISHED],
    }[state]
    return {text for key in keys for text in content.prompts[key]}


def _in(state: State) -> SessionState:
    return SessionState(
        state=state,
        routine_id="upper_back",
        step_index=2,
        pending_routine_id="stretching" if state is State.SCREENING else None,
        screening=None if state is State.SCREENING else Screening.NO,
    )


@pytest.mark.parametrize("state", sorted(QUESTION_STATES))
@pytest.mark.parametrize("event", list(Event))
@pytest.mark.parametrize("misses", [0, 1, 2])
def test_staying_in_a_question_state_asks_the_question_again(
    content: Content, state: State, event: Event, misses: int
) -> None:
    session = replace(_in(state), misses=misses)
    turn = Turn(event, memory=Memory(known=True))
    outcome = advance(session, turn, content)
    if outcome.session.state is not state:
        return
    last = outcome.reply.speech[-1].text
    assert last in _question_texts(content, state) or last.endswith("?"), (event, last)
    assert not outcome.reply.end_session


# -- the screening answer said in words ----------------------------------------------------------

SPOKEN_ANSWERS = [(Event.HAVE_CONDITION, Event.YES), (Event.NO_CONDITION, Event.NO)]


def _shape(rules: list[Rule], state: State) -> list[tuple[object, ...]]:
    return [(r.action, r.guard, r.target_from(state)) for r in rules]


@pytest.mark.parametrize(("spoken", "word"), SPOKEN_ANSWERS)
def test_the_answer_in_words_is_the_yes_or_no_while_screening(spoken: Event, word: Event) -> None:
    """ "I have a slipped disc" answers the screening question exactly as "yes" does."""
    live = live_rules(RULES, State.SCREENING, spoken)
    # The opening rules a bare yes or no has (a session opens in the menu, never here) aside.
    answers = [r for r in live_rules(RULES, State.SCREENING, word) if r.source is State.SCREENING]
    assert _shape(live, State.SCREENING) == _shape(answers, State.SCREENING)
    assert live[0].action is a.screened_start


@pytest.mark.parametrize("spoken", [Event.HAVE_CONDITION, Event.NO_CONDITION])
@pytest.mark.parametrize("state", [s for s in ALL_STATES if s is not State.SCREENING])
def test_the_answer_in_words_with_no_question_open_is_an_update(state: State, spoken: Event):
    live = live_rules(RULES, state, spoken)
    assert _shape(live, state) == _shape(live_rules(RULES, state, Event.UPDATE_SCREENING), state)


@pytest.mark.parametrize(
    ("event", "pending", "state", "screening", "routine"),
    [
        # The routine asked for has twists: the condition is noted, the gentle one offered.
        (Event.HAVE_CONDITION, "upper_back", State.READY, Screening.YES, None),
        # The routine asked for suits the condition: it starts.
        (
            Event.HAVE_CONDITION,
            "shoulder_release",
            State.IN_STEP,
            Screening.YES,
            "shoulder_release",
        ),
        (Event.NO_CONDITION, "upper_back", State.IN_STEP, Screening.NO, "upper_back"),
        (Event.NO_CONDITION, None, State.READY, Screening.NO, None),
        (Event.HAVE_CONDITION, None, State.READY, Screening.YES, None),
    ],
)
def test_the_answer_in_words_is_recorded_and_starts_what_suits(
    content: Content,
    event: Event,
    pending: str | None,
    state: State,
    screening: Screening,
    routine: str | None,
) -> None:
    session = SessionState(state=State.SCREENING, pending_routine_id=pending)
    outcome = advance(session, Turn(event, memory=Memory(known=True)), content)
    assert outcome.session.state is state
    assert outcome.session.screening is screening
    assert Effect.SCREENING_ANSWERED in outcome.effects
    if routine is not None:
        assert outcome.session.routine_id == routine
        assert outcome.session.step_index == 0
    elif screening is Screening.YES:
        assert outcome.session.offered_routine_id == content.gentle_routine.id


def test_pain_is_decided_before_the_answer_in_words() -> None:
    """Pain still comes first, even right after the answer is said in words."""
    for spoken in (Event.HAVE_CONDITION, Event.NO_CONDITION):
        assert max(i for i, r in enumerate(RULES) if r.event is Event.PAIN) < min(
            i for i, r in enumerate(RULES) if r.event is spoken
        )
