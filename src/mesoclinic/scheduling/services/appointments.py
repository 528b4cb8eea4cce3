"""Book, cancel and reschedule one appointment."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock, metrics
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, RuleRefused
from mesoclinic.core.lookups import get_locked
from mesoclinic.messaging import services as messaging
from mesoclinic.people.models import (
    Client,
    Device,
    Practitioner,
    Room,
    Site,
)
from mesoclinic.safety import engine as safety_engine
from mesoclinic.safety.services import screening_as_dict
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
)
from mesoclinic.scheduling.services.checks import (
    _check_course_window,
    _check_start,
    _default_site,
    _screen,
)
from mesoclinic.scheduling.services.guarded import (
    MAX_REASON_LENGTH,
    Placement,
    _appointment_data,
    _candidates,
    _check_device,
    _label,
    _NewAppointment,
    _write_guarded,
    _writing,
)


def appointment_book(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    start: dt.datetime,
    practitioner: Practitioner | None = None,
    formulation: Formulation | None = None,
    site: Site | None = None,
    room: Room | None = None,
    device: Device | None = None,
    notes: str = "",
    notify: bool = True,
) -> Appointment:
    """Book ``treatment`` for ``client`` starting (arrival, numbing) at ``start``.

    ``practitioner``, ``room`` and ``device`` are chosen when not given (the first free in
    code order). Refusals: 422 ``start_in_past``, ``outside_opening_hours``, ``off_grid``,
    ``screening_refused`` (details: the screening); 409 ``slot_unavailable`` when the time
    is taken or the practitioner is not working then, ``client_busy`` when the client
    already has an active appointment overlapping ``[start, end)``. ``result.screening`` holds the
    screening result as a dict for the caller. ``notify=False`` skips the client's messages
    (imports of past bookings, benchmarks of the booking path alone).
    """
    site = site or _default_site(client)
    _check_device(treatment, site, device)
    resources = _check_start(treatment=treatment, site=site, start=start)
    screening: safety_engine.ScreeningResult | None = None
    if practitioner is not None:
        screening = _screen(
            actor=actor,
            client=client,
            treatment=treatment,
            formulation=formulation,
            practitioner=practitioner,
            start=start,
            site=site,
        )
    try:
        placements = _candidates(
            treatment=treatment,
            site=site,
            start=start,
            practitioner=practitioner,
            formulation=formulation,
            resources=resources,
            room=room,
            device=device,
        )
    except Conflict:
        if screening is None:
            _screen(
                actor=actor,
                client=client,
                treatment=treatment,
                formulation=formulation,
                practitioner=None,
                start=start,
                site=site,
            )
        raise
    if screening is None:
        screening = _screen(
            actor=actor,
            client=client,
            treatment=treatment,
            formulation=formulation,
            practitioner=placements[0].practitioner,
            start=start,
            site=site,
        )
    screened_practitioner = placements[0].practitioner
    booked_at = clock.now()

    insert = _NewAppointment(
        client=client,
        treatment=treatment,
        formulation=formulation or treatment.default_formulation,
        booked_at=booked_at,
        booked_by_label=_label(actor)[:150],
        notes=notes,
    )

    with _writing():
        appointment = _write_guarded(
            placements=placements,
            client=client,
            treatment=treatment,
            write=insert,
            pinned_room=room is not None,
            pinned_device=device is not None,
        )
        if appointment.practitioner_id != screened_practitioner.pk:
            # The first choice was taken meanwhile and another practitioner is free:
            # screen again for them (a refusal rolls the insert back).
            screening = _screen(
                actor=actor,
                client=client,
                treatment=treatment,
                formulation=formulation,
                practitioner=appointment.practitioner,
                start=start,
                site=site,
            )
        appointment.screening = screening_as_dict(screening)  # type: ignore[attr-defined]
        audit_record(
            actor=actor,
            action="appointment.book",
            obj=appointment,
            client_id=client.pk,
            summary=f"{treatment.code} {appointment.start:%Y-%m-%d %H:%M} "
            f"with {appointment.practitioner.code}",
            data=_appointment_data(appointment)
            | {
                "screening": screening.outcome.value,
                "codes": [reason.code.value for reason in screening.reasons],
            },
        )
        if notify:
            messaging.appointments_booked_queue(appointments=[appointment])
        transaction.on_commit(metrics.booking_counted)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    """The appointment as committed now, locked for this transaction (``get_locked``: a
    cancel that waited for a move sees the move); 404 ``appointment_not_found`` when gone."""
    return get_locked(
        Appointment.objects.select_related(
            "client", "treatment", "site", "practitioner", "room", "device"
        ),
        appointment.pk,
        code=Code.APPOINTMENT_NOT_FOUND,
        noun="appointment",
    )


def appointment_cancel(*, actor: Actor, appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel an active appointment: its practitioner, room, device and lounge place are
    free again at once. 409 ``appointment_not_active`` when it is already cancelled or
    over (fulfilled, no-show)."""
    reason = " ".join((reason or "").split())[:MAX_REASON_LENGTH]
    with _writing():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            raise Conflict(
                Code.APPOINTMENT_NOT_ACTIVE,
                f"This appointment is {appointment.get_status_display().lower()}; only a "
                "booked appointment can be cancelled.",
                details={"status": appointment.status},
            )
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = clock.now()
        appointment.cancel_reason = reason
        appointment.ics_sequence += 1  # calendars replace the entry with the cancelled one
        appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "ics_sequence"])
        audit_record(
            actor=actor,
            action="appointment.cancel",
            obj=appointment,
            client_id=appointment.client_id,
            summary=f"Cancelled {appointment.treatment.code} {appointment.start:%Y-%m-%d %H:%M}",
            data=_appointment_data(appointment) | {"reason": reason},
        )
        messaging.appointment_cancelled_notify(appointment=appointment)
    return appointment


def appointment_no_show(*, actor: Actor, appointment: Appointment) -> Appointment:
    """Mark a booked appointment a no-show once its start has passed: the client did not
    come. 422 ``appointment_not_started`` before the start; 409 ``appointment_not_active``
    when it is not booked (cancelled, attended, already a no-show)."""
    with _writing():
        appointment = _locked(appointment)
        if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
            raise Conflict(
                Code.APPOINTMENT_NOT_ACTIVE,
                f"This appointment is {appointment.get_status_display().lower()}; only a "
                "booked appointment can be marked a no-show.",
                details={"status": appointment.status},
            )
        if clock.now() < appointment.start:
            raise RuleRefused(
                Code.APPOINTMENT_NOT_STARTED,
                "The appointment has not started yet: a client can only miss it once its "
                "time has come.",
                details={"start": appointment.start.isoformat()},
            )
        appointment.status = AppointmentStatus.NOSHOW
        appointment.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="appointment.no_show",
            obj=appointment,
            client_id=appointment.client_id,
            summary=f"No-show {appointment.treatment.code} {appointment.start:%Y-%m-%d %H:%M}",
            data=_appointment_data(appointment),
        )
    return appointment


def appointment_reschedule(
    *,
    actor: Actor,
    appointment: Appointment,
    start: dt.datetime,
    practitioner: Practitioner | None = None,
    keep_practitioner: bool = True,
    practitioner_may_change: bool = False,
    check_course_window: bool = True,
) -> Appointment:
    """Move a booked appointment to ``start`` atomically, with the same rules and
    guarantees as booking (the appointment's own time does not count as busy).

    The practitioner stays the same unless ``practitioner`` names another (409
    ``slot_unavailable`` naming them when they are not free); ``practitioner_may_change``
    (the client's own move in the portal, who picks a time, not a person) lets another
    qualified one take it when the same one is not free. A course session stays inside its
    window and in order between its neighbours (422 ``outside_course_window``, the window
    in words). Screening runs again for the new date.
    """
    del keep_practitioner  # the practitioner is always kept unless named or allowed to change
    site = appointment.site
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            Code.APPOINTMENT_NOT_ACTIVE,
            f"This appointment is {appointment.get_status_display().lower()}; only a booked "
            "appointment can be moved.",
            details={"status": appointment.status},
        )
    resources = _check_start(treatment=appointment.treatment, site=site, start=start)
    if check_course_window:  # off only inside a whole re-plan of the later sessions
        _check_course_window(appointment, start)
    wanted = practitioner or (None if practitioner_may_change else appointment.practitioner)
    # An injector asked for (the treatment needs no device) stays reserved when moved.
    kept_device = appointment.device if not appointment.treatment.device_type else None
    placements = _candidates(
        treatment=appointment.treatment,
        site=site,
        start=start,
        practitioner=wanted,
        formulation=appointment.formulation,
        resources=resources,
        device=kept_device,
        exclude_ids=[appointment.pk],
    )
    placements.sort(key=lambda p: p.practitioner.pk != appointment.practitioner_id)
    chosen = placements[0].practitioner
    placements = [p for p in placements if p.practitioner.pk == chosen.pk]
    screening = _screen(
        actor=actor,
        client=appointment.client,
        treatment=appointment.treatment,
        formulation=appointment.formulation,
        practitioner=chosen,
        start=start,
        site=site,
        moving=appointment,
    )
    before = _appointment_data(appointment)

    with _writing():
        current = _locked(appointment)
        if current.status != AppointmentStatus.BOOKED:
            raise Conflict(
                Code.APPOINTMENT_NOT_ACTIVE,
                "This appointment was cancelled or completed meanwhile.",
                details={"status": current.status},
            )

        sequence = current.ics_sequence + 1  # once, however many placements are tried

        def update(placement: Placement, room: Room, device: Device | None) -> Appointment:
            current.start = placement.start
            current.treatment_start = placement.treatment_start
            current.end = placement.end
            current.busy_until = placement.busy_until
            current.practitioner = placement.practitioner
            current.room = room
            current.device = device
            current.ics_sequence = sequence  # calendars take the moved event as the newer one
            current.save(
                update_fields=[
                    "start",
                    "treatment_start",
                    "end",
                    "busy_until",
                    "practitioner",
                    "room",
                    "device",
                    "ics_sequence",
                ]
            )
            return current

        moved = _write_guarded(
            placements=placements,
            client=current.client,
            treatment=current.treatment,
            write=update,
            exclude_ids=[current.pk],
            pinned_device=kept_device is not None,
        )
        moved.screening = screening_as_dict(screening)  # type: ignore[attr-defined]
        audit_record(
            actor=actor,
            action="appointment.reschedule",
            obj=moved,
            client_id=moved.client_id,
            summary=f"Moved {moved.treatment.code} to {moved.start:%Y-%m-%d %H:%M} "
            f"with {moved.practitioner.code}",
            data={"before": before, "after": _appointment_data(moved)},
        )
        messaging.appointment_rescheduled_notify(appointment=moved)
    appointment.refresh_from_db()
    return moved
