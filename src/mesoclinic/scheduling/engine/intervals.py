"""Half-open integer intervals, the currency of the scheduling engine.

Every time in the engine is an integer number of minutes (the Django shell uses minutes
since the Unix epoch, UTC).  An interval ``[start, end)`` contains ``start`` and not
``end``; an interval with ``end <= start`` is empty and overlaps nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from operator import itemgetter, lt
from typing import NamedTuple

_START = itemgetter(0)
_END = itemgetter(1)


class Interval(NamedTuple):
    """A half-open interval ``[start, end)`` of integer minutes."""

    start: int
    end: int


def overlaps(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two half-open intervals share at least one minute."""
    return (
        first[0] < second[1]
        and second[0] < first[1]
        and first[0] < first[1]
        and second[0] < second[1]
    )


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[Interval]:
    """Sort intervals, drop empty ones and merge those that overlap or touch.

    The result is sorted, pairwise disjoint and never touching, so "inside the union"
    becomes "inside one of the intervals".
    """
    merged: list[Interval] = []
    for start, end in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


def is_merged(intervals: Sequence[tuple[int, int]]) -> bool:
    """Whether intervals are already non-empty, sorted, disjoint and non-touching."""
    starts = list(map(_START, intervals))
    ends = list(map(_END, intervals))
    return all(map(lt, starts, ends)) and all(map(lt, ends, islice(starts, 1, None)))
