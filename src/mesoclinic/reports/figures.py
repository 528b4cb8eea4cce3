"""The arithmetic of the owner's report: shares, notice buckets and drop-off by session.

Pure: no Django. The selectors gather rows from the database and hand them here, so every
figure on the report page can be checked by hand against a small list.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

NOTICE_BUCKETS: tuple[tuple[str, dt.timedelta | None], ...] = (
    ("after the start", dt.timedelta(0)),
    ("under 24 hours", dt.timedelta(hours=24)),
    ("24 to 48 hours", dt.timedelta(hours=48)),
    ("2 to 7 days", dt.timedelta(days=7)),
    ("over 7 days", None),
)
"""Notice given by a cancellation, in the order the report lists it: each bucket holds
notices below its bound (and at or above the previous one); the last has no bound."""


def share(part: int | float, whole: int | float) -> float:
    """``part ÷ whole`` rounded to three places, 0 when there is nothing to divide."""
    return round(part / whole, 3) if whole else 0.0


def notice_bucket(notice: dt.timedelta) -> str:
    """The bucket of a cancellation made ``notice`` before the appointment's start."""
    for label, bound in NOTICE_BUCKETS:
        if bound is None or notice < bound:
            return label
    raise AssertionError("the last bucket has no bound")  # pragma: no cover


def notice_counts(notices: Iterable[dt.timedelta]) -> list[tuple[str, int]]:
    """How many cancellations fell in each notice bucket, every bucket listed."""
    counts = Counter(notice_bucket(notice) for notice in notices)
    return [(label, counts[label]) for label, _ in NOTICE_BUCKETS]


@dataclass(frozen=True, slots=True)
class SessionStep:
    """Course sessions of one number that were due in the range, and how many were given."""

    number: int
    due: int
    given: int

    @property
    def completion(self) -> float:
        return share(self.given, self.due)


def session_steps(sessions: Iterable[tuple[int, bool]]) -> list[SessionStep]:
    """Drop-off by session number from ``(session number, given?)`` pairs of due sessions."""
    due: Counter[int] = Counter()
    given: Counter[int] = Counter()
    for number, was_given in sessions:
        due[number] += 1
        given[number] += was_given
    return [SessionStep(number, due[number], given[number]) for number in sorted(due)]


def bar_width(value: float, largest: float) -> int:
    """A bar's length in percent of the longest bar of its chart (0–100)."""
    return round(100 * value / largest) if largest > 0 else 0
