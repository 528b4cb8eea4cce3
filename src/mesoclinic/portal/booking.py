"""The portal's one door to scheduling: free slots, book, reschedule, cancel.

The scheduling domain owns availability and booking (``scheduling.selectors`` /
``scheduling.services``). This module calls them when they exist; until they land it uses a
small, conservative stand-in (slot search over opening and working hours and existing
bookings; a direct insert that the database's no-overlap guard still protects). Every
portal view goes through these four functions, so wiring the real services is one change.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

import holidays
from django.db import IntegrityError, transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, RuleRefused
from mesoclinic.people.models import (
    Client,
    ClosedDay,
    Device,
    OpeningHours,
    Practitioner,
    Profession,
    Room,
    Site,
)
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus

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


def _scheduling(module: str) -> Any:
    try:
        return importlib.import_module(f"mesoclinic.scheduling.{module}")
    except ImportError:
        return None


# --- slots -------------------------------------------------------------------------------


def find_slots(
    *, treatment: Treatment, site: Site, day: dt.date, days: int = 1, limit: int = 200
) -> list[SlotOption]:
    """Free slots for ``treatment`` at ``site`` from ``day`` for ``days`` days, earliest first."""
    earliest = clock.now() + LEAD_TIME
    selectors = _scheduling("selectors")
    search = getattr(selectors, "availability_search", None)
    if search is not None:
        slots = search(
            treatment=treatment,
            date_from=day,
            date_to=day + dt.timedelta(days=days - 1),
            site=site,
            limit=limit,
        )
        names = {p.code: p.display_name for p in Practitioner.objects.all()}
        return [
            SlotOption(
                s.start, s.treatment_start, s.end, s.practitioner, names.get(s.practitioner, "")
            )
            for s in slots
            if s.start >= earliest
        ]
    return _fallback_slots(treatment, site, day, days, limit, earliest)


def _qualified(practitioner: Practitioner, treatment: Treatment, day: dt.date) -> bool:
    needs_injector = treatment.needs_needle or treatment.contains_toxin
    if needs_injector:
        if practitioner.profession not in (Profession.DOCTOR, Profession.NURSE):
            return False
        expires = practitioner.registration_expires_on
        if expires is None or expires < day:
            return False
    if treatment.requires_prescriber or treatment.contains_toxin:
        return practitioner.prescriber_current_on(day)
    return True


def _fallback_slots(
    treatment: Treatment,
    site: Site,
    first_day: dt.date,
    days: int,
    limit: int,
    earliest: dt.datetime,
) -> list[SlotOption]:
    tz = site.tzinfo
    closed = holidays.country_holidays(
        site.holiday_country, subdiv=site.holiday_subdivision or None
    )
    closed_days = set(ClosedDay.objects.filter(site=site).values_list("date", flat=True))
    rooms = list(Room.objects.filter(site=site, active=True).order_by("code"))
    devices = (
        list(Device.objects.filter(site=site, active=True, device_type=treatment.device_type))
        if treatment.device_type
        else []
    )
    practitioners = [
        p
        for p in Practitioner.objects.filter(active=True, sites=site).prefetch_related(
            "working_hours"
        )
        if _qualified(p, treatment, first_day)
    ]
    window_end = dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time(), tzinfo=tz)
    busy = list(
        Appointment.objects.filter(
            site=site,
            status__in=ACTIVE_STATUSES,
            busy_until__gt=dt.datetime.combine(first_day, dt.time(), tzinfo=tz),
            treatment_start__lt=window_end,
        ).values_list("practitioner_id", "room_id", "device_id", "treatment_start", "busy_until")
    )
    numbing = dt.timedelta(minutes=treatment.numbing_minutes)
    length = dt.timedelta(minutes=treatment.treatment_minutes)
    slots: list[SlotOption] = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if day in closed or day in closed_days:
            continue
        for hours in OpeningHours.objects.filter(site=site, weekday=day.weekday()):
            start = dt.datetime.combine(day, hours.opens, tzinfo=tz)
            closes = dt.datetime.combine(day, hours.closes, tzinfo=tz)
            while start + numbing + length <= closes:
                option = _slot_at(start, numbing, length, practitioners, rooms, devices, busy)
                if option is not None and start >= earliest:
                    slots.append(option)
                    if len(slots) >= limit:
                        return slots
                start += dt.timedelta(minutes=15)
    return slots


def _free(
    busy: list[tuple[Any, ...]], index: int, ident: int, start: dt.datetime, end: dt.datetime
) -> bool:
    return not any(row[index] == ident and row[3] < end and start < row[4] for row in busy)


def _slot_at(
    start: dt.datetime,
    numbing: dt.timedelta,
    length: dt.timedelta,
    practitioners: list[Practitioner],
    rooms: list[Room],
    devices: list[Device],
    busy: list[tuple[Any, ...]],
) -> SlotOption | None:
    treatment_start = start + numbing
    end = treatment_start + length
    local_start = treatment_start.time()
    if not any(_free(busy, 1, room.pk, treatment_start, end) for room in rooms):
        return None
    if devices and not any(_free(busy, 2, device.pk, treatment_start, end) for device in devices):
        return None
    for practitioner in practitioners:
        works = any(
            hours.weekday == start.weekday()
            and hours.starts <= local_start
            and end.time() <= hours.ends
            for hours in practitioner.working_hours.all()
        )
        if works and _free(busy, 0, practitioner.pk, treatment_start, end):
            return SlotOption(
                start, treatment_start, end, practitioner.code, practitioner.display_name
            )
    return None


# --- writes ------------------------------------------------------------------------------


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
    from mesoclinic.messaging.services import appointment_booked_notify

    services = _scheduling("services")
    appointment_book = getattr(services, "appointment_book", None)
    with transaction.atomic():
        if appointment_book is not None:
            appointment: Appointment = appointment_book(
                actor=actor,
                client=client,
                treatment=treatment,
                start=start,
                practitioner=practitioner,
            )
        else:
            appointment = _fallback_book(actor, client, treatment, start, site, practitioner)
        appointment_booked_notify(appointment=appointment)
    return appointment


def _screen_or_refuse(
    actor: Actor, client: Client, treatment: Treatment, practitioner: Practitioner, day: dt.date
) -> None:
    from mesoclinic.safety.services import screening_as_dict, screening_run

    result = screening_run(
        actor=actor, client=client, treatment=treatment, practitioner=practitioner, on=day
    )
    if result.outcome.value == "refused":
        raise RuleRefused(
            "screening_refused",
            "This treatment cannot be booked for this client.",
            details=screening_as_dict(result),
        )


def _fallback_book(
    actor: Actor,
    client: Client,
    treatment: Treatment,
    start: dt.datetime,
    site: Site,
    practitioner: Practitioner | None,
) -> Appointment:
    local_day = start.astimezone(site.tzinfo).date()
    options = [
        slot
        for slot in _fallback_slots(treatment, site, local_day, 1, 500, clock.now())
        if slot.start == start and (practitioner is None or slot.practitioner == practitioner.code)
    ]
    if not options:
        raise Conflict("slot_unavailable", "Sorry, that time has just been taken.")
    option = options[0]
    chosen = Practitioner.objects.get(code=option.practitioner)
    _screen_or_refuse(actor, client, treatment, chosen, local_day)
    busy = Appointment.objects.filter(
        site=site,
        status__in=ACTIVE_STATUSES,
        treatment_start__lt=option.end,
        busy_until__gt=option.treatment_start,
    )
    room = (
        Room.objects.filter(site=site, active=True)
        .exclude(pk__in=busy.values("room_id"))
        .order_by("code")
        .first()
    )
    device = None
    if treatment.device_type:
        device = (
            Device.objects.filter(site=site, active=True, device_type=treatment.device_type)
            .exclude(pk__in=busy.exclude(device=None).values("device_id"))
            .first()
        )
    if room is None or (treatment.device_type and device is None):
        raise Conflict("slot_unavailable", "Sorry, that time has just been taken.")
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                client=client,
                treatment=treatment,
                formulation=treatment.default_formulation,
                site=site,
                practitioner=chosen,
                room=room,
                device=device,
                start=option.start,
                treatment_start=option.treatment_start,
                end=option.end,
                busy_until=option.end,
                price=treatment.price,
                booked_at=clock.now(),
                booked_by_label="online",
            )
    except IntegrityError:
        raise Conflict("slot_unavailable", "Sorry, that time has just been taken.") from None
    audit_record(
        actor=actor,
        action="appointment.book",
        obj=appointment,
        client_id=client.pk,
        summary=f"Online booking {treatment.code} {option.start:%Y-%m-%d %H:%M}",
    )
    return appointment


def reschedule(*, actor: Actor, appointment: Appointment, start: dt.datetime) -> Appointment:
    """Move ``appointment`` to ``start`` (same rules as booking); messages follow."""
    from mesoclinic.messaging.services import appointment_rescheduled_notify

    services = _scheduling("services")
    appointment_reschedule = getattr(services, "appointment_reschedule", None)
    with transaction.atomic():
        if appointment_reschedule is not None:
            moved: Appointment = appointment_reschedule(
                actor=actor, appointment=appointment, start=start
            )
        else:
            replacement = _fallback_book(
                actor, appointment.client, appointment.treatment, start, appointment.site, None
            )
            # keep the original row: copy the new times and resources onto it
            for field in (
                "start",
                "treatment_start",
                "end",
                "busy_until",
                "practitioner",
                "room",
                "device",
            ):
                setattr(appointment, field, getattr(replacement, field))
            replacement.delete()
            appointment.save()
            moved = appointment
        appointment_rescheduled_notify(appointment=moved)
    return moved


def cancel(*, actor: Actor, appointment: Appointment, reason: str) -> Appointment:
    """Cancel ``appointment``; reminders stop and the client is told."""
    from mesoclinic.messaging.services import appointment_cancelled_notify

    services = _scheduling("services")
    appointment_cancel = getattr(services, "appointment_cancel", None)
    with transaction.atomic():
        if appointment_cancel is not None:
            cancelled: Appointment = appointment_cancel(
                actor=actor, appointment=appointment, reason=reason
            )
        else:
            appointment.status = AppointmentStatus.CANCELLED
            appointment.cancelled_at = clock.now()
            appointment.cancel_reason = reason[:300]
            appointment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
            audit_record(
                actor=actor,
                action="appointment.cancel",
                obj=appointment,
                client_id=appointment.client_id,
                summary=reason[:200],
            )
            cancelled = appointment
        appointment_cancelled_notify(appointment=cancelled)
    return cancelled
