"""The transition table itself: total, reachable, no traps, safety first, diagram in sync."""

from __future__ import annotations

from collections import deque

import pytest

from skill.diagram import DIAGRAM_PATH, render_diagram
from skill.machine import ANY, RULES, SAME, Event, Rule
from skill.machine.actions import ACTIONS
from skill.state import ROUTINE_STATES, State

ALL_STATES = list(State)
ALWAYS = [Event.HELP, Event.STOP, Event.CANCEL, Event.REPEAT, Event.PAIN]


def rules_for(state: State, event: Event) -> list[Rule]:
    return [r for r in RULES if (r.source is ANY or r.source == state) and r.event == event]


def targets(rule: Rule, state: State) -> State:
    return state if rule.target is SAME else rule.target  # type: ignore[return-value]


def edges() -> dict[State, set[State]]:
    graph: dict[State, set[State]] = {s: set() for s in ALL_STATES}
    for state in ALL_STATES:
        for event in Event:
            for rule in rules_for(state, event):
                graph[state].add(targets(rule, state))
    return graph


def reachable(start: State) -> set[State]:
    graph, seen, queue = edges(), {start}, deque([start])
    while queue:
        for nxt in graph[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("event", list(Event))
def test_every_state_answers_every_event(state: State, event: Event) -> None:
    """Some rule without a guard always matches, so no (state, event) is left unanswered."""
    assert any(rule.guard is None for rule in rules_for(state, event)), (state, event)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("event", ALWAYS)
def test_help_stop_cancel_repeat_and_pain_are_answered_everywhere(state: State, event: Event):
    assert rules_for(state, event)


@pytest.mark.parametrize("state", ALL_STATES)
def test_pain_is_decided_before_anything_state_specific(state: State) -> None:
    first = rules_for(state, Event.PAIN)
    assert all(rule.source is ANY for rule in first)
    assert {targets(rule, state) for rule in first} == {State.PAIN_STOPPED}
    pain_rules = [i for i, r in enumerate(RULES) if r.event is Event.PAIN]
    assert max(pain_rules) < min(i for i, r in enumerate(RULES) if r.source is not ANY)


def test_every_action_exists_and_every_action_is_used() -> None:
    used = {rule.action for rule in RULES}
    assert used <= set(ACTIONS)
    assert set(ACTIONS) <= used, set(ACTIONS) - used


def test_guards_are_named_functions() -> None:
    for rule in RULES:
        if rule.guard is not None:
            assert rule.guard.__name__ != "<lambda>"


def test_no_unreachable_states() -> None:
    assert reachable(State.READY) == set(ALL_STATES)


@pytest.mark.parametrize("state", ALL_STATES)
def test_no_trap_states(state: State) -> None:
    """From anywhere, a person can leave and can get back to the menu."""
    assert State.ENDED in reachable(state)
    assert State.READY in reachable(state)


@pytest.mark.parametrize("state", sorted(ROUTINE_STATES))
def test_every_routine_state_can_finish(state: State) -> None:
    assert State.FINISHED in reachable(state)


def test_red_flags_end_the_session_from_everywhere() -> None:
    for state in ALL_STATES:
        for event in (Event.RED_FLAG, Event.CHEST_PAIN):
            assert targets(rules_for(state, event)[0], state) is State.ENDED


def test_committed_diagram_is_in_sync() -> None:
    assert DIAGRAM_PATH.read_text(encoding="utf-8") == render_diagram(), (
        "docs/state-machine.md is stale: run `workout-planner diagram`"
    )
