"""Re-planning the rest of a course (``course_replan_preview``) after one of its sessions
moved or was cancelled. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mesoclinic.core import clock
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.engine import (
    CourseCalendar,
    CoursePreferences,
    CourseRequest,
    expand_phases,
    plan_course,
)
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Course
from mesoclinic.scheduling.planning.courses import _toxin_free, protocol_phase_rules, toxin_days

if TYPE_CHECKING:
    from mesoclinic.scheduling.selectors import AvailableSlot, SiteSearch


@dataclass(slots=True)
class CourseReplan:
    """The later sessions of a course after ``after_session`` moved or was cancelled:
    each booked one with its new slot (``None`` if it cannot be placed)."""

    course: Course
    after_session: int
    anchor: Appointment | None
    moves: list[tuple[Appointment, AvailableSlot | None]]
    feasible: bool
    search: SiteSearch | None = None


def course_replan_preview(*, course: Course, after_session: int) -> CourseReplan:
    """Re-plan the booked sessions after ``after_session`` from the actual day of the last
    active session up to it (the anchor), with the planner's rules and preferences (the
    anchor's practitioner and time of day). Nothing is written."""
    active = list(
        selectors.appointment_queryset()
        .filter(course=course, status__in=ACTIVE_STATUSES)
        .exclude(session_number=None)
        .order_by("session_number", "pk")
    )
    now = clock.now()
    anchor = next((a for a in reversed(active) if (a.session_number or 0) <= after_session), None)
    later = [
        a
        for a in active
        if (a.session_number or 0) > after_session
        and a.status == AppointmentStatus.BOOKED
        and a.start > now
    ]
    if anchor is None or not later:
        return CourseReplan(course, after_session, anchor, [(a, None) for a in later], not later)
    site = anchor.site
    tz = site.tzinfo
    rules = expand_phases(
        protocol_phase_rules(
            protocol=course.protocol, client=course.client, treatment=course.treatment
        ),
        sessions=max(a.session_number or 0 for a in later),
    )
    sub_rules = tuple(rules[(a.session_number or 1) - 1] for a in later)
    local = anchor.start.astimezone(tz)
    minute = local.hour * 60 + local.minute
    preferences = CoursePreferences(
        swelling_expected=course.treatment.swelling_expected,
        earliest_minute=minute,
        latest_minute=minute,
        preferred_practitioner=anchor.practitioner.code,
    )
    anchor_day = local.date()
    request = CourseRequest(
        start_day=anchor_day.toordinal(), sessions=sub_rules, preferences=preferences
    )
    date_to = dt.date.fromordinal(request.latest_possible_day())
    search = selectors.site_search(
        treatment=course.treatment,
        site=site,
        date_from=anchor_day + dt.timedelta(days=1),
        date_to=date_to,
        formulation=later[0].formulation,
        exclude_appointment_ids=[a.pk for a in later],
        not_before=now,
    )
    calendar = CourseCalendar.from_grid(search.grid)
    if course.treatment.contains_toxin:
        from mesoclinic.safety.policy import screening_config

        interval = screening_config().toxin_interval_days
        calendar = _toxin_free(calendar, toxin_days(course.client, exclude_course=course), interval)
    plan = plan_course(request, calendar)
    moves = [
        (appointment, search.available(session.option.slot) if session.option else None)
        for appointment, session in zip(later, plan.sessions, strict=True)
    ]
    return CourseReplan(course, after_session, anchor, moves, plan.feasible, search)
