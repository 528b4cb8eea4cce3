"""W3: book a 10-session ``meso-standard`` course — fixed practitioner and best of all
qualified — on real calendars, plus the planner's exactness and what greedy booking misses.

1. **Real calendars** (the benchmark database, face-revitalise, 20 start dates over the
   next four weeks): for each start date the ~215-day availability window is loaded once
   (``bench.calendars``); then, timed per course,
   * ``plan`` — ``plan_course`` on a fresh lazy ``CourseCalendar.from_grid`` (the planner
     alone, days materialised on demand);
   * ``engine`` — ``compute_availability`` over the window + ``plan_course`` (the whole
     pure engine for one course; the headline p50/p95/p99), with busy time passed as
     arrays, as the selector passes it;
   * ``selector`` — ``scheduling.planning.course_plan`` end to end (queries included);
   * baseline: ``greedy_plan_course`` on the same calendars (time and courses found).
2. **Exactness** on small random calendars: ``plan_course`` against
   ``brute_force_plan_course`` (5 sessions of meso-standard, 1–2 options per day): courses
   found, courses that exist, and any cost mismatch.
3. **Greedy misses** at about 70 % and 85 % occupancy: synthetic fixed-practitioner
   calendars for the full 10 sessions, Sundays closed, 8 acceptable times a day; each
   day's load is drawn from a Beta distribution with that mean (busy clinics fill whole
   days: about 20 % / 46 % of days are full) and each time is taken with that probability.
   The DP is exact (part 2), so its feasible count is the number of courses that exist.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from functools import partial
from typing import Any

from bench.calendars import site_calendar, treatment_query
from bench.dataset import SITE_CODE, DatasetInfo
from bench.env import BenchTarget
from bench.report import latency_figures, write_result

TREATMENT = "face-revitalise"
FIXED_PRACTITIONER = "bench-p05"
START_DATES = 20
SEED = 31
MESO_STANDARD = (  # (name, count, gap, tolerance) as in domain.md §2
    ("weekly", 4, 7, 1),
    ("fortnightly", 2, 14, 2),
    ("monthly", 4, 28, 3),
    ("maintenance", None, 91, 7),
)


def _phases() -> list[Any]:
    from mesoclinic.scheduling.engine import PhaseRule

    return [PhaseRule.around(*phase) for phase in MESO_STANDARD]


def _timed(call: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call(*args)
    return (time.perf_counter() - started) * 1000, value


def _plan_on_grid(planner: Any, request: Any, grid: Any) -> Any:
    """A planner on a fresh lazy calendar over an already computed grid."""
    from mesoclinic.scheduling.engine import CourseCalendar

    return planner(request, CourseCalendar.from_grid(grid))


def _plan_from_query(request: Any, query: Any) -> Any:
    """The whole pure engine for one course: availability search, then the DP."""
    from mesoclinic.scheduling.engine import CourseCalendar, compute_availability, plan_course

    return plan_course(request, CourseCalendar.from_grid(compute_availability(query)))


def real_calendars(info: DatasetInfo, *, quick: bool) -> dict[str, Any]:
    """Part 1: planner timings on calendars loaded from the benchmark database."""
    import gc

    from mesoclinic.core import clock
    from mesoclinic.scheduling.engine import (
        CourseCalendar,
        CourseRequest,
        compute_availability,
        expand_phases,
        greedy_plan_course,
        plan_course,
    )
    from mesoclinic.scheduling.selectors import buffer_minutes

    rules = expand_phases(_phases(), first_session_horizon_days=28)
    first_start = max(clock.today(), info.anchor_date) + dt.timedelta(days=1)
    starts = [first_start + dt.timedelta(days=n) for n in range(START_DATES)]
    repeat = 3 if quick else 10
    results: dict[str, Any] = {}
    for mode, practitioner in (("fixed", FIXED_PRACTITIONER), ("best_of_all", None)):
        plan_ms: list[float] = []
        engine_ms: list[float] = []
        greedy_ms: list[float] = []
        found = greedy_found = 0
        for start in starts:
            request = CourseRequest(start_day=start.toordinal(), sessions=rules)
            last = dt.date.fromordinal(request.latest_possible_day())
            calendar = site_calendar(SITE_CODE, sorted({start.year, last.year}))
            query = treatment_query(
                calendar,
                TREATMENT,
                start,
                last,
                practitioner=practitioner,
                buffer_minutes=buffer_minutes(),
            ).with_busy_arrays()
            grid = compute_availability(query)
            plan = plan_course(request, CourseCalendar.from_grid(grid))
            greedy = greedy_plan_course(request, CourseCalendar.from_grid(grid))
            found += plan.feasible
            greedy_found += greedy.feasible
            for _ in range(repeat):
                gc.collect()
                plan_ms.append(_timed(_plan_on_grid, plan_course, request, grid)[0])
                engine_ms.append(_timed(_plan_from_query, request, query)[0])
                greedy_ms.append(_timed(_plan_on_grid, greedy_plan_course, request, grid)[0])
        results[mode] = {
            "engine": latency_figures(engine_ms),
            "plan_only": latency_figures(plan_ms),
            "greedy": latency_figures(greedy_ms),
            "courses_requested": len(starts),
            "courses_found": found,
            "greedy_found": greedy_found,
            "window_days": (
                dt.date.fromordinal(
                    CourseRequest(
                        start_day=starts[0].toordinal(), sessions=rules
                    ).latest_possible_day()
                )
                - starts[0]
            ).days
            + 1,
        }
        try:
            results[mode]["selector"] = _selector_figures(starts, practitioner, quick=quick)
        except ImportError as error:
            results[mode]["selector"] = {"pending": str(error)}
    return results


def _selector_figures(
    starts: list[dt.date], practitioner_code: str | None, *, quick: bool
) -> dict[str, Any]:
    """``course_plan`` end to end (database queries + engine) for the same start dates."""
    import gc

    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.people.models import Client, Practitioner, Site
    from mesoclinic.scheduling.planning import course_plan

    site = Site.objects.get(code=SITE_CODE)
    treatment = Treatment.objects.select_related("default_protocol").get(code=TREATMENT)
    client = Client.objects.filter(home_site=site).order_by("pk").first()
    assert client is not None
    practitioner = Practitioner.objects.get(code=practitioner_code) if practitioner_code else None
    samples: list[float] = []
    feasible = 0
    for start in starts[: 10 if quick else len(starts)]:
        for attempt in range(2 if quick else 4):
            gc.collect()
            elapsed, plan = _timed(
                partial(
                    course_plan,
                    client=client,
                    treatment=treatment,
                    start_date=start,
                    practitioner=practitioner,
                    site=site,
                )
            )
            if attempt:  # the first call per start date warms caches
                samples.append(elapsed)
            else:
                feasible += plan.feasible
    return {**latency_figures(samples), "courses_found": feasible}


def _plan_on_options(planner: Any, request: Any, options: Any) -> Any:
    from mesoclinic.scheduling.engine import CourseCalendar

    return planner(request, CourseCalendar.from_options(options))


def exactness(*, quick: bool) -> dict[str, Any]:
    """Part 2: the DP against brute force on small random calendars."""
    from mesoclinic.scheduling.engine import (
        CourseCalendar,
        CourseOption,
        CourseRequest,
        Slot,
        brute_force_plan_course,
        expand_phases,
        greedy_plan_course,
        plan_course,
    )

    rng = random.Random(SEED)
    rules = expand_phases(_phases(), sessions=5, first_session_horizon_days=6)
    requested = found = feasible = mismatches = greedy_found = 0
    base = dt.date(2027, 3, 1).toordinal()
    dp_ms: list[float] = []
    brute_ms: list[float] = []
    for _ in range(100 if quick else 300):
        busy = rng.uniform(0.3, 0.8)
        options: list[CourseOption] = []
        for day in range(base, base + 60):
            if rng.random() < busy:
                continue
            for _ in range(rng.randint(1, 2)):
                minute = rng.choice((540, 600, 660, 840, 900))
                start = day * 1440 + minute
                practitioner = rng.choice(("a", "b"))
                slot = Slot(start, start, start + 30, practitioner, "room", None)
                options.append(CourseOption(day, minute, slot))
        calendar_options = list(
            {(o.day, o.minute_of_day, o.practitioner): o for o in options}.values()
        )
        request = CourseRequest(start_day=base, sessions=rules)
        elapsed, plan = _timed(_plan_on_options, plan_course, request, calendar_options)
        dp_ms.append(elapsed)
        elapsed, brute = _timed(
            _plan_on_options, brute_force_plan_course, request, calendar_options
        )
        brute_ms.append(elapsed)
        greedy = greedy_plan_course(request, CourseCalendar.from_options(calendar_options))
        requested += 1
        found += plan.feasible
        feasible += brute.feasible
        greedy_found += greedy.feasible
        if plan.feasible != brute.feasible or (
            plan.feasible and plan.total_cost != brute.total_cost
        ):
            mismatches += 1
    return {
        "sessions": len(rules),
        "courses_requested": requested,
        "courses_found": found,
        "courses_feasible": feasible,
        "cost_mismatches": mismatches,
        "greedy_found": greedy_found,
        "dp": latency_figures(dp_ms),
        "brute_force": latency_figures(brute_ms),
    }


def greedy_misses(occupancy: float, *, courses: int) -> dict[str, Any]:
    """Part 3: courses that exist, found by the DP and by greedy, at one occupancy."""
    from mesoclinic.scheduling.engine import (
        CourseCalendar,
        CourseOption,
        CourseRequest,
        Slot,
        expand_phases,
        greedy_plan_course,
        plan_course,
    )

    rng = random.Random(SEED + int(occupancy * 100))
    rules = expand_phases(_phases(), first_session_horizon_days=28)
    concentration = 4.0
    alpha, beta = occupancy * concentration, (1 - occupancy) * concentration
    times = (540, 600, 660, 720, 840, 900, 960, 1020)
    found = greedy_found = 0
    full_days = total_days = 0
    for _ in range(courses):
        base = dt.date(2027, 1, 4).toordinal() + rng.randrange(7)
        options: list[CourseOption] = []
        for day in range(base, base + 260):
            if (day + 6) % 7 == 6:  # Sunday: closed
                continue
            load = rng.betavariate(alpha, beta)
            free = [minute for minute in times if rng.random() >= load]
            total_days += 1
            full_days += not free
            for minute in free:
                start = day * 1440 + minute
                options.append(
                    CourseOption(day, minute, Slot(start, start, start + 30, "p", "r", None))
                )
        request = CourseRequest(start_day=base, sessions=rules)
        found += plan_course(request, CourseCalendar.from_options(options)).feasible
        greedy_found += greedy_plan_course(request, CourseCalendar.from_options(options)).feasible
    return {
        "occupancy": occupancy,
        "full_day_share": round(full_days / total_days, 3),
        "courses_requested": courses,
        "courses_found": found,
        "courses_feasible": found,
        "greedy_found": greedy_found,
        "greedy_missed": found - greedy_found,
    }


def run(target: BenchTarget, info: DatasetInfo, *, quick: bool = False) -> dict[str, Any]:
    """Measure W3 on the target and write ``bench/results/W3[...].json``."""
    started = time.perf_counter()
    real = real_calendars(info, quick=quick)
    exact = exactness(quick=quick)
    misses = [greedy_misses(share, courses=100 if quick else 300) for share in (0.70, 0.85)]
    fixed, best = real["fixed"], real["best_of_all"]
    figures: dict[str, Any] = {
        "p50_ms": fixed["engine"]["p50_ms"],
        "p95_ms": fixed["engine"]["p95_ms"],
        "p99_ms": fixed["engine"]["p99_ms"],
        "best_of_all_p50_ms": best["engine"]["p50_ms"],
        "best_of_all_p95_ms": best["engine"]["p95_ms"],
        "best_of_all_p99_ms": best["engine"]["p99_ms"],
        "courses_requested": exact["courses_requested"],
        "courses_found": exact["courses_found"],
        "courses_feasible": exact["courses_feasible"],
        "greedy_found": exact["greedy_found"],
        "real_calendars": real,
        "exactness": exact,
        "greedy_misses": misses,
        "appointments_in_database": info.appointments,
        "seconds": round(time.perf_counter() - started, 1),
    }
    baseline = {
        "algorithm": "greedy_plan_course (first option at or after each target)",
        "p50_ms": fixed["greedy"]["p50_ms"],
        "p95_ms": fixed["greedy"]["p95_ms"],
        "p99_ms": fixed["greedy"]["p99_ms"],
        "courses_requested": exact["courses_requested"],
        "courses_found": exact["greedy_found"],
        "greedy_found_real_fixed": fixed["greedy_found"],
        "greedy_found_real_best_of_all": best["greedy_found"],
        "greedy_missed_at_70": misses[0]["greedy_missed"],
        "greedy_missed_at_85": misses[1]["greedy_missed"],
    }
    return write_result(
        "W3",
        database=target.database,
        figures=figures,
        baseline=baseline,
        suffix=target.result_suffix,
    )
