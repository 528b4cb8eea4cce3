"""Rows of start cells per resource, marked for all resources of a kind at once.

Cell ``k`` of a ``CellSpace`` starts at ``origin + k * step``.  For each resource the
engine needs one row of booleans over the cells: is a booking *starting* in cell ``k``
blocked by that resource?  A booking starting at ``t`` needs the resource during
``[t + first_offset, t + last_offset)``; it collides with a busy ``[s, e)`` exactly when
``s - last_offset < t < e - first_offset``, so each busy interval blocks one contiguous
run of cells whose bounds are two integer divisions.  The runs of every resource are
written into one difference array (``bincount``) and a cumulative sum along each row
counts the runs covering each cell: the cost is a few numpy calls per *kind* of resource
plus converting the intervals to an array, whatever their number.  The check is exact at
minute resolution whatever the grid and the durations: cells are only *starts*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from .intervals import Intervals

Flags = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

_FAR_AWAY = 1 << 62
"""A moment far beyond any calendar, standing in for minus/plus infinity."""


@dataclass(frozen=True, slots=True)
class CellSpace:
    """Uniform cells: cell ``k`` starts at ``origin + k * step``; ``size`` cells."""

    origin: int
    step: int
    size: int

    def time_of(self, cell: int) -> int:
        """Start minute of a cell."""
        return self.origin + cell * self.step


@dataclass(frozen=True, slots=True)
class IntervalTable:
    """Intervals of several resources as arrays: ``starts[i]``, ``ends[i]`` belong to
    resource ``rows[i]`` (``0 .. row_count - 1``)."""

    starts: Ints
    ends: Ints
    rows: Ints
    row_count: int

    @classmethod
    def of(cls, intervals_by_row: Sequence[Intervals]) -> IntervalTable:
        """The table of per-resource interval lists (row = position in the sequence);
        empty intervals are dropped."""
        lengths = np.fromiter(map(len, intervals_by_row), np.int64, len(intervals_by_row))
        pairs = _pairs(intervals_by_row, int(lengths.sum()))
        rows = np.repeat(np.arange(len(intervals_by_row), dtype=np.int64), lengths)
        starts, ends = pairs[:, 0], pairs[:, 1]
        real = starts < ends
        if not real.all():
            starts, ends, rows = starts[real], ends[real], rows[real]
        return cls(starts, ends, rows, len(intervals_by_row))

    def shifted(self, minutes: int) -> IntervalTable:
        """The same intervals with their starts ``minutes`` earlier."""
        return IntervalTable(self.starts - minutes, self.ends, self.rows, self.row_count)

    def __add__(self, other: IntervalTable) -> IntervalTable:
        """Both tables' intervals (the same rows)."""
        return IntervalTable(
            np.concatenate((self.starts, other.starts)),
            np.concatenate((self.ends, other.ends)),
            np.concatenate((self.rows, other.rows)),
            max(self.row_count, other.row_count),
        )


def _pairs(intervals_by_row: Sequence[Intervals], total: int) -> Ints:
    """All rows' intervals, in row order, as one ``(total, 2)`` array."""
    if any(isinstance(intervals, np.ndarray) for intervals in intervals_by_row):
        arrays = [
            np.asarray(intervals, dtype=np.int64).reshape(-1, 2) for intervals in intervals_by_row
        ]
        return np.concatenate(arrays) if arrays else np.zeros((0, 2), dtype=np.int64)
    # Flattening tuples to plain integers first is twice as fast as a pair dtype.
    bounds = chain.from_iterable(chain.from_iterable(intervals_by_row))
    return np.fromiter(bounds, np.int64, 2 * total).reshape(-1, 2)


def blocked_rows(
    space: CellSpace, table: IntervalTable, first_offset: int, last_offset: int
) -> Flags:
    """``(row_count, size)`` flags: cell blocked because the requirement
    ``[t + first_offset, t + last_offset)`` overlaps one of the row's intervals
    (which may be unsorted or overlapping)."""
    width = space.size + 1
    if last_offset <= first_offset or not len(table.starts):
        return np.zeros((table.row_count, space.size), dtype=np.bool_)
    # First cell starting after s - last_offset; first cell starting at or after
    # e - first_offset: the run of blocked cells between them.
    run_starts = (table.starts - last_offset + space.step - space.origin) // space.step
    run_ends = (table.ends - first_offset + space.step - 1 - space.origin) // space.step
    np.clip(run_starts, 0, space.size, out=run_starts)
    np.clip(run_ends, 0, space.size, out=run_ends)
    keep = run_starts < run_ends
    base = table.rows[keep] * width
    cells = table.row_count * width
    changes = np.bincount(base + run_starts[keep], minlength=cells)
    changes -= np.bincount(base + run_ends[keep], minlength=cells)
    # Each row's changes sum to zero by its last (spare) column, so one running sum over
    # the flat array is every row's own; done in place, it allocates nothing more (large
    # temporaries are what a search spends its time faulting in).
    np.cumsum(changes, out=changes)
    covering: Ints = changes.reshape(table.row_count, width)[:, : space.size]
    return covering > 0


def working_gaps(working_by_row: Sequence[Intervals]) -> IntervalTable:
    """Per row, the complement of the union of its working intervals (which may touch or
    overlap), from minus to plus infinity.

    With a row's starts ``S`` and ends ``E`` sorted *separately*, a moment is covered iff
    more starts than ends lie at or before it, so the row's gaps are ``[E[i - 1], S[i])``
    where non-empty, with ``E[-1]`` minus and ``S[n]`` plus infinity. Every row at once:
    each row's ends follow a sentinel minus infinity and its starts precede a sentinel
    plus infinity, so one sort of each column by (row, moment) lines the pairs up.
    """
    working = IntervalTable.of(working_by_row)
    row_count = working.row_count
    rows = np.concatenate((working.rows, np.arange(row_count, dtype=np.int64)))
    gap_starts = np.concatenate((working.ends, np.full(row_count, -_FAR_AWAY, dtype=np.int64)))
    gap_ends = np.concatenate((working.starts, np.full(row_count, _FAR_AWAY, dtype=np.int64)))
    by_start = np.lexsort((gap_starts, rows))
    by_end = np.lexsort((gap_ends, rows))
    # Both orders run through the rows alike (each row has as many of either), so
    # position i of each is the same row's i-th gap.
    gap_starts, gap_ends, rows = gap_starts[by_start], gap_ends[by_end], rows[by_start]
    real = gap_starts < gap_ends
    return IntervalTable(gap_starts[real], gap_ends[real], rows[real], row_count)


def saturated_intervals(occupied: Intervals, capacity: int) -> IntervalTable:
    """One row: the moments when ``capacity`` or more of the ``occupied`` intervals
    overlap (each interval takes one place; ``capacity >= 1``).

    With starts ``S`` and ends ``E`` sorted separately, these are the union of
    ``[S[i + capacity - 1], E[i])``: at a moment ``x`` with ``j`` = the last start
    ``<= x``, occupancy is ``j + 1 - #(E <= x)``, at least ``capacity`` iff
    ``E[j + 1 - capacity] > x``.
    """
    table = IntervalTable.of([occupied])
    # Busy time arrives (nearly) in start order, and so nearly in end order too: the
    # stable sort (timsort) takes such input in linear time, where quicksort does not.
    starts = np.sort(table.starts, kind="stable")
    ends = np.sort(table.ends, kind="stable")
    later_starts = starts[capacity - 1 :]
    earlier_ends = ends[: len(later_starts)]
    saturated = later_starts < earlier_ends
    chosen = later_starts[saturated]
    return IntervalTable(chosen, earlier_ends[saturated], np.zeros_like(chosen), 1)


def first_true(flags: Flags) -> Ints:
    """Per column, the first row that is set, or ``-1`` when none is."""
    if not flags.shape[0]:
        return np.full(flags.shape[1], -1, dtype=np.int64)
    first: Ints = flags.argmax(axis=0).astype(np.int64)
    first[~flags.any(axis=0)] = -1
    return first


__all__ = [
    "CellSpace",
    "Flags",
    "IntervalTable",
    "Ints",
    "blocked_rows",
    "first_true",
    "saturated_intervals",
    "working_gaps",
]
