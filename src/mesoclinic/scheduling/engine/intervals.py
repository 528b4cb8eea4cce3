"""Half-open integer intervals, the currency of the scheduling engine.

Every time in the engine is an integer number of minutes (the Django shell uses minutes
since the Unix epoch, UTC).  An interval ``[start, end)`` contains ``start`` and not
``end``; an interval with ``end <= start`` is empty and overlaps nothing.  Interval lists
are passed as plain ``(start, end)`` tuples; ``Interval`` names the fields.
"""

from __future__ import annotations

from typing import NamedTuple


class Interval(NamedTuple):
    """A half-open interval ``[start, end)`` of integer minutes."""

    start: int
    end: int
