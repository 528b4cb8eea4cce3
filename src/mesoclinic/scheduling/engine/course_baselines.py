"""Baselines for the course planner: greedy booking and brute force.

``greedy_plan_course`` books each session at the first option on or after its target,
ignoring later sessions, as a receptionist working down the list would; it can fail where
a course exists.  ``brute_force_plan_course`` tries every combination; it is exponential
and only meant as the test oracle for ``plan_course`` on small calendars.
"""

from __future__ import annotations

from .course_model import (
    CostModel,
    CourseCalendar,
    CourseOption,
    CoursePlan,
    CourseRequest,
    build_plan,
)


def greedy_plan_course(request: CourseRequest, calendar: CourseCalendar) -> CoursePlan:
    """Place each session on the first option at or after its target (within its
    window), session by session, never revisiting a choice."""
    chosen: list[CourseOption] = []
    anchor = request.start_day
    for rule in request.sessions:
        earliest, target, latest = rule.window(anchor)
        option = next(
            (
                options[0]
                for day in range(max(earliest, target), latest + 1)
                if (options := calendar.options_on(day))
            ),
            None,
        )
        if option is None:
            break
        chosen.append(option)
        anchor = option.day
    return build_plan(request, chosen)


def brute_force_plan_course(request: CourseRequest, calendar: CourseCalendar) -> CoursePlan:
    """The cheapest course by exhaustive search; when none fits, the cheapest placement
    of the longest feasible prefix.  Exponential: small calendars only."""
    model = CostModel.for_request(request)
    best: dict[int, tuple[int, list[CourseOption]]] = {}

    def explore(path: list[CourseOption], cost: int) -> None:
        depth = len(path)
        if depth not in best or cost < best[depth][0]:
            best[depth] = (cost, list(path))
        if depth == len(request.sessions):
            return
        previous = path[-1] if path else None
        anchor = request.start_day if previous is None else previous.day
        earliest, _, latest = request.sessions[depth].window(anchor)
        for day in range(earliest, latest + 1):
            for option in calendar.options_on(day):
                path.append(option)
                explore(path, cost + model.session_cost(depth, previous, option))
                path.pop()

    explore([], 0)
    return build_plan(request, best[max(best)][1])


__all__ = ["brute_force_plan_course", "greedy_plan_course"]
