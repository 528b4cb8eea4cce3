"""Minutes of working time left after absences: pure, no Django."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

Interval = tuple[dt.datetime, dt.datetime]


def minutes_left(blocks: Iterable[Interval], away: Iterable[Interval]) -> int:
    """Whole minutes of ``blocks`` not covered by any interval of ``away`` (aware
    datetimes; the intervals of ``away`` may overlap each other)."""
    away = sorted(away)
    total = dt.timedelta()
    for start, end in blocks:
        cursor = start
        for away_start, away_end in away:
            if away_end <= cursor or away_start >= end:
                continue
            if away_start > cursor:
                total += away_start - cursor
            cursor = max(cursor, away_end)
            if cursor >= end:
                break
        if cursor < end:
            total += end - cursor
    return int(total.total_seconds() // 60)
