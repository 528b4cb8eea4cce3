"""Half-open integer intervals, the currency of the scheduling engine.

Every time in the engine is an integer number of minutes (the Django shell uses minutes
since the Unix epoch, UTC).  An interval ``[start, end)`` contains ``start`` and not
``end``; an interval with ``end <= start`` is empty and overlaps nothing.  Interval lists
are passed as plain ``(start, end)`` tuples (``Interval`` names the fields) or, where
they come from the database in bulk, as an ``(n, 2)`` integer array (``Intervals``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

Intervals: TypeAlias = Sequence[tuple[int, int]] | npt.NDArray[np.int64]
"""``(start, end)`` pairs: a sequence of tuples or an ``(n, 2)`` integer array."""


class Interval(NamedTuple):
    """A half-open interval ``[start, end)`` of integer minutes."""

    start: int
    end: int


def subtract(
    intervals: Iterable[tuple[int, int]], holes: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The parts of ``intervals`` that no hole covers, in the order of ``intervals``.

    Holes may be unsorted and overlap one another; an empty hole cuts nothing. Without a
    hole the intervals come back as they are (a search's hot path: most practitioners
    have no absence), else empty pieces are left out.
    """
    cuts = [(start, end) for start, end in holes if start < end]
    if not cuts:
        return list(intervals)
    result: list[tuple[int, int]] = []
    for start, end in intervals:
        pieces = [(start, end)]
        for cut_start, cut_end in cuts:
            pieces = [
                piece
                for low, high in pieces
                for piece in ((low, min(high, cut_start)), (max(low, cut_end), high))
                if piece[0] < piece[1]
            ]
        result.extend(pieces)
    return result
