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
