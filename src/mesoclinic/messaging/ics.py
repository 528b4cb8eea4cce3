"""iCalendar (RFC 5545) files for a client's appointment, attached to confirmations.

The event runs from the client's arrival (numbing included) to the end of treatment and
names only the clinic and the word "appointment": calendars are often shared, so no
treatment or clinical detail goes in. The UID is stable per appointment and SEQUENCE is the
appointment's own counter (``Appointment.ics_sequence``, raised by each reschedule and the
cancellation), so the file from the ``.ics`` endpoint and the one in the latest email agree,
and a calendar takes the newest as the update; a cancellation (METHOD:CANCEL,
STATUS:CANCELLED) removes the entry.

RFC 5546 (iTIP) asks every PUBLISH and CANCEL for an ORGANIZER (the clinic, at the
``CLINIC_EMAIL`` setting) and a CANCEL for its ATTENDEE (the client). A client without an
email address cannot be an ATTENDEE, so their cancelled appointment is published as
STATUS:CANCELLED instead. Texts (names, the address) are escaped by ``icalendar``.
"""

from __future__ import annotations

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from mesoclinic.core import clock
from mesoclinic.scheduling.ical import organizer
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

PRODID = "-//mesoclinic//client appointments//EN"
CALENDAR_CONTENT_TYPE = "text/calendar"


def appointment_uid(appointment: Appointment) -> str:
    """The stable iCalendar UID of an appointment."""
    domain = settings.MESOCLINIC.get("ICS_DOMAIN", "mesoclinic.invalid")
    return f"appointment-{appointment.pk}@{domain}"


def ics_method(appointment: Appointment) -> str:
    """The iTIP method of the client's file: CANCEL for a cancelled appointment whose
    client has an email address (an attendee to cancel for), else PUBLISH."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    return "CANCEL" if cancelled and appointment.client.email else "PUBLISH"


def ics_content_type(method: str, *, charset: bool = True) -> str:
    """The MIME type of a calendar file with iMIP's ``method`` parameter (RFC 6047 §2.4);
    email parts get their charset from the mailer (``charset=False``)."""
    return f"{CALENDAR_CONTENT_TYPE}; {'charset=utf-8; ' if charset else ''}method={method}"


def appointment_ics(appointment: Appointment) -> bytes:
    """An .ics file holding one event for ``appointment``, as it stands now."""
    site = appointment.site
    client = appointment.client
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", ics_method(appointment))
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", clock.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("sequence", appointment.ics_sequence)
    event.add("summary", f"Appointment at {site.name}")
    location = ", ".join(part for part in (site.name, " ".join(site.address.split())) if part)
    event.add("location", location)
    event.add(
        "description",
        f"Please arrive at {appointment.start.astimezone(site.tzinfo):%H:%M}."
        + (f" To change it, call {site.phone}." if site.phone else ""),
    )
    event.add("organizer", organizer(site.name))
    if client.email:
        attendee = vCalAddress(f"mailto:{client.email}")
        attendee.params["CN"] = vText(f"{client.given_name} {client.family_name}".strip())
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("DECLINED" if cancelled else "ACCEPTED")
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
