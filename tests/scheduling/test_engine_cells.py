"""``engine.cells.working_gaps``: every row's complement of its working time at once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesoclinic.scheduling.engine.cells import _FAR_AWAY, working_gaps

_interval = st.tuples(st.integers(0, 60), st.integers(0, 60))
"""Intervals that may be empty, reversed, touching or overlapping."""


def _gaps_minute_by_minute(working: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The reference: the uncovered runs of minutes in [-1, 62), the ends open to infinity."""
    covered = {minute for start, end in working for minute in range(start, end)}
    gaps: list[tuple[int, int]] = []
    for minute in range(-1, 62):
        if minute in covered:
            continue
        if gaps and gaps[-1][1] == minute:
            gaps[-1] = (gaps[-1][0], minute + 1)
        else:
            gaps.append((minute, minute + 1))
    if gaps and gaps[0][0] == -1:
        gaps[0] = (-_FAR_AWAY, gaps[0][1])
    if gaps and gaps[-1][1] == 62:
        gaps[-1] = (gaps[-1][0], _FAR_AWAY)
    return gaps


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_interval, max_size=6), max_size=5))
def test_each_row_gets_the_complement_of_its_working_time(rows):
    # when
    table = working_gaps(rows)

    # then: row by row, the gaps in order, as counted minute by minute
    assert table.row_count == len(rows)
    found = list(zip(table.rows.tolist(), table.starts.tolist(), table.ends.tolist(), strict=True))
    for row, working in enumerate(rows):
        assert [(start, end) for r, start, end in found if r == row] == _gaps_minute_by_minute(
            working
        )


def test_a_row_without_working_time_is_one_gap_from_minus_to_plus_infinity():
    table = working_gaps([[(10, 20)], []])

    assert table.rows.tolist() == [0, 0, 1]
    assert table.starts.tolist() == [-_FAR_AWAY, 20, -_FAR_AWAY]
    assert table.ends.tolist() == [10, _FAR_AWAY, _FAR_AWAY]
