"""Record practitioners' absences and apply the re-plans of the bookings inside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput
from mesoclinic.people.models import (
    Absence,
    Practitioner,
)
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    Appointment,
)
from mesoclinic.scheduling.planning import (
    ReplanPreview,
    absence_replan_preview,
)
from mesoclinic.scheduling.services.appointments import appointment_reschedule
from mesoclinic.scheduling.services.checks import _require_aware
from mesoclinic.scheduling.services.guarded import _writing


def absence_record(
    *,
    actor: Actor,
    practitioner: Practitioner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> Absence:
    """Record a practitioner's absence (leave, sickness, training). Availability drops
    the time at once; booked appointments inside it are *not* moved here: see
    ``absence_replan_preview`` and ``absence_replan_apply``."""
    _require_aware(starts_at, "starts_at")
    _require_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise InvalidInput(
            Code.INVALID_RANGE,
            "The absence must end after it starts.",
            details={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        )
    _check_absence_bounds(starts_at, ends_at)
    with _writing():
        absence = Absence.objects.create(
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=" ".join(reason.split())[:200],
        )
        audit_record(
            actor=actor,
            action="absence.record",
            obj=absence,
            summary=f"{practitioner.code} away {starts_at:%Y-%m-%d %H:%M}–{ends_at:%Y-%m-%d %H:%M}",
            data={
                "practitioner": practitioner.code,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
        )
    return absence


def absence_add(
    *,
    actor: Actor,
    practitioner: Practitioner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> Absence:
    """Record an absence from the clinic's settings: as :func:`absence_record`, and refused
    (409 ``absence_overlap``) when it overlaps one already recorded, which the
    administrator then changes instead. Bookings inside it stay booked (the page lists
    them first, and the re-plan page moves them)."""
    _require_aware(starts_at, "starts_at")
    _require_aware(ends_at, "ends_at")
    with _writing():
        clash = (
            Absence.objects.select_for_update()
            .filter(practitioner=practitioner, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            raise Conflict(
                Code.ABSENCE_OVERLAP,
                f"{practitioner.display_name} is already away "
                f"{clash.starts_at:%d %b %Y %H:%M}–{clash.ends_at:%d %b %Y %H:%M} UTC: remove "
                "that absence first, or choose other dates.",
                details={"field": "starts_on", "absence": clash.pk},
            )
        return absence_record(
            actor=actor,
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
        )


def absence_remove(*, actor: Actor, absence: Absence) -> None:
    """Delete an absence entered by mistake or called off: the time is offered again at
    once. Appointments already moved because of it stay where they are."""
    with _writing():
        audit_record(
            actor=actor,
            action="absence.remove",
            obj=absence,
            summary=f"{absence.practitioner.code} no longer away "
            f"{absence.starts_at:%Y-%m-%d %H:%M}–{absence.ends_at:%Y-%m-%d %H:%M}",
            data={
                "practitioner": absence.practitioner.code,
                "starts_at": absence.starts_at.isoformat(),
                "ends_at": absence.ends_at.isoformat(),
            },
        )
        absence.delete()


ABSENCE_EARLIEST = dt.timedelta(days=366)
ABSENCE_LATEST = dt.timedelta(days=731)


def _check_absence_bounds(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """Absences lie between one year back and two years ahead (400 otherwise): a typo in
    the year must not reach the calendar."""
    now = clock.now()
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not now - ABSENCE_EARLIEST <= moment <= now + ABSENCE_LATEST:
            raise InvalidInput(
                Code.INVALID_RANGE,
                "An absence must fall between one year ago and two years from now.",
                details={"field": field},
            )


@dataclass(slots=True)
class ReplanResult:
    """What applying a re-plan did: the moved appointments, and those left for a call."""

    moved: list[Appointment]
    phone: list[tuple[Appointment, str]]


def absence_replan_apply(
    *,
    actor: Actor,
    absence: Absence,
    moves: Sequence[tuple[int, dt.datetime, str | None]] | None = None,
) -> ReplanResult:
    """Apply a re-plan: move each affected appointment as proposed (or as given in
    ``moves``: ``(appointment id, start, practitioner code or None)``).

    Each move is its own guarded reschedule (a savepoint), so one that has become
    impossible meanwhile does not undo the others; it is listed for a phone call with the
    reason, as are the appointments the preview could not place.
    """
    preview: ReplanPreview = absence_replan_preview(absence=absence)
    affected = {appointment.pk: appointment for appointment in preview.affected}
    phone: list[tuple[Appointment, str]] = []
    planned: list[tuple[int, dt.datetime, str | None]]
    if moves is None:
        planned = [
            (move.appointment.pk, move.slot.start, move.slot.practitioner)
            for move in preview.proposals
        ]
        phone.extend((item.appointment, item.reason) for item in preview.phone)
    else:
        planned = list(moves)
        chosen = {appointment_id for appointment_id, _, _ in planned}
        phone.extend(
            (item.appointment, item.reason)
            for item in preview.phone
            if item.appointment.pk not in chosen
        )
    moved: list[Appointment] = []
    practitioners = {p.code: p for p in Practitioner.objects.all()}
    with _writing():
        for appointment_id, start, code in planned:
            appointment = affected.get(appointment_id)
            if appointment is None:
                continue
            try:
                with transaction.atomic():
                    moved.append(
                        appointment_reschedule(
                            actor=actor,
                            appointment=appointment,
                            start=start,
                            practitioner=practitioners.get(code) if code else None,
                        )
                    )
            except DomainError as error:
                phone.append((appointment, error.message))
        audit_record(
            actor=actor,
            action="absence.replan",
            obj=absence,
            summary=f"Re-plan for {absence.practitioner.code}: {len(moved)} moved, "
            f"{len(phone)} to call",
            data={
                "moved": [appointment.pk for appointment in moved],
                "phone": [appointment.pk for appointment, _ in phone],
            },
        )
    return ReplanResult(moved=moved, phone=phone)


def price_of(sessions: int, treatment: Treatment) -> Decimal:
    """Course price: the sum of its session prices."""
    return treatment.price * sessions
