"""iCalendar (RFC 5545) files for a client's appointment, attached to confirmations.

The event runs from the client's arrival (numbing included) to the end of treatment and
names only the clinic and the word "appointment": calendars are often shared, so no
treatment or clinical detail goes in. The UID is stable per appointment, so a rescheduled
appointment's file (with a higher SEQUENCE) updates the same calendar entry, and a
cancellation's file (METHOD:CANCEL, STATUS:CANCELLED) removes it.
"""

from __future__ import annotations

from django.conf import settings
from icalendar import Calendar, Event

from mesoclinic.core import clock
from mesoclinic.scheduling.models import Appointment

PRODID = "-//mesoclinic//client appointments//EN"


def appointment_uid(appointment: Appointment) -> str:
    """The stable iCalendar UID of an appointment."""
    domain = settings.MESOCLINIC.get("ICS_DOMAIN", "mesoclinic.invalid")
    return f"appointment-{appointment.pk}@{domain}"


def appointment_ics(
    appointment: Appointment, *, sequence: int = 0, cancelled: bool = False
) -> bytes:
    """An .ics file holding one event for ``appointment``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    site = appointment.site
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", clock.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("sequence", sequence)
    event.add("summary", f"Appointment at {site.name}")
    location = ", ".join(part for part in (site.name, " ".join(site.address.split())) if part)
    event.add("location", location)
    event.add(
        "description",
        f"Please arrive at {appointment.start.astimezone(site.tzinfo):%H:%M}."
        + (f" To change it, call {site.phone}." if site.phone else ""),
    )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
