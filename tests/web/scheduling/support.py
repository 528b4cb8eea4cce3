"""Shared constants for the calendar and booking page tests."""

from __future__ import annotations

import datetime as dt
import zoneinfo

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)  # Monday 1 February 2027, 08:00 London
MONDAY = "2027-02-01"
TUESDAY = "2027-02-02"


def london(day: str, time: str) -> dt.datetime:
    """An aware datetime at ``time`` on ``day`` in London."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), LONDON)
