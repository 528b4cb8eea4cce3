"""Courses: plan, book, read, cancel, and re-plan the sessions after one that moved."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from mesoclinic.api.scheduling.parsing import (
    _parse_time,
    _practitioner,
    _protocol,
    _weekday,
    parse_date,
)
from mesoclinic.api.scheduling.schemas import (
    CancelIn,
    CourseIn,
    CourseOut,
    CoursePlanOut,
    CourseReplanOut,
    PreferencesIn,
    ReplanCourseIn,
)
from mesoclinic.api.scheduling.shaping import (
    _audit_view,
    _booked_sessions_out,
    _course_out,
    _iso,
    _plan_out,
    _session_out,
    slot_out,
)
from mesoclinic.billing.services import course_quote_record
from mesoclinic.core.money import money
from mesoclinic.people.roles import Access, require, sees_clinical
from mesoclinic.people.selectors import client_by_id
from mesoclinic.scheduling import planning, selectors, services

router = Router(tags=["scheduling"])


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
