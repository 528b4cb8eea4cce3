"""The portal's one door to scheduling: free slots, book, reschedule, cancel.

Thin wiring over ``scheduling.selectors.availability_for`` and
``scheduling.services.appointment_book`` / ``appointment_reschedule`` /
``appointment_cancel``: the scheduling services validate, screen (422
``screening_refused``), re-check inside the transaction (409 ``slot_unavailable``), audit
and schedule the client's messages. The portal only adds its lead time and display names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.models import Appointment

LEAD_TIME = dt.timedelta(hours=2)
"""Online bookings start at least this long from now."""

HORIZON = dt.timedelta(days=180)
"""How far ahead clients may look for times."""

STRIP_DAYS = 14
"""Days in one page of the day strip."""

FIRST_FREE_SEARCH = dt.timedelta(days=60)
"""How far the times page looks for the first day with a free time."""


@dataclass(frozen=True, slots=True)
class SlotOption:
    """A bookable time as the portal shows it (aware datetimes)."""

    start: dt.datetime
    treatment_start: dt.datetime
    end: dt.datetime
    practitioner: str
    practitioner_name: str


def find_slots(
    *, treatment: Treatment, site: Site, day: dt.date, days: int = 1, limit: int = 200
) -> list[SlotOption]:
    """Free slots for ``treatment`` at ``site`` from ``day`` for ``days`` days, earliest first."""
    slots = selectors.availability_for(
        treatment=treatment,
        date_from=day,
        date_to=day + dt.timedelta(days=days - 1),
        site=site,
        limit=limit,
        not_before=clock.now() + LEAD_TIME,
    )
    names = {p.code: p.display_name for p in Practitioner.objects.all()}
    return [
        SlotOption(s.start, s.treatment_start, s.end, s.practitioner, names.get(s.practitioner, ""))
        for s in slots
    ]


def first_free_day(*, treatment: Treatment, site: Site, today: dt.date) -> dt.date | None:
    """The first day from ``today`` with a free time for ``treatment``, within two months."""
    slots = find_slots(
        treatment=treatment, site=site, day=today, days=FIRST_FREE_SEARCH.days, limit=1
    )
    return slots[0].start.astimezone(site.tzinfo).date() if slots else None


@dataclass(frozen=True, slots=True)
class DayStrip:
    """One page of days to choose from, which of them the clinic is closed, and paging."""

    days: tuple[dt.date, ...]
    closed: frozenset[dt.date]
    earlier: dt.date | None
    later: dt.date | None


def day_strip(*, site: Site, today: dt.date, day: dt.date) -> DayStrip:
    """The page of ``STRIP_DAYS`` days (counted from ``today``) that holds ``day``."""
    first = today + dt.timedelta(days=(day - today).days // STRIP_DAYS * STRIP_DAYS)
    days = tuple(first + dt.timedelta(days=offset) for offset in range(STRIP_DAYS))
    later = first + dt.timedelta(days=STRIP_DAYS)
    return DayStrip(
        days=days,
        closed=frozenset(closed_days(site=site, date_from=days[0], date_to=days[-1])),
        earlier=first - dt.timedelta(days=STRIP_DAYS) if first > today else None,
        later=later if later <= today + HORIZON else None,
    )


def closed_days(*, site: Site, date_from: dt.date, date_to: dt.date) -> set[dt.date]:
    """Days the site does not open: no opening hours that weekday, holidays, closed days."""
    open_weekdays = set(site.opening_hours.values_list("weekday", flat=True))
    days = (date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1))
    shut = {day for day in days if day.weekday() not in open_weekdays}
    return shut | selectors.site_closed_days(site=site, date_from=date_from, date_to=date_to)


def book(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    start: dt.datetime,
    site: Site,
    practitioner: Practitioner | None = None,
) -> Appointment:
    """Book ``treatment`` for ``client`` at ``start`` (409 ``slot_unavailable`` if taken).

    Refused screening (422 ``screening_refused``) books nothing. Messages are scheduled.
    """
    return services.appointment_book(
        actor=actor,
        client=client,
        treatment=treatment,
        start=start,
        practitioner=practitioner,
        site=site,
    )


def reschedule(*, actor: Actor, appointment: Appointment, start: dt.datetime) -> Appointment:
    """Move ``appointment`` to ``start`` (same rules as booking); messages follow."""
    return services.appointment_reschedule(
        actor=actor, appointment=appointment, start=start, practitioner_may_change=True
    )


def cancel(*, actor: Actor, appointment: Appointment, reason: str) -> Appointment:
    """Cancel ``appointment``; reminders stop and the client is told."""
    return services.appointment_cancel(actor=actor, appointment=appointment, reason=reason)
