"""Half-open integer intervals, the currency of the scheduling engine.

Every time in the engine is an integer number of minutes (the Django shell uses minutes
since the Unix epoch, UTC).  An interval ``[start, end)`` contains ``start`` and not
``end``; an interval with ``end <= start`` is empty and overlaps nothing.  Interval lists
are passed as plain ``(start, end)`` tuples (``Interval`` names the fields) or, where
they come from the database in bulk, as an ``(n, 2)`` integer array (``Intervals``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

Intervals: TypeAlias = Sequence[tuple[int, int]] | npt.NDArray[np.int64]
"""``(start, end)`` pairs: a sequence of tuples or an ``(n, 2)`` integer array."""


class Interval(NamedTuple):
    """A half-open interval ``[start, end)`` of integer minutes."""

    start: int
    end: int
