"""What the skill remembers about one person between sessions, and nothing beyond.

Privacy rule for a health skill: no symptoms, no free text. Only the fields of :class:`Progress`
are stored; anything else found in storage is dropped on read.

Pure: standard library only (no flask, ask_sdk or boto3).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

PROGRESS_VERSION = 1
#: How many completion dates are kept: enough for streaks and weekly counts, no more.
MAX_COMPLETED_DATES = 60
SCREENING_ANSWERS = ("yes", "no")
# Bounds that no real value reaches; anything beyond is corruption, not data.
_MAX_STEP_INDEX = 1_000
_MAX_COMPLETED_TOTAL = 1_000_000
# Routine ids are content slugs; restricting them keeps free text out of storage.
_ROUTINE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_TIMESTAMP_LEN = 40

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """The typed record stored per person (see the module docstring for what may not be here)."""

    version: int = PROGRESS_VERSION
    routine_id: str | None = None  # unfinished routine, if any
    step_index: int = 0  # 0-based step within it
    last_active: str | None = None  # ISO 8601 UTC timestamp
    completed_total: int = 0  # routines finished, ever
    completed_dates: tuple[str, ...] = ()  # YYYY-MM-DD per completion, sorted, newest last
    screening: str | None = None  # "yes" | "no" | None: osteoporosis/spine condition answer
    stopped_for_pain: bool = False  # the last routine stopped because something hurt
    disclaimer_heard: bool = False  # the person has heard the medical disclaimer

    # -- storage -------------------------------------------------------------------------------

    def to_attributes(self) -> dict[str, object]:
        """A JSON-safe dict (lists, not tuples), including ``version``."""
        return {
            "version": PROGRESS_VERSION,
            "routine_id": self.routine_id,
            "step_index": self.step_index,
            "last_active": self.last_active,
            "completed_total": self.completed_total,
            "completed_dates": list(self.completed_dates),
            "screening": self.screening,
            "stopped_for_pain": self.stopped_for_pain,
            "disclaimer_heard": self.disclaimer_heard,
        }

    @classmethod
    def from_attributes(cls, attrs: Mapping[str, object] | None) -> Progress:
        """Never raises; corrupt or unknown input yields safe defaults (see :meth:`parse`)."""
        return cls.parse(attrs)[0]

    @classmethod
    def parse(cls, attrs: object) -> tuple[Progress, list[str]]:
        """Read stored attributes, returning the record and the names of fields that were bad.

        Problems name fields, never values, so callers may log them. Unknown keys are ignored.
        A missing record (``None`` or ``{}``) is a new person, not a problem.
        """
        try:
            return parse_progress(attrs)
        except (TypeError, ValueError):  # odd values the checks below did not foresee
            return cls(), ["attributes"]

    # -- transitions ---------------------------------------------------------------------------

    def with_completion(self, today: date) -> Progress:
        """A routine was finished today: count it and forget the unfinished routine."""
        return replace(
            self,
            version=PROGRESS_VERSION,
            completed_total=self.completed_total + 1,
            completed_dates=_cap(sorted((*self.completed_dates, today.isoformat()))),
            routine_id=None,
            step_index=0,
            stopped_for_pain=False,
        )

    def with_step(self, routine_id: str, index: int, now: datetime) -> Progress:
        """The person reached step ``index`` of ``routine_id``.

        Clears ``stopped_for_pain``: the flag describes the latest routine, which is this one.
        """
        if not _ROUTINE_ID.fullmatch(routine_id):
            raise ValueError("routine_id must be a content slug")
        if not 0 <= index < _MAX_STEP_INDEX:
            raise ValueError("step index out of range")
        return replace(
            self,
            version=PROGRESS_VERSION,
            routine_id=routine_id,
            step_index=index,
            last_active=_timestamp(now),
            stopped_for_pain=False,
        )

    def with_pain_stop(self, now: datetime) -> Progress:
        """The routine stopped because something hurt.

        The routine is dropped too, so a later "resume" never walks straight back into it.
        """
        return replace(
            self,
            version=PROGRESS_VERSION,
            routine_id=None,
            step_index=0,
            last_active=_timestamp(now),
            stopped_for_pain=True,
        )

    def cleared_routine(self) -> Progress:
        """Forget the unfinished routine (the person chose to start over or stop)."""
        return replace(self, version=PROGRESS_VERSION, routine_id=None, step_index=0)

    # -- questions -----------------------------------------------------------------------------

    def streak(self, today: date) -> int:
        """Consecutive days with a completion, ending today or yesterday (else 0)."""
        days = set(self.completed_dates)
        day = today if today.isoformat() in days else today - timedelta(days=1)
        count = 0
        while day.isoformat() in days:
            count += 1
            day -= timedelta(days=1)
        return count

    def sessions_this_week(self, today: date) -> int:
        """Completions in the last 7 days, today included."""
        first = (today - timedelta(days=6)).isoformat()
        last = today.isoformat()
        return sum(1 for d in self.completed_dates if first <= d <= last)

    @staticmethod
    def merge(base: Progress, theirs: Progress, mine: Progress) -> Progress:
        """Three-way merge; see :func:`merge`."""
        return merge(base, theirs, mine)


def merge(base: Progress, theirs: Progress, mine: Progress) -> Progress:
    """Combine a concurrent write (``theirs``) with this request's (``mine``), both from ``base``.

    Counters add; completion dates combine as a multiset (two completions on one day stay two);
    every other field takes ``mine`` where this request changed it, else ``theirs``.
    ``routine_id`` and ``step_index`` move together, since a step only means something within
    its routine.
    """
    total = theirs.completed_total + (mine.completed_total - base.completed_total)
    added = Counter(mine.completed_dates) - Counter(base.completed_dates)
    dates = _cap(sorted((Counter(theirs.completed_dates) + added).elements()))
    mine_moved = (mine.routine_id, mine.step_index) != (base.routine_id, base.step_index)
    position = mine if mine_moved else theirs
    return Progress(
        routine_id=position.routine_id,
        step_index=position.step_index,
        last_active=_pick(base.last_active, theirs.last_active, mine.last_active),
        completed_total=min(max(total, len(dates)), _MAX_COMPLETED_TOTAL),
        completed_dates=dates,
        screening=_pick(base.screening, theirs.screening, mine.screening),
        stopped_for_pain=_pick(
            base.stopped_for_pain, theirs.stopped_for_pain, mine.stopped_for_pain
        ),
        disclaimer_heard=_pick(
            base.disclaimer_heard, theirs.disclaimer_heard, mine.disclaimer_heard
        ),
    )


def _pick(base: T, theirs: T, mine: T) -> T:
    return mine if mine != base else theirs


def progress_merge(
    base: Mapping[str, object] | None,
    theirs: Mapping[str, object] | None,
    mine: Mapping[str, object] | None,
) -> dict[str, object]:
    """:func:`merge` on stored attribute dicts: the hook the skill gives its persistence adapter."""
    return merge(
        Progress.from_attributes(base),
        Progress.from_attributes(theirs),
        Progress.from_attributes(mine),
    ).to_attributes()


# -- parsing -----------------------------------------------------------------------------------


def parse_progress(attrs: object) -> tuple[Progress, list[str]]:
    """The parser behind ``Progress.parse``, without its guard: tests call it directly, so a
    crash in parsing fails them instead of passing as "corrupt"."""
    if attrs is None:
        return Progress(), []
    if not isinstance(attrs, Mapping):
        return Progress(), ["attributes"]
    if not attrs:
        return Progress(), []
    version = attrs.get("version")
    if not (_is_int(version) and version == PROGRESS_VERSION):
        # A newer (or unknown) layout may mean different things by the same names.
        return Progress(), ["version"]

    problems: list[str] = []

    raw_routine = attrs.get("routine_id")
    routine_id = raw_routine if isinstance(raw_routine, str) else None
    if raw_routine is not None and not (routine_id and _ROUTINE_ID.fullmatch(routine_id)):
        problems.append("routine_id")
        routine_id = None

    step = _bounded_int(attrs.get("step_index", 0), _MAX_STEP_INDEX - 1)
    if step is None or (routine_id is None and step != 0):
        problems.append("step_index")
        step = 0

    last_active: str | None = None
    if attrs.get("last_active") is not None:
        last_active = _parse_timestamp(attrs["last_active"])
        if last_active is None:
            problems.append("last_active")

    raw_dates = attrs.get("completed_dates", [])
    dates: list[str] = []
    if isinstance(raw_dates, list | tuple):
        dates = [d for d in raw_dates if isinstance(d, str) and _is_iso_date(d)]
    if not isinstance(raw_dates, list | tuple) or len(dates) != len(raw_dates):
        problems.append("completed_dates")

    total = _bounded_int(attrs.get("completed_total", 0), _MAX_COMPLETED_TOTAL)
    if total is None or total < len(dates):
        # Each listed date was a completion, so the total is at least that many.
        problems.append("completed_total")
        total = len(dates)

    raw_screening = attrs.get("screening")
    screening = raw_screening if isinstance(raw_screening, str) else None
    if screening not in SCREENING_ANSWERS:
        screening = None
    if raw_screening is not None and screening is None:
        problems.append("screening")

    pain = attrs.get("stopped_for_pain", False)
    if not isinstance(pain, bool):
        problems.append("stopped_for_pain")
        pain = False

    # Records from before the field: completing a routine or answering the screening question
    # meant a session that began with the disclaimer; anything less may not have heard it.
    heard = attrs.get("disclaimer_heard", total > 0 or screening is not None)
    if not isinstance(heard, bool):
        problems.append("disclaimer_heard")
        heard = False

    progress = Progress(
        routine_id=routine_id,
        step_index=step,
        last_active=last_active,
        completed_total=total,
        completed_dates=_cap(sorted(dates)),
        screening=screening,
        stopped_for_pain=pain,
        disclaimer_heard=heard,
    )
    return progress, list(dict.fromkeys(problems))


def _bounded_int(value: object, upper: int) -> int | None:
    """``value`` if it is an int in ``0..upper``, else ``None``."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= upper:
        return value
    return None


def _is_int(value: object) -> bool:
    # bool is an int subclass, and True must not pass for 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _parse_timestamp(value: object) -> str | None:
    """The canonical UTC form of a stored timestamp, or ``None`` if it is corrupt."""
    if not isinstance(value, str) or len(value) > _MAX_TIMESTAMP_LEN:
        return None
    try:
        return _timestamp(datetime.fromisoformat(value))
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted to UTC
        return None


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:  # naive times in this code base are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _cap(dates: list[str]) -> tuple[str, ...]:
    return tuple(dates[-MAX_COMPLETED_DATES:])
