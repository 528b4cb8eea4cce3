"""The pure scheduling engine: availability search and course planning.

Plain Python over integers and frozen dataclasses, no Django.  The shell loads, with one
query, the busy intervals of the requested window, converts aware datetimes to integer
minutes since the Unix epoch (UTC) and local days to opening intervals (so DST is the
shell's business), then calls:

* ``find_slots(AvailabilityQuery) -> list[Slot]`` (or ``compute_availability`` for the
  array form, e.g. to feed ``CourseCalendar.from_grid``);
* ``plan_course(CourseRequest, CourseCalendar) -> CoursePlan``.

``naive_find_slots``, ``greedy_plan_course`` and ``brute_force_plan_course`` are the
baselines and test oracles.
"""

from .availability import (
    AvailabilityGrid,
    AvailabilityQuery,
    CandidateCells,
    Lounge,
    OpenInterval,
    PractitionerCalendar,
    Resource,
    Slot,
    SlotTable,
    TreatmentTiming,
    compute_availability,
    find_slots,
)
from .course_baselines import brute_force_plan_course, greedy_plan_course
from .course_model import (
    CostModel,
    CourseCalendar,
    CourseOption,
    CoursePlan,
    CoursePreferences,
    CourseRequest,
    PhaseRule,
    PlannedSession,
    PlanWeights,
    SessionRule,
    expand_phases,
    weekday_of,
)
from .course_planner import plan_course
from .intervals import Interval, subtract
from .reference import naive_find_slots

__all__ = [
    "AvailabilityGrid",
    "AvailabilityQuery",
    "CandidateCells",
    "CostModel",
    "CourseCalendar",
    "CourseOption",
    "CoursePlan",
    "CoursePreferences",
    "CourseRequest",
    "Interval",
    "Lounge",
    "OpenInterval",
    "PhaseRule",
    "PlanWeights",
    "PlannedSession",
    "PractitionerCalendar",
    "Resource",
    "SessionRule",
    "Slot",
    "SlotTable",
    "TreatmentTiming",
    "brute_force_plan_course",
    "compute_availability",
    "expand_phases",
    "find_slots",
    "greedy_plan_course",
    "naive_find_slots",
    "plan_course",
    "subtract",
    "weekday_of",
]
