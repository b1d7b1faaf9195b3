"""The stored record: round trip, recovery from corrupt input, streaks, three-way merge."""

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skill.progress import (
    MAX_COMPLETED_DATES,
    PROGRESS_VERSION,
    Progress,
    merge,
    parse_progress,
    progress_merge,
)

TODAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
FIELDS = {
    "attributes",
    "version",
    "routine_id",
    "step_index",
    "last_active",
    "completed_total",
    "completed_dates",
    "screening",
    "stopped_for_pain",
    "disclaimer_heard",
}


def days_ago(*offsets: int) -> tuple[str, ...]:
    return tuple(sorted((TODAY - timedelta(days=n)).isoformat() for n in offsets))


FULL = Progress(
    routine_id="upper-back",
    step_index=3,
    last_active="2025-03-14T09:30:00+00:00",
    completed_total=7,
    completed_dates=days_ago(0, 1, 3),
    screening="no",
    stopped_for_pain=False,
    disclaimer_heard=True,
)


# -- round trip --------------------------------------------------------------------------------


def test_round_trip_through_json():
    attrs = json.loads(json.dumps(FULL.to_attributes(), allow_nan=False))
    assert attrs["version"] == PROGRESS_VERSION
    assert Progress.parse(attrs) == (FULL, [])


def test_defaults_round_trip_and_missing_record_is_not_a_problem():
    assert Progress.parse(Progress().to_attributes()) == (Progress(), [])
    assert Progress.parse(None) == (Progress(), [])
    assert Progress.parse({}) == (Progress(), [])


def test_only_the_known_fields_are_stored():
    assert set(FULL.to_attributes()) == FIELDS - {"attributes"}


def test_unknown_keys_are_ignored_and_not_kept():
    attrs = {**FULL.to_attributes(), "symptom_notes": "it hurt here", "x": 1}
    progress, problems = Progress.parse(attrs)
    assert (progress, problems) == (FULL, [])
    assert "symptom_notes" not in progress.to_attributes()


def test_timestamps_are_normalised_to_utc():
    attrs = {**FULL.to_attributes(), "last_active": "2025-03-14T10:30:00+01:00"}
    assert Progress.from_attributes(attrs).last_active == "2025-03-14T09:30:00+00:00"
    attrs["last_active"] = "2025-03-14T09:30:00Z"
    assert Progress.from_attributes(attrs).last_active == "2025-03-14T09:30:00+00:00"


# -- corrupt input -----------------------------------------------------------------------------

GOOD = FULL.to_attributes()


def with_(**changes: object) -> dict[str, object]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    ("attrs", "expected", "problems"),
    [
        pytest.param(None, Progress(), [], id="none"),
        pytest.param([1, 2, 3], Progress(), ["attributes"], id="list-not-dict"),
        pytest.param("{}", Progress(), ["attributes"], id="string-not-dict"),
        pytest.param(42, Progress(), ["attributes"], id="int-not-dict"),
        pytest.param(with_(version=99), Progress(), ["version"], id="newer-version"),
        pytest.param(with_(version=0), Progress(), ["version"], id="unknown-version"),
        pytest.param(with_(version="1"), Progress(), ["version"], id="version-as-text"),
        pytest.param(with_(version=True), Progress(), ["version"], id="version-as-bool"),
        pytest.param({"completed_total": 5}, Progress(), ["version"], id="no-version"),
        pytest.param(
            with_(step_index=-1), replace(FULL, step_index=0),
            ["step_index"], id="negative-step",
        ),
        pytest.param(
            with_(step_index="3"), replace(FULL, step_index=0),
            ["step_index"], id="step-as-text",
        ),
        pytest.param(
            with_(step_index=2.5), replace(FULL, step_index=0),
            ["step_index"], id="step-as-float",
        ),
        pytest.param(
            with_(routine_id="Tell me about my back pain"),
            replace(FULL, routine_id=None, step_index=0),
            ["routine_id", "step_index"], id="free-text-routine",
        ),
        pytest.param(
            with_(routine_id=7),
            replace(FULL, routine_id=None, step_index=0),
            ["routine_id", "step_index"], id="routine-as-int",
        ),
        pytest.param(
            with_(screening="maybe"), replace(FULL, screening=None),
            ["screening"], id="unknown-screening",
        ),
        pytest.param(
            with_(screening=["yes"]), replace(FULL, screening=None),
            ["screening"], id="screening-as-list",
        ),
        pytest.param(
            with_(stopped_for_pain="yes"),
            replace(FULL, stopped_for_pain=False),
            ["stopped_for_pain"], id="pain-as-text",
        ),
        pytest.param(
            with_(stopped_for_pain=1),
            replace(FULL, stopped_for_pain=False),
            ["stopped_for_pain"], id="pain-as-int",
        ),
        pytest.param(
            with_(disclaimer_heard="yes"),
            replace(FULL, disclaimer_heard=False),
            ["disclaimer_heard"], id="heard-as-text",
        ),
        pytest.param(
            with_(completed_total=-4), replace(FULL, completed_total=3),
            ["completed_total"], id="negative-total-floors-at-dates",
        ),
        pytest.param(
            with_(completed_total=True),
            replace(FULL, completed_total=3),
            ["completed_total"], id="total-as-bool",
        ),
        pytest.param(
            with_(completed_total=10**30),
            replace(FULL, completed_total=3),
            ["completed_total"], id="absurd-total",
        ),
        pytest.param(
            with_(completed_dates=["2025-03-14", "yesterday", 20250313, "2025-02-30"]),
            replace(FULL, completed_dates=("2025-03-14",)),
            ["completed_dates"], id="bad-dates-dropped",
        ),
        pytest.param(
            with_(completed_dates="2025-03-14"),
            replace(FULL, completed_dates=()),
            ["completed_dates"], id="dates-as-text",
        ),
        pytest.param(
            with_(last_active="last tuesday"),
            replace(FULL, last_active=None),
            ["last_active"], id="bad-timestamp",
        ),
        pytest.param(
            with_(last_active="0001-01-01T00:00:00+05:00"),
            replace(FULL, last_active=None),
            ["last_active"], id="timestamp-overflows-utc",
        ),
        pytest.param(
            {"version": 1, "step_index": 4},
            Progress(),
            ["step_index"], id="step-without-routine",
        ),
    ],
)  # fmt: skip
def test_corrupt_attributes_recover_field_by_field(attrs, expected, problems):
    progress, found = parse_progress(attrs)  # the parser itself: a crash fails the test
    assert progress == expected
    assert found == problems
    assert Progress.from_attributes(attrs) == expected


OLD = {"version": PROGRESS_VERSION, "last_active": "2025-03-14T09:30:00+00:00"}


@pytest.mark.parametrize(
    ("record", "heard"),
    [
        pytest.param(OLD, False, id="only-seen: a pain stop or stop may have come first"),
        pytest.param({**OLD, "stopped_for_pain": True}, False, id="stopped-for-pain"),
        pytest.param({**OLD, "completed_total": 2}, True, id="completed-routines"),
        pytest.param({**OLD, "screening": "no"}, True, id="answered-screening"),
        pytest.param({**OLD, "screening": "yes"}, True, id="answered-screening-yes"),
        pytest.param({**OLD, "disclaimer_heard": False, "screening": "no"}, False, id="field-wins"),
    ],
)
def test_a_record_from_before_the_disclaimer_field_is_read_sensibly(record, heard):
    progress, problems = Progress.parse(record)
    assert (progress.disclaimer_heard, problems) == (heard, [])


def test_dates_are_sorted_and_capped_on_read():
    dates = [(TODAY - timedelta(days=n)).isoformat() for n in range(100)]  # newest first
    progress = Progress.from_attributes(with_(completed_dates=dates, completed_total=100))
    assert len(progress.completed_dates) == MAX_COMPLETED_DATES
    assert progress.completed_dates[-1] == TODAY.isoformat()
    assert list(progress.completed_dates) == sorted(progress.completed_dates)


def test_problems_name_fields_never_values():
    secret = "amzn1.ask.account.SECRET"
    attrs = {key: secret for key in GOOD}
    attrs["version"] = 1
    _, problems = parse_progress(attrs)
    assert problems and set(problems) <= FIELDS
    assert not any(secret in p for p in problems)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
FIELD_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "version": st.sampled_from([1, 1, 1, 2, 0, -1, "1", None, True, 1.0]),
        **{name: JSON for name in FIELDS - {"attributes", "version"}},
        "completed_dates": st.lists(
            st.dates().map(date.isoformat) | st.text(max_size=12) | JSON, max_size=70
        ),
        "last_active": st.datetimes(timezones=st.just(UTC) | st.none()).map(datetime.isoformat)
        | JSON,
    },
)


@given(st.one_of(JSON, FIELD_VALUES))
def test_the_parser_never_raises_and_is_stable(attrs):
    progress, problems = parse_progress(attrs)  # unguarded: any crash in parsing fails here
    assert isinstance(progress, Progress)
    assert set(problems) <= FIELDS
    stored = progress.to_attributes()
    json.dumps(stored, allow_nan=False)  # always JSON-safe
    assert parse_progress(stored) == (progress, [])  # what we write, we read back cleanly


@pytest.mark.parametrize("error", [TypeError("odd"), ValueError("odd")])
def test_only_the_expected_errors_degrade_to_a_new_person(monkeypatch, error):
    import skill.progress as module

    def failing(attrs):
        raise error

    monkeypatch.setattr(module, "parse_progress", failing)
    assert Progress.parse(GOOD) == (Progress(), ["attributes"])


def test_a_bug_in_parsing_is_not_hidden_as_corrupt_data(monkeypatch):
    import skill.progress as module

    def buggy(attrs):
        raise AttributeError("a bug")

    monkeypatch.setattr(module, "parse_progress", buggy)
    with pytest.raises(AttributeError):
        Progress.parse(GOOD)


# -- transitions and questions -----------------------------------------------------------------


def test_with_completion_counts_and_clears_the_routine():
    started = Progress().with_step("upper-back", 4, NOW).with_pain_stop(NOW)
    done = started.with_step("upper-back", 2, NOW).with_completion(TODAY)
    assert done.completed_total == 1
    assert done.completed_dates == (TODAY.isoformat(),)
    assert (done.routine_id, done.step_index, done.stopped_for_pain) == (None, 0, False)


def test_with_completion_keeps_at_most_sixty_dates_newest_last():
    progress = Progress()
    for n in range(70, -1, -1):
        progress = progress.with_completion(TODAY - timedelta(days=n))
    assert progress.completed_total == 71
    assert len(progress.completed_dates) == MAX_COMPLETED_DATES
    assert progress.completed_dates[-1] == TODAY.isoformat()


def test_with_step_records_position_and_time():
    local = datetime(2025, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    progress = Progress(stopped_for_pain=True).with_step("upper-back", 2, local)
    assert (progress.routine_id, progress.step_index) == ("upper-back", 2)
    assert progress.last_active == "2025-03-14T09:30:00+00:00"
    assert progress.stopped_for_pain is False


@pytest.mark.parametrize(("routine", "index"), [("Free text!", 0), ("", 0), ("upper-back", -1)])
def test_with_step_rejects_what_must_not_be_stored(routine, index):
    with pytest.raises(ValueError):
        Progress().with_step(routine, index, NOW)


def test_with_pain_stop_and_cleared_routine():
    started = Progress(completed_total=2).with_step("upper-back", 3, NOW)
    stopped = started.with_pain_stop(NOW)
    assert stopped.stopped_for_pain is True
    assert (stopped.routine_id, stopped.step_index, stopped.completed_total) == (None, 0, 2)
    cleared = started.cleared_routine()
    assert (cleared.routine_id, cleared.step_index) == (None, 0)
    assert cleared.last_active == started.last_active


@pytest.mark.parametrize(
    ("offsets", "streak"),
    [
        ((), 0),
        ((0,), 1),
        ((1,), 1),  # yesterday still counts: today is not over
        ((2,), 0),
        ((0, 1, 2, 4), 3),
        ((1, 2, 3), 3),
        ((0, 0, 1), 2),  # two sessions in one day are one day of the streak
        ((0, 2, 3), 1),
    ],
)
def test_streak(offsets, streak):
    progress = Progress(completed_total=len(offsets), completed_dates=days_ago(*offsets))
    assert progress.streak(TODAY) == streak


@pytest.mark.parametrize(
    ("offsets", "sessions"),
    [((), 0), ((0,), 1), ((0, 0, 6), 3), ((7, 8), 0), ((0, 3, 6, 7), 3), ((-1,), 0)],
)
def test_sessions_this_week(offsets, sessions):
    progress = Progress(completed_total=len(offsets), completed_dates=days_ago(*offsets))
    assert progress.sessions_this_week(TODAY) == sessions


# -- merge -------------------------------------------------------------------------------------


def test_merge_adds_concurrent_completions():
    base = Progress(completed_total=5, completed_dates=days_ago(3, 2))
    theirs = base.with_completion(TODAY)
    mine = base.with_completion(TODAY)
    merged = merge(base, theirs, mine)
    assert merged.completed_total == 7
    assert merged.completed_dates == days_ago(3, 2, 0, 0)


def test_merge_without_a_concurrent_change_is_mine():
    base = FULL
    mine = base.with_completion(TODAY)
    assert merge(base, base, mine) == mine


def test_merge_unions_dates_and_caps():
    base = Progress(completed_total=60, completed_dates=days_ago(*range(1, 61)))
    theirs = base.with_completion(TODAY)
    mine = base.with_completion(TODAY)
    merged = merge(base, theirs, mine)
    assert merged.completed_total == 62
    assert len(merged.completed_dates) == MAX_COMPLETED_DATES
    assert merged.completed_dates[-2:] == days_ago(0, 0)


def test_merge_takes_mine_only_where_mine_changed():
    base = Progress(screening=None)
    theirs = replace(Progress(screening="yes"), disclaimer_heard=True).with_step(
        "upper-back", 4, NOW
    )
    mine = base.with_pain_stop(NOW)  # pain flag and time changed; position unchanged (None, 0)
    merged = merge(base, theirs, mine)
    assert merged.screening == "yes" and merged.disclaimer_heard is True
    assert merged.stopped_for_pain is True
    assert (merged.routine_id, merged.step_index) == ("upper-back", 4)


def test_merge_moves_routine_and_step_together():
    base = Progress().with_step("upper-back", 2, NOW)
    theirs = base.with_step("neck-release", 1, NOW)
    mine = base.with_step("upper-back", 3, NOW)
    merged = merge(base, theirs, mine)
    assert (merged.routine_id, merged.step_index) == ("upper-back", 3)


def test_merge_of_a_completion_with_a_concurrent_step():
    base = Progress().with_step("upper-back", 2, NOW)
    theirs = base.with_step("upper-back", 3, NOW)
    mine = base.with_completion(TODAY)
    merged = merge(base, theirs, mine)
    assert merged.completed_total == 1
    assert merged.routine_id is None  # finishing wins over a step of the same routine


def test_progress_merge_on_dicts_and_method_alias():
    base = Progress(completed_total=1, completed_dates=days_ago(1))
    theirs = base.with_completion(TODAY)
    mine = base.with_completion(TODAY)
    merged = progress_merge(base.to_attributes(), theirs.to_attributes(), mine.to_attributes())
    assert merged == Progress.merge(base, theirs, mine).to_attributes()
    assert merged["completed_total"] == 3
    # A corrupt stored record contributes nothing but loses nothing of this request's delta.
    assert (
        progress_merge(base.to_attributes(), ["junk"], mine.to_attributes())["completed_total"] == 1
    )


def test_progress_module_is_pure():
    code = (
        "import sys, skill.progress; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('ask_sdk_core', 'ask_sdk_model', 'boto3', 'flask')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
