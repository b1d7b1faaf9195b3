"""What the skill counts, for the people who run it and the people who write its routines.

One vocabulary, two exporters: Prometheus text at ``GET /metrics`` when self-hosted
(``skill.web.metrics``) and CloudWatch Embedded Metric Format lines on Lambda (``skill.emf``).

Counts only, and every label value comes from a closed set: request types and outcomes the
skill knows, the verifier's check names, the stores' fault kinds, and content ids (a routine id
and a step number that exist in the content). Anything else becomes ``other`` (or ``none``
outside a routine), so no user id, utterance or slot value can reach a label or make a series.

The conversation counts (routines started, finished, abandoned; pain stops and red flags by
routine and step) are derived in one place, ``turn_counts``, from each turn's outcome: the
session state before and after, and the effects the machine returned.

Pure: imports neither flask nor ask_sdk; the exporters are installed by the adapters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from skill.content import Content
from skill.machine import Effect, Event, Outcome
from skill.state import ROUTINE_STATES, SessionState, State

OTHER = "other"
#: The label value outside a routine.
NONE = "none"


@dataclass(frozen=True)
class Metric:
    """A counter (or, with ``buckets``, a histogram of seconds) and its label names."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


REQUESTS = Metric(
    "requests", "Alexa requests answered, by request type and outcome.", ("type", "outcome")
)
REPLY_SECONDS = Metric(
    "reply_seconds",
    "Time from receiving an Alexa request to having its reply, in seconds.",
    ("type",),
    (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0),
)
VERIFICATION_FAILURES = Metric(
    "verification_failures", "Web requests refused by a verification check.", ("check",)
)
STORE_FAULTS = Metric(
    "store_faults",
    "Progress store operations that failed (the person still got a reply).",
    ("store", "operation", "reason"),
)
HANDLER_ERRORS = Metric(
    "handler_errors", "Turns that failed inside the skill and got the spoken apology."
)
ROUTINES_STARTED = Metric("routines_started", "Routines begun or resumed.", ("routine",))
ROUTINES_FINISHED = Metric("routines_finished", "Routines completed to the end.", ("routine",))
ROUTINES_ABANDONED = Metric(
    "routines_abandoned",
    "Routines left unfinished (stop, another routine, the session ending), by the step left at.",
    ("routine", "step"),
)
PAIN_STOPS = Metric(
    "pain_stops", "Routines stopped because the person said it hurts, by step.", ("routine", "step")
)
RED_FLAGS = Metric(
    "red_flags",
    "Red flags (numbness, dizziness, ...) and chest pain reported, by routine and step.",
    ("routine", "step", "kind"),
)

ALL: tuple[Metric, ...] = (
    REQUESTS,
    REPLY_SECONDS,
    VERIFICATION_FAILURES,
    STORE_FAULTS,
    HANDLER_ERRORS,
    ROUTINES_STARTED,
    ROUTINES_FINISHED,
    ROUTINES_ABANDONED,
    PAIN_STOPS,
    RED_FLAGS,
)

#: The closed sets. Labels not listed here (routine, step) are checked against the content.
CLOSED: dict[str, frozenset[str]] = {
    "type": frozenset(
        {
            "LaunchRequest",
            "IntentRequest",
            "SessionEndedRequest",
            "CanFulfillIntentRequest",
            "System.ExceptionEncountered",
            "Alexa.Presentation.APL.UserEvent",
            "AlexaSkillEvent.SkillDisabled",
            "AlexaSkillEvent.SkillEnabled",
            "AlexaSkillEvent.SkillAccountLinked",
            "AlexaSkillEvent.SkillPermissionAccepted",
            "AlexaSkillEvent.SkillPermissionChanged",
            OTHER,
        }
    ),
    "outcome": frozenset({"ok", "rejected", "bad_request", "too_large", "error"}),
    # skill.web.verify's check names (tests/test_metrics.py keeps them in step).
    "check": frozenset(
        {
            "body",
            "skill_id",
            "timestamp",
            "headers",
            "cert_url",
            "cert_fetch",
            "cert_chain",
            "cert_expired",
            "cert_san",
            "signature",
            "replay",
            OTHER,
        }
    ),
    "store": frozenset({"sqlite", "dynamodb", "progress", OTHER}),
    "operation": frozenset(
        {"get", "save", "delete", "forget", "health_check", "integrity_check", OTHER}
    ),
    "reason": frozenset(
        {
            "unavailable",
            "corrupt_record",
            "not_json",
            "merge_failed",
            "no_user_id",
            "conflict",
            "throttled",
            "unreadable",
            OTHER,
        }
    ),
    "kind": frozenset({"red_flag", "chest_pain"}),
}


def closed(label: str, value: object) -> str:
    """``value`` when it belongs to ``label``'s closed set, else ``other``."""
    text = value if isinstance(value, str) else None
    return text if text is not None and text in CLOSED[label] else OTHER


class Recorder(Protocol):
    """Where counts go: an exporter (Prometheus, EMF) or nowhere."""

    def count(self, metric: Metric, labels: Mapping[str, str], amount: int = 1) -> None: ...

    def observe(self, metric: Metric, labels: Mapping[str, str], value: float) -> None: ...


class NoMetrics:
    """The default until an adapter installs an exporter (the console, most tests)."""

    def count(self, metric: Metric, labels: Mapping[str, str], amount: int = 1) -> None:
        return None

    def observe(self, metric: Metric, labels: Mapping[str, str], value: float) -> None:
        return None


_recorder: Recorder = NoMetrics()


def install(recorder: Recorder) -> Recorder:
    """Make ``recorder`` the process's exporter (one per process, like its log handler)."""
    global _recorder
    _recorder = recorder
    return recorder


def recorder() -> Recorder:
    return _recorder


# -- what the adapters report -------------------------------------------------------------------


def request_answered(request_type: object, outcome: str, seconds: float | None) -> None:
    """One Alexa request, answered (or refused) by the web service or the Lambda."""
    kind = closed("type", request_type)
    _recorder.count(REQUESTS, {"type": kind, "outcome": closed("outcome", outcome)})
    if seconds is not None:
        _recorder.observe(REPLY_SECONDS, {"type": kind}, seconds)


def verification_failed(check: object) -> None:
    _recorder.count(VERIFICATION_FAILURES, {"check": closed("check", check)})


def store_fault(store: object, operation: object, reason: object) -> None:
    _recorder.count(
        STORE_FAULTS,
        {
            "store": closed("store", store),
            "operation": closed("operation", operation),
            "reason": closed("reason", reason),
        },
    )


def handler_error() -> None:
    _recorder.count(HANDLER_ERRORS, {})


# -- the conversation, from each turn's outcome -------------------------------------------------


@dataclass(frozen=True)
class Count:
    metric: Metric
    labels: tuple[tuple[str, str], ...]


def _where(session: SessionState, content: Content) -> tuple[str, str] | None:
    """(routine id, step number) of a routine under way, checked against the content."""
    if session.state not in ROUTINE_STATES:
        return None
    routine = content.routine(session.routine_id) if session.routine_id else None
    if routine is None or session.routine_id is None:
        return (OTHER, OTHER)
    index = session.step_index
    step = str(index + 1) if isinstance(index, int) and 0 <= index < len(routine.steps) else OTHER
    return (session.routine_id, step)


def _count(metric: Metric, **labels: str) -> Count:
    return Count(metric, tuple(labels.items()))


def turn_counts(
    before: SessionState, event: Event, outcome: Outcome, content: Content
) -> list[Count]:
    """The conversation counts one turn makes: the single place they are decided.

    ``before`` is the session as the turn found it, ``outcome`` what the machine returned. A
    routine is started when a turn enters it (or resumes it) afresh, finished when the machine
    says so (``ROUTINE_FINISHED``), abandoned when a turn leaves it any other way than a stop
    for pain, and a pain stop or red flag is placed at the step it interrupted.
    """
    was = _where(before, content)
    now = _where(outcome.session, content)
    counts: list[Count] = []
    hurt = Effect.PAIN_STOP in outcome.effects
    if hurt:
        routine, step = was or (NONE, NONE)
        if event in (Event.RED_FLAG, Event.CHEST_PAIN):
            counts.append(_count(RED_FLAGS, routine=routine, step=step, kind=str(event)))
        else:
            counts.append(_count(PAIN_STOPS, routine=routine, step=step))
    if Effect.ROUTINE_FINISHED in outcome.effects:
        routine_id = outcome.session.routine_id or before.routine_id
        known = routine_id is not None and content.routine(routine_id) is not None
        counts.append(
            _count(ROUTINES_FINISHED, routine=routine_id if known and routine_id else OTHER)
        )
        return counts
    ended = outcome.session.state is State.FINISHED  # at the end again, after going back
    if was is not None and not hurt and not ended and (now is None or now[0] != was[0]):
        counts.append(_count(ROUTINES_ABANDONED, routine=was[0], step=was[1]))
    # Stepping back into a routine already finished this run ("back" at the end) is no start.
    fresh = not outcome.session.finish_counted
    if now is not None and fresh and (was is None or now[0] != was[0]):
        counts.append(_count(ROUTINES_STARTED, routine=now[0]))
    return counts


def session_ended_counts(session: SessionState, content: Content) -> list[Count]:
    """Alexa ended the session (a timeout, "exit"): a routine under way was abandoned."""
    was = _where(session, content)
    if was is None:
        return []
    return [_count(ROUTINES_ABANDONED, routine=was[0], step=was[1])]


def record(counts: Iterable[Count]) -> None:
    for item in counts:
        _recorder.count(item.metric, dict(item.labels))
