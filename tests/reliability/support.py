"""Shared by the race tests: a day on which the demo's London site is open."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from mesoclinic.people.models import Site
from mesoclinic.scheduling.selectors import site_closed_days

LONDON = zoneinfo.ZoneInfo("Europe/London")
TUESDAY, WEDNESDAY = 1, 2


def london_open_day(weekday: int, *, days_ahead: int) -> dt.date:
    """The first ``weekday`` (Monday 0) at least ``days_ahead`` days from today on which the
    London site is not closed (every needle practitioner of the demo works on Tuesdays;
    bank holidays are closed days)."""
    site = Site.objects.get(code="london")
    day = dt.datetime.now(LONDON).date() + dt.timedelta(days=days_ahead)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while day in site_closed_days(site=site, date_from=day, date_to=day):
        day += dt.timedelta(days=7)
    return day


def london_at(day: dt.date, hour: int) -> dt.datetime:
    """``hour`` o'clock on ``day``, London time."""
    return dt.datetime.combine(day, dt.time(hour, 0), LONDON)
