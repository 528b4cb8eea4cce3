"""Time for the scheduling reads: epoch minutes and local days, the booking grid and the
clean-up buffer (settings), and the days a site is closed (public holidays of the site's
country and subdivision, ``ClosedDay`` rows).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import holidays
from django.conf import settings

from mesoclinic.people.models import ClosedDay, Site
from mesoclinic.scheduling import site_resources
from mesoclinic.scheduling.busy import EPOCH


def ceil_minutes_of(moment: dt.datetime) -> int:
    """Minutes since the epoch of an aware moment, rounded up to a whole minute."""
    seconds = (moment - EPOCH).total_seconds()
    return int(-(-seconds // 60))


def moment_of(minutes: int, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The aware moment ``minutes`` after the epoch, expressed in ``tz``."""
    return (EPOCH + dt.timedelta(minutes=minutes)).astimezone(tz)


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The aware start of a local day."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def grid_minutes() -> int:
    """The booking grid (settings ``MESOCLINIC["SLOT_GRID_MINUTES"]``, default 15)."""
    return int(str(settings.MESOCLINIC.get("SLOT_GRID_MINUTES", 15)))


def buffer_minutes() -> int:
    """Clean-up minutes after each treatment (``MESOCLINIC["BUFFER_MINUTES"]``, default 0)."""
    return int(str(settings.MESOCLINIC.get("BUFFER_MINUTES", 0)))


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    try:
        days = holidays.country_holidays(country, subdiv=subdivision or None, years=[year])
    except NotImplementedError:
        return frozenset()
    return frozenset(days.keys())


def _closed_between(
    site: Site, closed_days: Iterable[dt.date], date_from: dt.date, date_to: dt.date
) -> set[dt.date]:
    """The site's public holidays and the given closed days within the window."""
    closed = set(closed_days)
    for year in range(date_from.year, date_to.year + 1):
        closed |= _public_holidays(site.holiday_country, site.holiday_subdivision, year)
    return {day for day in closed if date_from <= day <= date_to}


def site_closed_days(*, site: Site, date_from: dt.date, date_to: dt.date) -> set[dt.date]:
    """Public holidays of the site's country/subdivision and its ``ClosedDay`` rows."""
    rows = ClosedDay.objects.filter(site=site, date__gte=date_from, date__lte=date_to)
    return _closed_between(site, rows.values_list("date", flat=True), date_from, date_to)


def closed_days_in(
    site: Site, resources: site_resources.SiteResources, date_from: dt.date, date_to: dt.date
) -> set[dt.date]:
    """``site_closed_days`` from the site's resources (no query)."""
    return _closed_between(site, resources.closed_days, date_from, date_to)


def _days(date_from: dt.date, date_to: dt.date) -> Iterable[dt.date]:
    for offset in range((date_to - date_from).days + 1):
        yield date_from + dt.timedelta(days=offset)
