"""Slot holds: keep a slot for someone who has not confirmed yet, then book it or let go.

A hold (``SlotHold``) blocks its practitioner, room, device and lounge place for every
booking path (availability, staff and API bookings, courses, other holds) until its
``expires_at``; after that it blocks nothing, with no write needed (``scheduling.busy``
and the booking re-check count only live holds). :func:`holds_sweep`, run by the worker
that ``mesoclinic serve`` starts, marks ran-out holds ``expired`` for the record.

Race safety is the bookings': the same engine check before any lock, and the same
re-check under the lock (``guarded``: SQLite's ``IMMEDIATE`` transaction; PostgreSQL's
advisory locks, exclusive for a hold, shared for a booking), so of two visitors holding
one slot at once exactly one wins and the other gets 409 ``slot_unavailable``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, DomainError
from mesoclinic.people.models import Client, Device, Practitioner, Room, Site
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import Appointment, HoldStatus, SlotHold
from mesoclinic.scheduling.services.appointments import appointment_book
from mesoclinic.scheduling.services.checks import _check_start
from mesoclinic.scheduling.services.guarded import (
    Placement,
    _candidates,
    _write_guarded,
    _writing,
)


def hold_minutes() -> int:
    """How long an online booking's slot is held (``MESOCLINIC["PORTAL_HOLD_MINUTES"]``)."""
    return int(settings.MESOCLINIC.get("PORTAL_HOLD_MINUTES", 15))  # type: ignore[call-overload]


@dataclass(frozen=True)
class _NewHold:
    """Writes the hold at the placement and resources ``_write_guarded`` settles on."""

    treatment: Treatment
    purpose: str
    created_at: dt.datetime
    expires_at: dt.datetime

    def __call__(self, placement: Placement, room: Room, device: Device | None) -> SlotHold:
        return SlotHold.objects.create(
            site=placement.site,
            treatment=self.treatment,
            practitioner=placement.practitioner,
            room=room,
            device=device,
            start=placement.start,
            treatment_start=placement.treatment_start,
            end=placement.end,
            busy_until=placement.busy_until,
            status=HoldStatus.HELD,
            purpose=self.purpose[:40],
            created_at=self.created_at,
            expires_at=self.expires_at,
        )


def slot_hold(
    *,
    actor: Actor,
    treatment: Treatment,
    site: Site,
    start: dt.datetime,
    minutes: int,
    purpose: str,
    practitioner: Practitioner | None = None,
) -> SlotHold:
    """Hold ``treatment`` at ``start`` for ``minutes`` (no client yet).

    Refusals as for a booking: 422 ``start_in_past``, ``outside_opening_hours``,
    ``off_grid``; 409 ``slot_unavailable`` when the time is taken or held.
    """
    resources = _check_start(treatment=treatment, site=site, start=start)
    placements = _candidates(
        treatment=treatment,
        site=site,
        start=start,
        practitioner=practitioner,
        formulation=None,
        resources=resources,
    )
    now = clock.now()
    write = _NewHold(
        treatment=treatment,
        purpose=purpose,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
    )
    with _writing():
        hold = _write_guarded(
            placements=placements, client=None, treatment=treatment, write=write, hold=True
        )
        audit_record(
            actor=actor,
            action="hold.create",
            obj=hold,
            summary=f"Held {treatment.code} {hold.start:%Y-%m-%d %H:%M} with "
            f"{hold.practitioner.code} until {hold.expires_at:%H:%M} ({purpose})",
            data={"expires_at": hold.expires_at.isoformat(), "purpose": purpose},
        )
    return hold


def _taken_after_expiry(hold: SlotHold) -> Conflict:
    local = hold.start.astimezone(hold.site.tzinfo)
    return Conflict(
        Code.HOLD_EXPIRED,
        f"We held {local:%A %d %B at %H:%M} for you until "
        f"{hold.expires_at.astimezone(hold.site.tzinfo):%H:%M}; that has run out and the "
        "time has since been taken. Please choose another time.",
        details={
            "treatment": hold.treatment.code,
            "start": hold.start.isoformat(),
            "expires_at": hold.expires_at.isoformat(),
            "date": local.date().isoformat(),
        },
    )


def slot_hold_confirm(*, actor: Actor, hold: SlotHold, client: Client) -> Appointment:
    """Turn ``hold`` into ``client``'s appointment (all of a booking's rules: screening,
    the client's other appointments, messages), ending the hold in the same transaction.

    A hold that has run out is booked if its time is still free; if it was taken
    meanwhile, 409 ``hold_expired`` (offer other times). 409 ``hold_not_active`` for a
    hold already confirmed or released. A refused booking leaves the hold as it was.
    """
    with _writing():
        locked = (
            SlotHold.objects.select_for_update(of=("self",)).select_related("site").get(pk=hold.pk)
        )
        if locked.status not in (HoldStatus.HELD, HoldStatus.EXPIRED):
            raise Conflict(
                Code.HOLD_NOT_ACTIVE,
                "This held time was already confirmed or let go.",
                details={"status": locked.status},
            )
        ran_out = locked.expires_at <= clock.now()
        now = clock.now()
        locked.status, locked.ended_at = HoldStatus.CONFIRMED, now
        locked.save(update_fields=["status", "ended_at"])
        try:
            appointment = appointment_book(
                actor=actor,
                client=client,
                treatment=locked.treatment,
                start=locked.start,
                practitioner=locked.practitioner,
                site=locked.site,
            )
        except DomainError as error:
            if ran_out and error.code == Code.SLOT_UNAVAILABLE:
                raise _taken_after_expiry(locked) from None
            raise
        locked.appointment = appointment
        locked.save(update_fields=["appointment"])
        audit_record(
            actor=actor,
            action="hold.confirm",
            obj=locked,
            client_id=client.pk,
            summary=f"Hold confirmed as appointment {appointment.pk}",
        )
    return appointment


def slot_hold_release(*, actor: Actor, hold: SlotHold, reason: str = "") -> SlotHold:
    """Let a live hold go at once (declined, replaced): its slot is free again."""
    with _writing():
        locked = SlotHold.objects.select_for_update().get(pk=hold.pk)
        if locked.status != HoldStatus.HELD:
            return locked
        locked.status, locked.ended_at = HoldStatus.RELEASED, clock.now()
        locked.save(update_fields=["status", "ended_at"])
        audit_record(actor=actor, action="hold.release", obj=locked, summary=reason[:200])
    return locked


def holds_sweep() -> int:
    """Mark holds that have run out ``expired`` (they already block nothing); how many."""
    return SlotHold.objects.filter(status=HoldStatus.HELD, expires_at__lte=clock.now()).update(
        status=HoldStatus.EXPIRED, ended_at=clock.now()
    )
