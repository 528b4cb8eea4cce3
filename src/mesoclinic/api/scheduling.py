"""Scheduling API: availability, appointments, courses, absences and re-plans, iCalendar.

Thin handlers: check the role, parse and resolve input (400 for malformed input and
unknown codes, 404 for unknown ids), call one selector or service, shape the answer.
Datetimes go out as ISO 8601 with the site's offset (``2027-03-05T10:00:00+00:00``).
Reads that name a client are audited. Status codes: see ``scheduling.errors``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from mesoclinic.api.types import Flag, InputSchema, WholeNumber
from mesoclinic.billing.account_services import no_show_mark
from mesoclinic.billing.services import course_quote_record
from mesoclinic.catalogue.models import Formulation, Protocol
from mesoclinic.core import clock, validation
from mesoclinic.core.audit import audit_read, audit_record
from mesoclinic.core.downloads import attachment
from mesoclinic.core.errors import InvalidInput
from mesoclinic.core.lookups import get_by_code, get_by_opaque_id
from mesoclinic.core.money import money
from mesoclinic.messaging.ics import appointment_ics, ics_content_type, ics_method
from mesoclinic.people.models import Absence, Device, Practitioner, Room
from mesoclinic.people.roles import Access, require, require_calendar_manager, sees_clinical
from mesoclinic.people.selectors import client_by_id
from mesoclinic.safety.presentation import next_step_for, screening_for_front_desk
from mesoclinic.scheduling import ical, planning, selectors, services
from mesoclinic.scheduling.engine import expand_phases
from mesoclinic.scheduling.engine.cells import Ints
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import Appointment, AppointmentStatus, Course

router = Router(tags=["scheduling"])

MAX_LIMIT = 5000
ICS_DEFAULT_PAST = dt.timedelta(days=31)
ICS_DEFAULT_FUTURE = dt.timedelta(days=400)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- Schemas --------------------------------------------------------------------------------


class SlotOut(Schema):
    start: str
    treatment_start: str
    end: str
    practitioner: str
    room: str
    device: str | None


class AvailabilityOut(Schema):
    slots: list[SlotOut]


class ReasonOut(Schema):
    code: str
    severity: str
    message: str
    source: str


class ScreeningOut(Schema):
    outcome: str
    next_step: str
    reasons: list[ReasonOut]


class MoneyOut(Schema):
    amount: str
    currency: str


class AppointmentOut(Schema):
    id: str
    status: str
    client: str
    treatment: str
    site: str
    start: str
    treatment_start: str
    end: str
    practitioner: str
    room: str
    device: str | None
    formulation: str | None
    course: str | None
    session_number: int | None
    price: MoneyOut
    cancelled_at: str | None
    cancel_reason: str
    course_replan: str | None = Field(
        None,
        description="After a course session moved or was cancelled: where to re-plan the "
        "later sessions (POST, body {after_session})",
    )


class BookedOut(AppointmentOut):
    screening: ScreeningOut


class NoShowChargeOut(Schema):
    deposit_kept: MoneyOut
    fee: MoneyOut


class NoShowOut(AppointmentOut):
    no_show_charge: NoShowChargeOut


def money_out(amount: Decimal) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": "GBP"}


class AppointmentIn(InputSchema):
    client: int | str
    treatment: str
    start: str
    practitioner: str | None = None
    formulation: str | None = None
    site: str | None = None
    room: str | None = None
    device: str | None = None
    notes: str = Field("", max_length=2000)


class CancelIn(InputSchema):
    reason: str = Field("", max_length=300)


class RescheduleIn(InputSchema):
    start: str
    practitioner: str | None = None


class PreferencesIn(InputSchema):
    weekdays: list[int | str] | None = None
    earliest_time: str | None = None
    latest_time: str | None = None
    time_of_day: str | None = Field(None, max_length=20)
    practitioner: str | None = None


class CourseIn(InputSchema):
    client: int | str
    treatment: str
    start_date: str
    protocol: str | None = None
    practitioner: str | None = None
    sessions: int | None = None
    site: str | None = None
    preferences: PreferencesIn | None = None
    time_of_day: str | None = Field(
        None, max_length=20, description="morning, afternoon, evening or HH:MM (preferred)"
    )
    preferred_practitioner: str | None = Field(
        None, description="A practitioner preferred, not required (``practitioner`` requires)"
    )


class PlannedSlotOut(SlotOut):
    practitioner_name: str = ""
    room_name: str = ""
    device_name: str | None = None


class SessionOut(Schema):
    number: int
    phase: str
    target_date: str
    earliest: str
    latest: str
    slot: PlannedSlotOut | None
    appointment: str | None = None
    status: str | None = None


class WarningOut(Schema):
    code: str
    message: str


class CoursePlanOut(Schema):
    protocol: str
    treatment: str
    client: str
    sessions: list[SessionOut]
    feasible: bool
    failed_session: int | None
    price: MoneyOut
    warnings: list[WarningOut] = []


class CourseOut(Schema):
    id: str
    status: str
    protocol: str
    treatment: str
    client: str
    sessions: list[SessionOut]
    price: MoneyOut


class ReplanCourseIn(InputSchema):
    after_session: WholeNumber = Field(ge=0, le=planning.MAX_COURSE_SESSIONS)
    apply: Flag = False


class ReplanMoveOut(Schema):
    appointment: str
    number: int
    current: SlotOut
    proposed: SlotOut | None


class CourseReplanOut(Schema):
    course: str
    after_session: int
    feasible: bool
    applied: bool
    moves: list[ReplanMoveOut]


class AbsenceIn(InputSchema):
    starts_at: str
    ends_at: str
    reason: str = Field("", max_length=200)


class ProposalOut(Schema):
    appointment: str
    kind: str
    slot: SlotOut


class PhoneOut(Schema):
    appointment: AppointmentOut
    reason: str


class ReplanOut(Schema):
    absence: str
    practitioner: str
    starts_at: str
    ends_at: str
    reason: str
    affected: list[AppointmentOut]
    proposals: list[ProposalOut]
    phone: list[PhoneOut]


class MoveIn(InputSchema):
    appointment: int | str
    start: str
    practitioner: str | None = None


class ReplanApplyIn(InputSchema):
    moves: list[MoveIn] | None = None


class ReplanAppliedOut(Schema):
    moved: list[AppointmentOut]
    phone: list[PhoneOut]


# --- Parsing --------------------------------------------------------------------------------


def parse_date(value: str | None, field: str) -> dt.date:
    """A ``YYYY-MM-DD`` date, or 400 ``invalid_input``."""
    if not value:
        raise InvalidInput(
            Code.INVALID_INPUT, f"'{field}' is required (YYYY-MM-DD).", details={"field": field}
        )
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"'{field}' must be a date like 2027-03-05.",
            details={"field": field, "value": value[:40]},
        ) from None
    return _in_range(day, field)


def parse_moment(value: str, field: str) -> dt.datetime:
    """An ISO 8601 datetime with an offset, or 400."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"'{field}' must be a date and time like 2027-03-05T10:00:00+00:00.",
            details={"field": field, "value": str(value)[:40]},
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            Code.NAIVE_DATETIME,
            f"'{field}' needs a time zone offset, e.g. 2027-03-05T10:00:00+00:00.",
            details={"field": field},
        )
    _in_range(moment.date(), field)
    validation.check_offset(moment.utcoffset(), field=field)
    return moment


def _in_range(day: dt.date, field: str) -> dt.date:
    """Dates outside 1900–2100 are 400 ``invalid_range`` (the scheduling code for a range
    the clinic cannot serve)."""
    problem = validation.date_problem(day)
    if problem:
        raise InvalidInput(Code.INVALID_RANGE, f"'{field}' {problem}.", details={"field": field})
    return day


def _parse_time(value: str | None, field: str) -> dt.time | None:
    if value is None:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Code.INVALID_INPUT, f"'{field}' must be a time like 09:30.", details={"field": field}
        ) from None


def _weekday(value: int | str) -> int:
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    text = str(value).strip().lower()
    for index, name in enumerate(WEEKDAYS):
        if text in (name, name[:3]):
            return index
    raise InvalidInput(
        Code.INVALID_INPUT,
        "Weekdays are 0 (Monday) to 6 (Sunday) or names such as 'friday'.",
        details={"field": "preferences.weekdays", "value": str(value)[:20]},
    )


def _formulation(code: str | None) -> Formulation | None:
    if not code:
        return None
    return get_by_code(
        Formulation.objects.all(), code, error_code=Code.UNKNOWN_FORMULATION, noun="formulation"
    )


def _protocol(code: str | None) -> Protocol | None:
    if not code:
        return None
    return get_by_code(
        Protocol.objects.all(), code, error_code=Code.UNKNOWN_PROTOCOL, noun="protocol"
    )


def _room(code: str | None) -> Room | None:
    if not code:
        return None
    return get_by_code(
        Room.objects.filter(active=True), code, error_code=Code.UNKNOWN_ROOM, noun="room"
    )


def _device(code: str | None) -> Device | None:
    if not code:
        return None
    return get_by_code(
        Device.objects.filter(active=True), code, error_code=Code.UNKNOWN_DEVICE, noun="device"
    )


def _practitioner(code: str | None) -> Practitioner | None:
    return selectors.practitioner_for_code(code) if code else None


# --- Shaping --------------------------------------------------------------------------------


def _iso(moment: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


def slot_out(slot: selectors.AvailableSlot) -> dict[str, Any]:
    """An available slot in the API shape."""
    return {
        "start": slot.start.isoformat(),
        "treatment_start": slot.treatment_start.isoformat(),
        "end": slot.end.isoformat(),
        "practitioner": slot.practitioner,
        "room": slot.room,
        "device": slot.device,
    }


API_STATUS: dict[str, str] = {AppointmentStatus.NOSHOW: "no_show"}
"""Statuses whose API name differs from the stored value (api-contract.md)."""


def appointment_out(appointment: Appointment) -> dict[str, Any]:
    """An appointment in the API shape (times in the site's offset)."""
    tz = appointment.site.tzinfo
    return {
        "id": str(appointment.pk),
        "status": API_STATUS.get(appointment.status, appointment.status),
        "client": str(appointment.client_id),
        "treatment": appointment.treatment.code,
        "site": appointment.site.code,
        "start": _iso(appointment.start, tz),
        "treatment_start": _iso(appointment.treatment_start, tz),
        "end": _iso(appointment.end, tz),
        "practitioner": appointment.practitioner.code,
        "room": appointment.room.code,
        "device": appointment.device.code if appointment.device else None,
        "formulation": appointment.formulation.code if appointment.formulation else None,
        "course": str(appointment.course_id) if appointment.course_id else None,
        "session_number": appointment.session_number,
        "price": money(appointment.price),
        "cancelled_at": _iso(appointment.cancelled_at, tz),
        "cancel_reason": appointment.cancel_reason,
    }


def _screening_out(appointment: Appointment, *, clinical: bool) -> dict[str, Any]:
    screening = getattr(appointment, "screening", None) or {"outcome": "allowed", "reasons": []}
    if not clinical:
        return screening_for_front_desk(screening)
    return {
        "outcome": screening["outcome"],
        "next_step": next_step_for(screening["outcome"]),
        "reasons": [
            {key: reason[key] for key in ("code", "severity", "message", "source")}
            for reason in screening["reasons"]
        ],
    }


def _session_out(
    session: planning.PlannedCourseSession,
    appointment: Appointment | None = None,
    plan: planning.CoursePlanResult | None = None,
) -> dict[str, Any]:
    slot = None
    if session.slot is not None:
        slot = slot_out(session.slot)
        if plan is not None:
            slot |= planning.slot_names(plan, session.slot)
    return {
        "number": session.number,
        "phase": session.phase,
        "target_date": session.target_date.isoformat(),
        "earliest": session.earliest.isoformat(),
        "latest": session.latest.isoformat(),
        "slot": slot,
        "appointment": str(appointment.pk) if appointment is not None else None,
    }


def _plan_out(plan: planning.CoursePlanResult) -> dict[str, Any]:
    return {
        "protocol": plan.protocol.code,
        "treatment": plan.treatment.code,
        "client": str(plan.client.pk),
        "sessions": [_session_out(session, plan=plan) for session in plan.sessions],
        "feasible": plan.feasible,
        "failed_session": plan.failed_session,
        "price": money(plan.price),
    }


def _booked_sessions_out(course: Course, appointments: list[Appointment]) -> list[dict[str, Any]]:
    """A booked course's sessions: each with its phase and its window, counted from the
    actual date of the session before (the first session's window is its own day)."""
    rules = expand_phases(
        planning.protocol_phase_rules(
            protocol=course.protocol, client=course.client, treatment=course.treatment
        ),
        sessions=max((a.session_number or 0 for a in appointments), default=0),
    )
    sessions: list[dict[str, Any]] = []
    previous: dt.date | None = None
    for appointment in appointments:
        tz = appointment.site.tzinfo
        day = appointment.start.astimezone(tz).date()
        number = appointment.session_number or 0
        rule = rules[number - 1] if 0 < number <= len(rules) else None
        target = earliest = latest = day
        if rule is not None and previous is not None and number > 1:
            target = previous + dt.timedelta(days=rule.gap_days)
            earliest = previous + dt.timedelta(days=rule.min_days)
            latest = previous + dt.timedelta(days=rule.max_days)
        sessions.append(
            {
                "number": number,
                "phase": rule.phase if rule is not None else "",
                "target_date": target.isoformat(),
                "earliest": earliest.isoformat(),
                "latest": latest.isoformat(),
                "slot": {
                    "start": _iso(appointment.start, tz),
                    "treatment_start": _iso(appointment.treatment_start, tz),
                    "end": _iso(appointment.end, tz),
                    "practitioner": appointment.practitioner.code,
                    "room": appointment.room.code,
                    "device": appointment.device.code if appointment.device else None,
                },
                "appointment": str(appointment.pk),
                "status": appointment.status,
            }
        )
        if appointment.status != AppointmentStatus.CANCELLED:
            previous = day
    return sessions


def _course_out(course: Course, sessions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(course.pk),
        "status": course.status,
        "protocol": course.protocol.code,
        "treatment": course.treatment.code,
        "client": str(course.client_id),
        "sessions": sessions,
        "price": money(course.price),
    }


def _audit_view(request: HttpRequest, action: str, client_id: int | None, **data: Any) -> None:
    audit_record(actor=request.user, action=action, client_id=client_id, data=data)


# --- Availability ---------------------------------------------------------------------------


_TEXTS_REMEMBERED = 100_000
_texts: dict[tuple[Any, ...], str] = {}
"""Remembered texts: times by (zone, start, treatment start, end), resource combinations
by (practitioner, room, device)."""


def _remember(key: tuple[Any, ...], text: str) -> str:
    """Keep ``text`` for ``key``: availability answers repeat the same few thousand times
    and few hundred resource combinations request after request."""
    if len(_texts) >= _TEXTS_REMEMBERED:
        _texts.clear()
    _texts[key] = text
    return text


def _times_json(zone: str, tz: dt.tzinfo, times: tuple[int, int, int]) -> str:
    """``{"start":…,"treatment_start":…,"end":…,`` for epoch minutes, in local ISO time."""
    key = (zone, *times)
    found = _texts.get(key)
    if found is None:
        start, treatment_start, end = (
            json.dumps(selectors.moment_of(minutes, tz).isoformat()) for minutes in times
        )
        found = _remember(
            key, f'{{"start":{start},"treatment_start":{treatment_start},"end":{end},'
        )
    return found


def _resources_json(codes: tuple[str, str, str | None]) -> str:
    """``"practitioner":…,"room":…,"device":…}``: the rest of a slot's object."""
    found = _texts.get(codes)
    if found is None:
        practitioner, room, device = map(json.dumps, codes)
        found = _remember(codes, f'"practitioner":{practitioner},"room":{room},"device":{device}}}')
    return found


def _start_groups(starts: Ints) -> tuple[Ints, Ints]:
    """For a non-empty array of starts in ascending order: the first row of each distinct
    start, and each row's group number."""
    new_start = np.empty(len(starts), dtype=np.bool_)
    new_start[0] = True
    np.not_equal(starts[1:], starts[:-1], out=new_start[1:])
    return np.flatnonzero(new_start), np.cumsum(new_start) - 1


def _combination_groups(numbers: Ints) -> tuple[Ints, Ints]:
    """For a non-empty array of small non-negative combination numbers: a row of each
    distinct number, and each row's group number (in linear time: no sort)."""
    size = int(numbers.max()) + 1
    a_row = np.empty(size, dtype=np.int64)
    a_row[numbers] = np.arange(len(numbers))  # any row of a number will do
    present = np.zeros(size, dtype=np.bool_)
    present[numbers] = True
    distinct = np.flatnonzero(present)
    group = np.zeros(size, dtype=np.int64)
    group[distinct] = np.arange(len(distinct))
    return a_row[distinct], group[numbers]


def _texts_of_rows(
    write: Callable[[Any], str], rows: Ints, columns: tuple[npt.NDArray[Any], ...]
) -> npt.NDArray[np.object_]:
    """``write`` of each of ``rows``' values in ``columns`` (a tuple per row), as an array
    that row numbers can pick from."""
    values = zip(*(column[rows].tolist() for column in columns), strict=True)
    return np.array([write(value) for value in values], dtype=object)


def _slots_json(part: selectors.SiteSlots) -> list[str]:
    """One site's slots as JSON objects, written from the columns of the search.

    A 60-day answer holds thousands of slots but a few thousand starts (each slot's other
    two times follow from its start) and a few hundred combinations of practitioner, room
    and device: each is written once (and remembered), and each slot is the concatenation
    of its start's text and its combination's, about fifty times cheaper than validating
    every slot with the response schema and encoding it again (the shape stays
    ``AvailabilityOut``'s)."""
    table = part.table
    if not len(table):
        return []
    start_rows, start_of_row = _start_groups(table.starts)
    times = _texts_of_rows(
        functools.partial(_times_json, str(part.tz), part.tz),
        start_rows,
        (table.starts, table.treatment_starts, table.ends),
    )
    combination_rows, combination_of_row = _combination_groups(table.resources)
    combinations = _texts_of_rows(
        _resources_json, combination_rows, (table.practitioners, table.rooms, table.devices)
    )
    rows: list[str] = (times[start_of_row] + combinations[combination_of_row]).tolist()
    return rows


def _availability_response(parts: list[selectors.SiteSlots], limit: int | None) -> HttpResponse:
    """``{"slots": [...]}`` as JSON, sorted by start then practitioner, at most ``limit``."""
    rows = [row for part in parts if len(part.table) for row in _slots_json(part)]
    if len({part.site.pk for part in parts}) > 1:
        # Each site's slots come sorted (and chunks in order): only sites interleave.
        keys = [
            key
            for part in parts
            for key in zip(
                part.table.starts.tolist(), part.table.practitioners.tolist(), strict=True
            )
        ]
        rows = [row for _, row in sorted(zip(keys, rows, strict=True), key=lambda pair: pair[0])]
    if limit is not None:
        rows = rows[:limit]
    return HttpResponse(f'{{"slots":[{",".join(rows)}]}}', content_type="application/json")


@router.get("/availability", response=AvailabilityOut)
def availability(
    request: HttpRequest,
    treatment: str = "",
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
    practitioner: str | None = None,
    site: str | None = None,
    limit: int | None = None,
) -> HttpResponse:
    """Bookable slots for a treatment between two local dates (inclusive), sorted by start.

    Only qualified practitioners appear; slots in the past never do. ``to`` before
    ``from``, malformed dates, unknown codes → 400.
    """
    require(request.user, Access.STAFF)
    if not treatment:
        raise InvalidInput(
            Code.INVALID_INPUT, "'treatment' is required.", details={"field": "treatment"}
        )
    first = parse_date(date_from, "from")
    last = parse_date(date_to, "to")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            Code.INVALID_INPUT, f"'limit' must be 1 to {MAX_LIMIT}.", details={"field": "limit"}
        )
    parts = selectors.availability_tables(
        treatment=selectors.treatment_for_code(treatment),
        date_from=first,
        date_to=last,
        site=selectors.site_for_code(site) if site else None,
        practitioner=_practitioner(practitioner),
        limit=limit,
    )
    return _availability_response(parts, limit)


# --- Appointments ---------------------------------------------------------------------------


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


# --- Courses --------------------------------------------------------------------------------


def _course_arguments(payload: CourseIn) -> dict[str, Any]:
    preferences = payload.preferences or PreferencesIn(time_of_day=None)
    preferred = _practitioner(payload.preferred_practitioner or preferences.practitioner)
    earliest = _parse_time(preferences.earliest_time, "preferences.earliest_time")
    latest = _parse_time(preferences.latest_time, "preferences.latest_time")
    time_of_day = payload.time_of_day or preferences.time_of_day
    if time_of_day:
        earliest, latest = planning.time_of_day_window(time_of_day)
    wishes = planning.CourseWishes(
        weekdays=(
            frozenset(_weekday(day) for day in preferences.weekdays)
            if preferences.weekdays
            else None
        ),
        earliest_time=earliest,
        latest_time=latest,
        preferred_practitioner=preferred.code if preferred else None,
    )
    return {
        "client": client_by_id(payload.client),
        "treatment": selectors.treatment_for_code(payload.treatment),
        "start_date": parse_date(payload.start_date, "start_date"),
        "protocol": _protocol(payload.protocol),
        "practitioner": _practitioner(payload.practitioner),
        "sessions": payload.sessions,
        "wishes": wishes,
        "site": selectors.site_for_code(payload.site) if payload.site else None,
    }


@router.post("/courses/plan", response=CoursePlanOut)
def course_plan(request: HttpRequest, payload: CourseIn) -> dict[str, Any]:
    """Plan a course without booking it: every session's window and slot, and the price.
    ``feasible`` is false (with ``failed_session``) when some session cannot be placed."""
    require(request.user, Access.STAFF)
    arguments = _course_arguments(payload)
    plan = planning.course_plan(**arguments)
    _audit_view(request, "course.plan", plan.client.pk, treatment=plan.treatment.code)
    warnings = services.course_plan_warnings(actor=request.user, plan=plan)
    return _plan_out(plan) | {
        "warnings": [
            {"code": code, "message": message}
            for code, message in (
                warnings.clinical if sees_clinical(request.user) else warnings.front_desk
            )
        ]
    }


@router.post("/courses", response={201: CourseOut})
def course_create(request: HttpRequest, payload: CourseIn) -> Status[dict[str, Any]]:
    """Book a whole course in one transaction; 409 ``course_unavailable`` or
    ``client_busy`` (a session overlaps the client's other appointment) books nothing."""
    require(request.user, Access.STAFF)
    course, plan = services.course_book(actor=request.user, **_course_arguments(payload))
    course_quote_record(actor=request.user, course=course)
    sessions = [
        _session_out(session, appointment, plan)
        for session, appointment in zip(plan.sessions, plan.appointments, strict=True)
    ]
    return Status(201, _course_out(course, sessions) | {"price": money(plan.price)})


@router.get("/courses/{course_id}", response=CourseOut)
def course_detail(request: HttpRequest, course_id: str) -> dict[str, Any]:
    """A course with its appointments (audited read)."""
    require(request.user, Access.STAFF)
    course = selectors.course_for_id(course_id)
    appointments = selectors.course_appointments(course=course)
    _audit_view(request, "course.view", course.client_id, course=course.pk)
    return _course_out(course, _booked_sessions_out(course, appointments))


@router.post("/courses/{course_id}/cancel", response=CourseOut)
def course_cancel(request: HttpRequest, course_id: str, payload: CancelIn) -> dict[str, Any]:
    """Cancel a course and its booked sessions still to come."""
    require(request.user, Access.STAFF)
    course = services.course_cancel(
        actor=request.user, course=selectors.course_for_id(course_id), reason=payload.reason
    )
    appointments = selectors.course_appointments(course=course)
    return _course_out(course, _booked_sessions_out(course, appointments))


def _replan_moves_out(replan: planning.CourseReplan) -> list[dict[str, Any]]:
    moves = []
    for appointment, slot in replan.moves:
        tz = appointment.site.tzinfo
        moves.append(
            {
                "appointment": str(appointment.pk),
                "number": appointment.session_number or 0,
                "current": {
                    "start": _iso(appointment.start, tz),
                    "treatment_start": _iso(appointment.treatment_start, tz),
                    "end": _iso(appointment.end, tz),
                    "practitioner": appointment.practitioner.code,
                    "room": appointment.room.code,
                    "device": appointment.device.code if appointment.device else None,
                },
                "proposed": slot_out(slot) if slot is not None else None,
            }
        )
    return moves


@router.post("/courses/{course_id}/replan", response=CourseReplanOut)
def course_replan(request: HttpRequest, course_id: str, payload: ReplanCourseIn) -> dict[str, Any]:
    """Re-plan the booked sessions after ``after_session`` (offered when a session moved
    or was cancelled): a preview, or with ``apply`` every move at once (409
    ``course_unavailable``: nothing moved)."""
    require(request.user, Access.STAFF)
    course = selectors.course_for_id(course_id)
    if payload.apply:
        services.course_replan_apply(
            actor=request.user, course=course, after_session=payload.after_session
        )
    replan = planning.course_replan_preview(course=course, after_session=payload.after_session)
    _audit_view(request, "course.replan_view", course.client_id, course=course.pk)
    return {
        "course": str(course.pk),
        "after_session": payload.after_session,
        "feasible": replan.feasible,
        "applied": payload.apply,
        "moves": _replan_moves_out(replan),
    }


# --- Absences and re-planning ---------------------------------------------------------------


def _absence(practitioner: Practitioner, absence_id: str) -> Absence:
    return get_by_opaque_id(
        Absence.objects.select_related("practitioner").filter(practitioner=practitioner),
        absence_id,
        code=Code.ABSENCE_NOT_FOUND,
        noun=f"absence of {practitioner.code}",
    )


def _replan_out(preview: planning.ReplanPreview) -> dict[str, Any]:
    absence = preview.absence
    return {
        "absence": str(absence.pk),
        "practitioner": absence.practitioner.code,
        "starts_at": absence.starts_at.isoformat(),
        "ends_at": absence.ends_at.isoformat(),
        "reason": absence.reason,
        "affected": [appointment_out(appointment) for appointment in preview.affected],
        "proposals": [
            {"appointment": str(p.appointment.pk), "kind": p.kind, "slot": slot_out(p.slot)}
            for p in preview.proposals
        ],
        "phone": [
            {"appointment": appointment_out(item.appointment), "reason": item.reason}
            for item in preview.phone
        ],
    }


@router.post("/practitioners/{code}/absences", response={201: ReplanOut})
def absence_create(request: HttpRequest, code: str, payload: AbsenceIn) -> Status[dict[str, Any]]:
    """Record an absence; the answer lists the booked appointments it hits and a proposed
    re-plan (apply it with ``POST …/absences/{id}/replan``)."""
    require(request.user, Access.STAFF)
    practitioner = selectors.practitioner_for_code(code)
    require_calendar_manager(request.user, practitioner=practitioner)
    absence = services.absence_record(
        actor=request.user,
        practitioner=practitioner,
        starts_at=parse_moment(payload.starts_at, "starts_at"),
        ends_at=parse_moment(payload.ends_at, "ends_at"),
        reason=payload.reason,
    )
    return Status(201, _replan_out(planning.absence_replan_preview(absence=absence)))


@router.get("/practitioners/{code}/absences/{absence_id}/replan", response=ReplanOut)
def absence_replan_preview(request: HttpRequest, code: str, absence_id: str) -> dict[str, Any]:
    """The current re-plan proposal for an absence (nothing is changed); like the absence
    itself, for an administrator or the practitioner whose calendar it is."""
    require(request.user, Access.STAFF)
    absence = _absence(selectors.practitioner_for_code(code), absence_id)
    require_calendar_manager(request.user, practitioner=absence.practitioner)
    return _replan_out(planning.absence_replan_preview(absence=absence))


@router.post("/practitioners/{code}/absences/{absence_id}/replan", response=ReplanAppliedOut)
def absence_replan_apply(
    request: HttpRequest, code: str, absence_id: str, payload: ReplanApplyIn
) -> dict[str, Any]:
    """Apply the proposal (or the given ``moves``); what cannot move is listed to call."""
    require(request.user, Access.STAFF)
    absence = _absence(selectors.practitioner_for_code(code), absence_id)
    require_calendar_manager(request.user, practitioner=absence.practitioner)
    moves = None
    if payload.moves is not None:
        moves = [
            (
                int(str(move.appointment)) if validation.is_id(move.appointment) else -1,
                parse_moment(move.start, "start"),
                _practitioner(move.practitioner).code if move.practitioner else None,  # type: ignore[union-attr]
            )
            for move in payload.moves
        ]
    result = services.absence_replan_apply(actor=request.user, absence=absence, moves=moves)
    return {
        "moved": [appointment_out(appointment) for appointment in result.moved],
        "phone": [
            {"appointment": appointment_out(appointment), "reason": reason}
            for appointment, reason in result.phone
        ],
    }


# --- iCalendar ------------------------------------------------------------------------------


@router.get("/practitioners/{code}/calendar.ics")
def practitioner_calendar(
    request: HttpRequest,
    code: str,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
) -> HttpResponse:
    """The practitioner's appointments as an iCalendar feed (default: the last month and
    the next 400 days)."""
    require(request.user, Access.STAFF)
    practitioner = selectors.practitioner_for_code(code)
    now = clock.now()
    starts_from = now - ICS_DEFAULT_PAST
    starts_before = now + ICS_DEFAULT_FUTURE
    if date_from:
        starts_from = dt.datetime.combine(parse_date(date_from, "from"), dt.time.min, tzinfo=dt.UTC)
    if date_to:
        starts_before = dt.datetime.combine(
            parse_date(date_to, "to") + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
        )
    if starts_before <= starts_from:
        raise InvalidInput(
            Code.INVALID_RANGE, "'to' must not be before 'from'.", details={"field": "to"}
        )
    body = ical.practitioner_calendar_ics(
        practitioner=practitioner, starts_from=starts_from, starts_before=starts_before
    )
    audit_read(actor=request.user, action="calendar.ics", summary=practitioner.code)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    attachment(response, f"{practitioner.code}.ics", inline=True)
    return response
