"""iCalendar (RFC 5545) feeds for staff: a practitioner's appointments.

Times are written in UTC (``DTSTART:20270305T100000Z``), which every calendar program
reads correctly across DST changes without a VTIMEZONE block. Each event covers the
practitioner's part (``treatment_start`` → ``end``); the client's arrival for numbing is
mentioned in the description. Only what staff need is shown: the treatment's name, the
client's first name and initial, the room and device; no health data (and no ATTENDEE:
the client's address stays out of staff calendars). SEQUENCE is the appointment's own
counter and ORGANIZER the clinic, as RFC 5546 asks of a PUBLISH. Cancelled
appointments stay in the feed as ``STATUS:CANCELLED`` so subscribed calendars drop them.
The client's own ``.ics`` (arrival to end, no treatment named) is ``messaging.ics``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from mesoclinic.core import clock
from mesoclinic.people.models import Practitioner
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

PRODID = "-//mesoclinic//staff calendar//EN"


def staff_event_uid(appointment: Appointment) -> str:
    """A stable UID for an appointment in staff feeds (distinct from the client's)."""
    domain = settings.MESOCLINIC.get("ICS_DOMAIN", "mesoclinic.invalid")
    return f"staff-appointment-{appointment.pk}@{domain}"


def clinic_email() -> str:
    """The clinic's address for calendar replies (``MESOCLINIC["CLINIC_EMAIL"]``)."""
    return str(settings.MESOCLINIC.get("CLINIC_EMAIL") or settings.DEFAULT_FROM_EMAIL)


def organizer(name: str) -> vCalAddress:
    """ORGANIZER: the clinic, by its email address, with its name as CN (RFC 5546 asks
    one of every PUBLISH and CANCEL)."""
    address = vCalAddress(f"mailto:{clinic_email()}")
    address.params["CN"] = vText(name)
    return address


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def appointment_event(appointment: Appointment, *, stamp: dt.datetime) -> Event:
    """One VEVENT for a staff calendar."""
    site = appointment.site
    client = appointment.client
    event = Event()
    event.add("uid", staff_event_uid(appointment))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(appointment.treatment_start))
    event.add("dtend", _utc(appointment.end))
    event.add("sequence", appointment.ics_sequence)
    event.add("organizer", organizer(site.name))
    event.add(
        "summary", f"{appointment.treatment.name}: {client.given_name} {client.family_name[:1]}."
    )
    event.add("location", f"{appointment.room.name}, {site.name}")
    lines = []
    if appointment.start < appointment.treatment_start:
        arrival = appointment.start.astimezone(site.tzinfo)
        lines.append(f"Client arrives {arrival:%H:%M} for numbing cream.")
    lines.append(f"Room: {appointment.room.name}.")
    if appointment.device is not None:
        lines.append(f"Device: {appointment.device.name}.")
    if appointment.course_id and appointment.session_number:
        lines.append(f"Course session {appointment.session_number}.")
    event.add("description", " ".join(lines))
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def calendar_ics(
    appointments: Iterable[Appointment], *, name: str, stamp: dt.datetime | None = None
) -> bytes:
    """A VCALENDAR holding one event per appointment."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    moment = stamp or clock.now()
    for appointment in appointments:
        calendar.add_component(appointment_event(appointment, stamp=moment))
    return calendar.to_ical()


def practitioner_calendar_ics(
    *, practitioner: Practitioner, starts_from: dt.datetime, starts_before: dt.datetime
) -> bytes:
    """The practitioner's appointments starting in the window, as one calendar."""
    appointments = (
        Appointment.objects.filter(
            practitioner=practitioner,
            start__gte=starts_from,
            start__lt=starts_before,
            status__in=(
                AppointmentStatus.BOOKED,
                AppointmentStatus.ARRIVED,
                AppointmentStatus.FULFILLED,
                AppointmentStatus.CANCELLED,
            ),
        )
        .select_related("client", "treatment", "site", "room", "device")
        .order_by("start", "pk")
    )
    return calendar_ics(appointments, name=f"{practitioner.display_name} (mesoclinic)")
