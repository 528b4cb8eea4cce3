"""Reads that plan: whole courses (``course_plan``), re-plans after an absence
(``absence_replan_preview``) and of the rest of a course (``course_replan_preview``).
Nothing here writes; ``services`` books what is planned.

Split by concern: ``courses`` (the planner, its wishes, phases and price),
``absence_replan`` (what an absence hits and where each appointment could go; a course
session's window) and ``course_replan``. Every public name is importable from here
(``planning.course_plan``).
"""

from __future__ import annotations

from mesoclinic.scheduling.planning.absence_replan import (
    REPLAN_WINDOW_DAYS,
    ReplanPhone,
    ReplanPreview,
    ReplanProposal,
    SessionWindow,
    absence_replan_preview,
    affected_appointments,
    appointments_during,
    course_session_window,
    day_in_words,
)
from mesoclinic.scheduling.planning.course_replan import CourseReplan, course_replan_preview
from mesoclinic.scheduling.planning.courses import (
    FIRST_SESSION_HORIZON_DAYS,
    FRIDAY,
    MAX_COURSE_SESSIONS,
    TIMES_OF_DAY,
    CoursePlanResult,
    CourseWishes,
    PlannedCourseSession,
    course_plan,
    course_price,
    protocol_phase_rules,
    slot_names,
    time_of_day_window,
    toxin_days,
)

__all__ = [
    "FIRST_SESSION_HORIZON_DAYS",
    "FRIDAY",
    "MAX_COURSE_SESSIONS",
    "REPLAN_WINDOW_DAYS",
    "TIMES_OF_DAY",
    "CoursePlanResult",
    "CourseReplan",
    "CourseWishes",
    "PlannedCourseSession",
    "ReplanPhone",
    "ReplanPreview",
    "ReplanProposal",
    "SessionWindow",
    "absence_replan_preview",
    "affected_appointments",
    "appointments_during",
    "course_plan",
    "course_price",
    "course_replan_preview",
    "course_session_window",
    "day_in_words",
    "protocol_phase_rules",
    "slot_names",
    "time_of_day_window",
    "toxin_days",
]
