"""Writes for a site's settings: rooms, devices, opening hours, closed days and the
numbing lounge. Every change is audited; availability follows at once, because the
calendar's resource clock moves with each of these rows (scheduling migration 0004)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput
from mesoclinic.people.errors import PeopleErrorCode as Code
from mesoclinic.people.models import ClosedDay, Device, DeviceType, OpeningHours, Room, Site

MAX_LOUNGE = 50


def _name(value: str, noun: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 100 or not name.isprintable():
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"Give the {noun} a name (up to 100 characters).",
            details={"field": "name"},
        )
    return name


def _code(name: str, site: Site) -> str:
    return slugify(f"{site.code}-{name}")[:50].strip("-")


def room_add(*, actor: Actor, site: Site, name: str) -> Room:
    """Open a new room at ``site`` (409 if its code is taken)."""
    name = _name(name, "room")
    try:
        with transaction.atomic():
            room = Room.objects.create(site=site, code=_code(name, site), name=name)
            audit_record(actor=actor, action="room.add", obj=room, summary=f"{site.code}: {name}")
    except IntegrityError:
        raise Conflict(
            Code.INVALID_INPUT, f"{site.name} already has a room called {name}."
        ) from None
    return room


def device_add(
    *, actor: Actor, site: Site, name: str, device_type: str, serial_number: str = ""
) -> Device:
    """Add a device of ``device_type`` at ``site`` (409 if its code is taken)."""
    name = _name(name, "device")
    if device_type not in DeviceType.values:
        raise InvalidInput(
            Code.INVALID_INPUT, "Choose the kind of device.", details={"field": "device_type"}
        )
    try:
        with transaction.atomic():
            device = Device.objects.create(
                site=site,
                code=_code(name, site),
                name=name,
                device_type=device_type,
                serial_number=" ".join(serial_number.split())[:80],
            )
            audit_record(
                actor=actor, action="device.add", obj=device, summary=f"{site.code}: {name}"
            )
    except IntegrityError:
        raise Conflict(
            Code.INVALID_INPUT, f"{site.name} already has a device called {name}."
        ) from None
    return device


def resource_set_active(*, actor: Actor, resource: Room | Device, active: bool) -> None:
    """Take a room or device out of use (kept for history), or back into use."""
    if resource.active == active:
        return
    with transaction.atomic():
        resource.active = active
        resource.save(update_fields=["active"])
        kind = type(resource).__name__.lower()
        audit_record(
            actor=actor,
            action=f"{kind}.{'activate' if active else 'deactivate'}",
            obj=resource,
            summary=f"{resource.name} {'in use' if active else 'out of use'}",
        )


def opening_hours_set(
    *, actor: Actor, site: Site, weekday: int, hours: tuple[dt.time, dt.time] | None
) -> None:
    """Set one weekday's opening hours at ``site`` (None: closed that weekday)."""
    if not 0 <= weekday <= 6:
        raise InvalidInput(Code.INVALID_INPUT, "A weekday is 0 (Monday) to 6 (Sunday).")
    if hours is not None and not hours[0] < hours[1]:
        raise InvalidInput(
            Code.INVALID_INPUT,
            "Closing time must be after opening time.",
            details={"field": f"closes_{weekday}"},
        )
    current = list(OpeningHours.objects.filter(site=site, weekday=weekday))
    if [(row.opens, row.closes) for row in current] == ([hours] if hours else []):
        return
    with transaction.atomic():
        OpeningHours.objects.filter(site=site, weekday=weekday).delete()
        if hours is not None:
            OpeningHours.objects.create(site=site, weekday=weekday, opens=hours[0], closes=hours[1])
        day = dt.date(2024, 1, 1 + weekday).strftime("%A")
        audit_record(
            actor=actor,
            action="site.opening_hours",
            obj=site,
            summary=f"{day}: {f'{hours[0]:%H:%M}–{hours[1]:%H:%M}' if hours else 'closed'}",
        )


def closed_day_add(*, actor: Actor, site: Site, day: dt.date, reason: str = "") -> ClosedDay:
    """Close ``site`` on ``day`` (a training day, a refurbishment)."""
    reason = " ".join(reason.split())[:200]
    with transaction.atomic():
        closed, _ = ClosedDay.objects.update_or_create(
            site=site, date=day, defaults={"reason": reason}
        )
        audit_record(
            actor=actor, action="site.closed_day", obj=site, summary=f"closed {day}: {reason}"
        )
    return closed


def closed_day_remove(*, actor: Actor, closed: ClosedDay) -> None:
    """Open again on a day that was marked closed."""
    with transaction.atomic():
        closed.delete()
        audit_record(
            actor=actor, action="site.open_day", obj=closed.site, summary=f"open {closed.date}"
        )


def lounge_capacity_set(*, actor: Actor, site: Site, capacity: int) -> None:
    """How many clients can sit with numbing cream at once at ``site``."""
    if not 0 <= capacity <= MAX_LOUNGE:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"The numbing lounge seats 0 to {MAX_LOUNGE} clients.",
            details={"field": "numbing_lounge_capacity"},
        )
    if site.numbing_lounge_capacity == capacity:
        return
    with transaction.atomic():
        before = site.numbing_lounge_capacity
        site.numbing_lounge_capacity = capacity
        site.save(update_fields=["numbing_lounge_capacity"])
        audit_record(
            actor=actor,
            action="site.lounge",
            obj=site,
            summary=f"numbing lounge {before} → {capacity}",
        )
