"""``engine.intervals.subtract``: working time with absences cut out, as the availability
selector and the benchmarks' calendars both take it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesoclinic.scheduling.engine import subtract

_interval = st.tuples(st.integers(0, 60), st.integers(0, 60))
"""Intervals that may be empty, reversed, touching or overlapping."""


def _minutes(intervals: list[tuple[int, int]]) -> list[int]:
    """Every covered minute, once for each interval that covers it."""
    return sorted(minute for start, end in intervals for minute in range(start, end))


@settings(max_examples=300, deadline=None)
@given(st.lists(_interval, max_size=6), st.lists(_interval, min_size=1, max_size=5))
def test_subtract_leaves_exactly_the_minutes_no_hole_covers(intervals, holes):
    # given
    holed = {minute for start, end in holes for minute in range(start, end)}
    expected = [minute for minute in _minutes(intervals) if minute not in holed]

    # when
    pieces = subtract(intervals, holes)

    # then: the same minutes as counted one by one; where a hole cut, only real pieces
    assert _minutes(pieces) == expected
    if holed:
        assert all(start < end for start, end in pieces)
    else:
        assert pieces == intervals


def test_a_hole_splits_an_interval_in_two_and_keeps_the_order():
    # when: an absence from 10:00 to 11:00 in a day from 09:00 to 17:00, then a later day
    pieces = subtract([(540, 1020), (2000, 2100)], [(600, 660)])

    # then
    assert pieces == [(540, 600), (660, 1020), (2000, 2100)]


def test_without_holes_the_intervals_come_back_unchanged():
    working = [(540, 1020), (1500, 1500)]

    assert subtract(working, []) == working
    assert subtract(working, [(700, 700)]) == working
