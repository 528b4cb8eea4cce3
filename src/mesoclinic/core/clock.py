"""The one place mesoclinic reads "now", so tests can move time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current moment, timezone-aware (UTC)."""
    return timezone.now()


def today(tz: dt.tzinfo | None = None) -> dt.date:
    """Today's date in ``tz`` (default: the clinic's default time zone)."""
    return timezone.localdate(now(), timezone=tz)
