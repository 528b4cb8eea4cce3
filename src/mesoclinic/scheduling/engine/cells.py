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


def working_gaps(working: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The complement of the union of working intervals (which may touch or overlap),
    from minus to plus infinity.

    With starts and ends sorted *separately*, a moment is covered iff more starts than
    ends lie at or before it, so the gaps are ``[E[i], S[i + 1])`` where non-empty.
    """
    real = [(start, end) for start, end in working if start < end]
    starts = sorted(start for start, _ in real)
    ends = sorted(end for _, end in real)
    gap_starts = [-_FAR_AWAY, *ends]
    gap_ends = [*starts, _FAR_AWAY]
    return [(start, end) for start, end in zip(gap_starts, gap_ends, strict=True) if start < end]


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
