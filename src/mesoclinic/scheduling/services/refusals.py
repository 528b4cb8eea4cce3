"""Why a time cannot be booked, in words: the 409s of guarded writes (a taken slot, the
numbing lounge or a device in use, a practitioner not working there then, the client
already booked), and the overlap arithmetic they share with the re-check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import Conflict
from mesoclinic.people.models import Device, Practitioner, Site
from mesoclinic.scheduling import selectors, site_resources
from mesoclinic.scheduling.errors import ClientBusy
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment


def treatment_times(treatment: Treatment, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the practitioner starts (after numbing) and when the treatment ends."""
    treatment_start = start + dt.timedelta(minutes=treatment.numbing_minutes)
    return treatment_start, treatment_start + dt.timedelta(minutes=treatment.treatment_minutes)


def slot_unavailable(message: str = "", **details: Any) -> Conflict:
    return Conflict(
        Code.SLOT_UNAVAILABLE,
        message or "That time is no longer free: choose another slot.",
        details=details,
    )


def check_working(
    practitioner: Practitioner,
    treatment: Treatment,
    site: Site,
    start: dt.datetime,
    resources: site_resources.SiteResources | None,
) -> None:
    """409 naming the reason when the practitioner asked for is not working at the site
    through the treatment (hours elsewhere, a day off, an absence), rather than "taken"."""
    treatment_start, end = treatment_times(treatment, start)
    resources = resources or site_resources.for_site(site)
    if resources.works_through(practitioner.pk, treatment_start, end):
        return
    local = start.astimezone(site.tzinfo)
    raise slot_unavailable(
        f"{practitioner.display_name} is not working at {site.name} at {local:%H:%M} on "
        f"{local:%A %-d %B}: choose another time, or another practitioner.",
        start=start.isoformat(),
        reason="practitioner_not_working",
        practitioner=practitioner.code,
    )


def named_refusal(
    *,
    treatment: Treatment,
    site: Site,
    start: dt.datetime,
    device: Device | None,
    exclude_ids: Sequence[int],
) -> Conflict | None:
    """When no slot starts at ``start``, say what is taken if it is the numbing lounge or
    the requested device (one query; only on this failure path)."""
    treatment_start, end = treatment_times(treatment, start)
    busy_until = end + dt.timedelta(minutes=selectors.buffer_minutes())
    rows = Appointment.objects.filter(
        site=site,
        status__in=ACTIVE_STATUSES,
        # Bounded below, so the (site, start) index reads an hour or two, not the history.
        start__gte=start - selectors.MAX_APPOINTMENT_SPAN,
        start__lt=busy_until,
        busy_until__gt=start,
    ).exclude(pk__in=list(exclude_ids))
    found = list(rows.values_list("start", "treatment_start", "busy_until", "device_id"))
    at = f"{start.astimezone(site.tzinfo):%H:%M}"
    capacity = site.numbing_lounge_capacity
    lounge = [
        (other, other_treatment)
        for other, other_treatment, _, _ in found
        if other < other_treatment
    ]
    if (
        treatment.numbing_minutes > 0
        and capacity > 0
        and lounge_full(lounge, start, treatment_start, capacity)
    ):
        return slot_unavailable(
            f"The numbing lounge is full at {at}: choose another time.",
            start=start.isoformat(),
            resource="numbing_lounge",
        )
    if device is not None and any(
        device_id == device.pk and overlaps(treatment_start, busy_until, (other, until))
        for _, other, until, device_id in found
    ):
        return slot_unavailable(
            f"{device.name} is in use at {at}: choose another time, or another device.",
            start=start.isoformat(),
            resource="device",
            device=device.code,
        )
    return None


def overlaps(start: dt.datetime, end: dt.datetime, other: tuple[dt.datetime, dt.datetime]) -> bool:
    return other[0] < end and start < other[1]


def lounge_full(
    intervals: Iterable[tuple[dt.datetime, dt.datetime]],
    start: dt.datetime,
    end: dt.datetime,
    capacity: int,
) -> bool:
    """Whether some moment of ``[start, end)`` already has ``capacity`` clients numbing."""
    events: list[tuple[dt.datetime, int]] = []
    for other_start, other_end in intervals:
        if overlaps(start, end, (other_start, other_end)):
            events.append((max(other_start, start), 1))
            events.append((min(other_end, end), -1))
    events.sort(key=lambda event: (event[0], event[1]))
    occupied = 0
    for _, change in events:
        occupied += change
        if occupied >= capacity:
            return True
    return False


def client_busy(
    site: Site, other_id: int, other_start: dt.datetime, other_end: dt.datetime
) -> ClientBusy:
    """409 ``client_busy``: the client's other appointment, in the site's local time."""
    zone = site.tzinfo
    start, end = other_start.astimezone(zone), other_end.astimezone(zone)
    return ClientBusy(
        f"The client already has an appointment on {start:%Y-%m-%d} from {start:%H:%M} "
        f"to {end:%H:%M}: choose a time that does not overlap it.",
        appointment=other_id,
        start=other_start.isoformat(),
        end=other_end.isoformat(),
    )
