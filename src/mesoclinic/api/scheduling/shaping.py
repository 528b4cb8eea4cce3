"""Shaping the scheduling API's answers: slots, appointments (times in the site's offset),
screenings, planned and booked course sessions; the audit of reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest

from mesoclinic.core.audit import audit_record
from mesoclinic.core.money import money
from mesoclinic.safety.presentation import next_step_for, screening_for_front_desk
from mesoclinic.scheduling import planning, selectors
from mesoclinic.scheduling.engine import expand_phases
from mesoclinic.scheduling.models import Appointment, AppointmentStatus, Course


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
