"""Appointments: book, search, read (also as iCalendar), cancel, no-show, reschedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from mesoclinic.api.scheduling.parsing import (
    _device,
    _formulation,
    _practitioner,
    _room,
    parse_date,
    parse_moment,
)
from mesoclinic.api.scheduling.schemas import (
    AppointmentIn,
    AppointmentOut,
    BookedOut,
    CancelIn,
    NoShowOut,
    RescheduleIn,
    money_out,
)
from mesoclinic.api.scheduling.shaping import _audit_view, _screening_out, appointment_out
from mesoclinic.billing.account_services import no_show_mark
from mesoclinic.core.downloads import attachment
from mesoclinic.core.errors import InvalidInput
from mesoclinic.messaging.ics import appointment_ics, ics_content_type, ics_method
from mesoclinic.people.roles import Access, require, sees_clinical
from mesoclinic.people.selectors import client_by_id
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

router = Router(tags=["scheduling"])


@router.post("/appointments", response={201: BookedOut})
def appointment_create(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, Any]]:
    """Book one appointment. 409 ``slot_unavailable``, or ``client_busy`` when the client
    already has an overlapping active appointment; 422 ``screening_refused``,
    ``start_in_past``, ``outside_opening_hours``, ``off_grid``."""
    require(request.user, Access.STAFF)
    client = client_by_id(payload.client)
    treatment = selectors.treatment_for_code(payload.treatment)
    start = parse_moment(payload.start, "start")
    appointment = services.appointment_book(
        actor=request.user,
        client=client,
        treatment=treatment,
        start=start,
        practitioner=_practitioner(payload.practitioner),
        formulation=_formulation(payload.formulation),
        site=selectors.site_for_code(payload.site) if payload.site else None,
        room=_room(payload.room),
        device=_device(payload.device),
        notes=payload.notes,
    )
    return Status(
        201,
        appointment_out(appointment)
        | {"screening": _screening_out(appointment, clinical=sees_clinical(request.user))},
    )


@router.get("/appointments", response=list[AppointmentOut])
def appointment_search(
    request: HttpRequest,
    client: str | None = None,
    practitioner: str | None = None,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
) -> list[dict[str, Any]]:
    """Appointments of a client and/or a practitioner, starting between two local dates
    (``to`` inclusive). Cancelled ones are included with their status."""
    require(request.user, Access.STAFF)
    if not client and not practitioner and not (date_from and date_to):
        # (a relation between parameters, which OpenAPI cannot state: invalid_range)
        raise InvalidInput(
            Code.INVALID_RANGE,
            "Give 'client', 'practitioner', or both 'from' and 'to'.",
            details={"field": "client"},
        )
    found_client = client_by_id(client) if client else None
    found_practitioner = _practitioner(practitioner)
    tz = (found_client.home_site.tzinfo if found_client and found_client.home_site else None) or (
        dt.UTC if not selectors.bookable_sites() else selectors.bookable_sites()[0].tzinfo
    )
    first = parse_date(date_from, "from") if date_from else None
    last = parse_date(date_to, "to") if date_to else None
    if first and last and last < first:
        raise InvalidInput(
            Code.INVALID_RANGE, "'to' must not be before 'from'.", details={"field": "to"}
        )
    appointments = list(
        selectors.appointment_list(
            client=found_client,
            practitioner=found_practitioner,
            starts_from=selectors.local_midnight(first, tz) if first else None,
            starts_before=selectors.local_midnight(last + dt.timedelta(days=1), tz)
            if last
            else None,
        )
    )
    _audit_view(
        request,
        "appointment.list",
        found_client.pk if found_client else None,
        practitioner=practitioner,
        results=len(appointments),
    )
    return [appointment_out(appointment) for appointment in appointments]


@router.get("/appointments/{appointment_id}.ics")
def appointment_calendar(request: HttpRequest, appointment_id: str) -> HttpResponse:
    """The appointment as an iCalendar file (the client's view: arrival to end)."""
    require(request.user, Access.STAFF)
    appointment = selectors.appointment_for_id(appointment_id)
    _audit_view(request, "appointment.ics", appointment.client_id, appointment=appointment.pk)
    body = appointment_ics(appointment)
    response = HttpResponse(body, content_type=ics_content_type(ics_method(appointment)))
    attachment(response, f"appointment-{appointment.pk}.ics")
    return response


@router.get("/appointments/{appointment_id}", response=AppointmentOut)
def appointment_detail(request: HttpRequest, appointment_id: str) -> dict[str, Any]:
    """One appointment (audited read)."""
    require(request.user, Access.STAFF)
    appointment = selectors.appointment_for_id(appointment_id)
    _audit_view(request, "appointment.view", appointment.client_id, appointment=appointment.pk)
    return appointment_out(appointment)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
def appointment_cancel(
    request: HttpRequest, appointment_id: str, payload: CancelIn
) -> dict[str, Any]:
    """Cancel a booked appointment; its resources are free again. 409 when not booked."""
    require(request.user, Access.STAFF)
    appointment = selectors.appointment_for_id(appointment_id)
    cancelled = services.appointment_cancel(
        actor=request.user, appointment=appointment, reason=payload.reason
    )
    return appointment_out(cancelled) | _replan_offer(cancelled)


@router.post("/appointments/{appointment_id}/no-show", response=NoShowOut)
def appointment_no_show(request: HttpRequest, appointment_id: str) -> dict[str, Any]:
    """Mark a booked appointment a no-show after its start (``status: "no_show"``); 422
    ``appointment_not_started`` before it, 409 when it is not booked. The treatment's
    no-show rule is applied in the same transaction (``no_show_charge``: the deposit kept
    and the fee charged to the client's account)."""
    require(request.user, Access.STAFF)
    appointment = selectors.appointment_for_id(appointment_id)
    missed, charge = no_show_mark(actor=request.user, appointment=appointment)
    return appointment_out(missed) | {
        "no_show_charge": {
            "deposit_kept": money_out(charge.forfeit),
            "fee": money_out(charge.fee),
        }
    }


@router.post("/appointments/{appointment_id}/reschedule", response=AppointmentOut)
def appointment_reschedule(
    request: HttpRequest, appointment_id: str, payload: RescheduleIn
) -> dict[str, Any]:
    """Move a booked appointment to ``start`` (same rules as booking), atomically."""
    require(request.user, Access.STAFF)
    appointment = selectors.appointment_for_id(appointment_id)
    moved = services.appointment_reschedule(
        actor=request.user,
        appointment=appointment,
        start=parse_moment(payload.start, "start"),
        practitioner=_practitioner(payload.practitioner),
    )
    return appointment_out(moved) | _replan_offer(moved)


def _replan_offer(appointment: Appointment) -> dict[str, Any]:
    """For a course session with booked sessions after it: where to re-plan them."""
    if not appointment.course_id or not appointment.session_number:
        return {}
    later = Appointment.objects.filter(
        course_id=appointment.course_id,
        session_number__gt=appointment.session_number,
        status=AppointmentStatus.BOOKED,
    ).exists()
    return {"course_replan": f"/api/v1/courses/{appointment.course_id}/replan"} if later else {}
