"""Tests of the pure course planner (no Django): examples plus Hypothesis properties."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.scheduling.engine import (
    AvailabilityQuery,
    CostModel,
    CourseCalendar,
    CourseOption,
    CoursePlan,
    CoursePreferences,
    CourseRequest,
    OpenInterval,
    PhaseRule,
    PlanWeights,
    PractitionerCalendar,
    Resource,
    SessionRule,
    Slot,
    TreatmentTiming,
    brute_force_plan_course,
    compute_availability,
    course_planner,
    expand_phases,
    greedy_plan_course,
    plan_course,
    weekday_of,
)

MONDAY = date(2027, 3, 1).toordinal()
EPOCH_DAY = date(1970, 1, 1).toordinal()
FRIDAY, THURSDAY, WEDNESDAY = 4, 3, 2
MESO_STANDARD = (
    PhaseRule.around("weekly", 4, 7, 1),
    PhaseRule.around("fortnightly", 2, 14, 2),
    PhaseRule.around("monthly", 4, 28, 3),
    PhaseRule.around("maintenance", None, 91, 7),
)


def option(day: int, minute: int = 600, practitioner: str = "dr-a") -> CourseOption:
    """An option on day ``MONDAY + day`` at local ``minute`` (UTC clinic)."""
    start = (MONDAY + day - EPOCH_DAY) * 1440 + minute
    return CourseOption(
        MONDAY + day, minute, Slot(start, start + 30, start + 60, practitioner, "room-1", None)
    )


def every_day(days: int, minute: int = 600, practitioner: str = "dr-a") -> list[CourseOption]:
    return [option(day, minute, practitioner) for day in range(days)]


def follow_ups(*windows: tuple[int, int, int]) -> tuple[SessionRule, ...]:
    """Session 1 on the start day or up to 3 days later, then (gap, min, max) windows."""
    first = SessionRule("first", 0, 0, 3)
    return (first, *(SessionRule("next", gap, low, high) for gap, low, high in windows))


def request(
    sessions: tuple[SessionRule, ...], preferences: CoursePreferences | None = None, start: int = 0
) -> CourseRequest:
    return CourseRequest(MONDAY + start, sessions, preferences or CoursePreferences())


def chosen(plan: CoursePlan) -> list[tuple[int, int, str]]:
    """(day after MONDAY, minute of day, practitioner) per placed session."""
    return [
        (choice.day - MONDAY, choice.minute_of_day, choice.practitioner) for choice in plan.options
    ]


# --- protocols --------------------------------------------------------------------------


def test_meso_standard_expands_to_ten_sessions_with_each_phase_window():
    # given the meso-standard phases

    # when
    sessions = expand_phases(MESO_STANDARD)

    # then
    assert sessions == (
        SessionRule("weekly", 0, 0, 28),
        *[SessionRule("weekly", 7, 6, 8)] * 3,
        *[SessionRule("fortnightly", 14, 12, 16)] * 2,
        *[SessionRule("monthly", 28, 25, 31)] * 4,
    )


def test_open_ended_maintenance_fills_the_requested_number_of_sessions():
    # given

    # when
    sessions = expand_phases(MESO_STANDARD, sessions=12, first_session_horizon_days=14)

    # then
    assert len(sessions) == 12
    assert sessions[0] == SessionRule("weekly", 0, 0, 14)
    assert sessions[10:] == (SessionRule("maintenance", 91, 84, 98),) * 2


def test_requested_sessions_truncate_the_protocol():
    # given

    # when
    sessions = expand_phases(MESO_STANDARD, sessions=3)

    # then
    assert [session.phase for session in sessions] == ["weekly"] * 3


def test_phase_windows_may_be_asymmetric():
    # given toxin-quarterly: at least 84 days apart, target 91, up to 14 days late
    toxin = PhaseRule("toxin-quarterly", None, 91, 84, 105)

    # when
    sessions = expand_phases([toxin], sessions=3)

    # then
    assert sessions[1:] == (SessionRule("toxin-quarterly", 91, 84, 105),) * 2
    assert sessions[1].window(MONDAY) == (MONDAY + 84, MONDAY + 91, MONDAY + 105)


def test_course_calendar_keeps_one_option_per_practitioner_and_time_of_day():
    # given a duplicated option and two practitioners on one day
    calendar = CourseCalendar.from_options(
        [
            option(0, 600, "dr-b"),
            option(0, 540, "dr-a"),
            option(0, 600, "dr-b"),
            option(0, 600, "dr-a"),
        ]
    )

    # when
    options = calendar.options_on(MONDAY)

    # then
    assert [(choice.minute_of_day, choice.practitioner) for choice in options] == [
        (540, "dr-a"),
        (600, "dr-b"),
        (600, "dr-a"),
    ]
    assert calendar.practitioners_on(MONDAY) == ("dr-a", "dr-b")
    assert calendar.options_of(MONDAY, "dr-b") == (option(0, 600, "dr-b"),)
    assert calendar.options_on(MONDAY + 1) == ()
    assert calendar.practitioners_on(MONDAY + 1) == ()


# --- placing sessions -------------------------------------------------------------------


def test_meso_standard_on_an_open_calendar_keeps_every_session_on_target():
    # given one option every day for half a year
    calendar = CourseCalendar.from_options(every_day(200))

    # when
    plan = plan_course(request(expand_phases(MESO_STANDARD)), calendar)

    # then
    assert plan.feasible
    assert plan.total_cost == 0
    assert [day for day, _, _ in chosen(plan)] == [0, 7, 14, 21, 35, 49, 77, 105, 133, 161]
    assert [session.target_day - MONDAY for session in plan.sessions] == [
        0,
        7,
        14,
        21,
        35,
        49,
        77,
        105,
        133,
        161,
    ]


def test_first_session_is_the_earliest_bookable_day_on_or_after_the_start():
    # given nothing bookable before Wednesday
    calendar = CourseCalendar.from_options([option(day) for day in range(2, 20)])

    # when
    plan = plan_course(request(follow_ups((7, 6, 8))), calendar)

    # then
    assert chosen(plan) == [(2, 600, "dr-a"), (9, 600, "dr-a")]
    assert plan.total_cost == 2 * PlanWeights().first_session_delay_per_day


def test_first_session_moves_to_the_next_day_when_no_course_starts_on_the_earliest():
    # given session 2 exactly 7 days later; day 7 is full but day 8 is free
    calendar = CourseCalendar.from_options([option(0), option(1), option(8)])

    # when
    plan = plan_course(request(follow_ups((7, 7, 7))), calendar)

    # then
    assert chosen(plan) == [(1, 600, "dr-a"), (8, 600, "dr-a")]


def test_infeasible_course_names_the_first_session_that_cannot_be_placed():
    # given only days 0 and 7 bookable for a four-session weekly course
    calendar = CourseCalendar.from_options([option(0), option(7)])
    sessions = follow_ups((7, 6, 8), (7, 6, 8), (7, 6, 8))

    # when
    plan = plan_course(request(sessions), calendar)

    # then
    assert not plan.feasible
    assert plan.failed_session == 3
    assert chosen(plan) == [(0, 600, "dr-a"), (7, 600, "dr-a")]
    assert [
        (s.number, s.target_day - MONDAY, s.earliest_day - MONDAY, s.latest_day - MONDAY)
        for s in plan.sessions
    ] == [
        (1, 0, 0, 3),
        (2, 7, 6, 8),
        (3, 14, 13, 15),
        (4, 21, 20, 22),
    ]
    assert [session.option is None for session in plan.sessions] == [False, False, True, True]


def test_course_with_no_bookable_day_fails_at_the_first_session():
    # given an empty calendar
    calendar = CourseCalendar.from_options([])

    # when
    plan = plan_course(request(follow_ups((7, 6, 8))), calendar)

    # then
    assert plan == CoursePlan(
        feasible=False,
        sessions=plan.sessions,
        total_cost=0,
        failed_session=1,
    )
    assert all(session.option is None for session in plan.sessions)


def test_course_without_sessions_is_trivially_feasible():
    # given
    calendar = CourseCalendar.from_options(every_day(5))

    # when
    plan = plan_course(request(()), calendar)

    # then
    assert plan == CoursePlan(feasible=True, sessions=(), total_cost=0)


def test_greedy_booking_misses_a_course_the_planner_finds():
    # given weekly sessions (7 ± 1) and only days 0, 6, 7 and 12 bookable
    calendar = CourseCalendar.from_options([option(0), option(6), option(7), option(12)])
    sessions = follow_ups((7, 6, 8), (7, 6, 8))

    # when
    greedy = greedy_plan_course(request(sessions), calendar)
    planned = plan_course(request(sessions), calendar)

    # then greedy takes the on-target day 7 and then finds nothing in 13-15
    assert (greedy.feasible, greedy.failed_session, chosen(greedy)) == (
        False,
        3,
        [(0, 600, "dr-a"), (7, 600, "dr-a")],
    )
    assert planned.feasible
    assert chosen(planned) == [(0, 600, "dr-a"), (6, 600, "dr-a"), (12, 600, "dr-a")]
    assert planned.total_cost == 2 * PlanWeights().deviation_per_day


def test_total_cost_adds_deviation_practitioner_change_and_time_shift():
    # given session 2 only possible a day late, with another practitioner, 30 minutes later
    calendar = CourseCalendar.from_options([option(0, 600, "dr-a"), option(8, 630, "dr-b")])

    # when
    plan = plan_course(request(follow_ups((7, 6, 8))), calendar)

    # then
    weights = PlanWeights()
    assert (
        plan.total_cost
        == weights.deviation_per_day
        + weights.practitioner_change
        + 30 * weights.time_shift_per_minute
    )
    assert plan.total_cost == CostModel.for_request(request(follow_ups((7, 6, 8)))).course_cost(
        plan.options
    )


# --- preferences ------------------------------------------------------------------------


def test_swelling_expected_prefers_a_friday_inside_the_window():
    # given fat-dissolving sessions 28-56 days apart (target 42) and every day bookable
    sessions = follow_ups((42, 28, 56))
    calendar = CourseCalendar.from_options(every_day(120))

    # when
    plain = plan_course(request(sessions), calendar)
    swelling = plan_course(request(sessions, CoursePreferences(swelling_expected=True)), calendar)

    # then the Monday target moves to the nearest Friday, three days early
    assert [day for day, _, _ in chosen(plain)] == [0, 42]
    assert [day for day, _, _ in chosen(swelling)] == [0, 39]
    assert weekday_of(swelling.options[1].day) == FRIDAY


def test_swelling_falls_back_to_the_latest_weekday_before_the_weekend():
    # given a weekly session targeting Tuesday (window Monday-Wednesday, no Friday)
    sessions = follow_ups((7, 6, 8))
    calendar = CourseCalendar.from_options(every_day(20))

    # when
    plan = plan_course(
        request(sessions, CoursePreferences(swelling_expected=True), start=1), calendar
    )

    # then
    assert weekday_of(plan.options[1].day) == WEDNESDAY
    assert [day for day, _, _ in chosen(plan)] == [1, 9]


def test_swelling_preference_follows_the_clients_weekend():
    # given a client whose weekend is Friday and Saturday; the window holds Thursday and Friday
    sessions = follow_ups((7, 4, 10))
    calendar = CourseCalendar.from_options(every_day(20))
    preferences = CoursePreferences(swelling_expected=True, weekend_days=frozenset({4, 5}))

    # when
    plan = plan_course(request(sessions, preferences), calendar)

    # then
    assert weekday_of(plan.options[1].day) == THURSDAY


def test_one_practitioner_is_kept_throughout_the_course():
    # given dr-a alone on day 0, then dr-b listed before dr-a on the later days
    options = [option(0, 600, "dr-a")]
    for day in (7, 14):
        options += [option(day, 600, "dr-b"), option(day, 600, "dr-a")]
    calendar = CourseCalendar.from_options(options)

    # when
    plan = plan_course(request(follow_ups((7, 6, 8), (7, 6, 8))), calendar)

    # then
    assert [practitioner for _, _, practitioner in chosen(plan)] == ["dr-a"] * 3
    assert plan.total_cost == 0


def test_a_day_of_deviation_outweighs_a_change_of_practitioner():
    # given dr-a only a day late and dr-b on target
    calendar = CourseCalendar.from_options(
        [option(0, 600, "dr-a"), option(7, 600, "dr-b"), option(8, 600, "dr-a")]
    )

    # when
    plan = plan_course(request(follow_ups((7, 6, 8))), calendar)

    # then
    assert chosen(plan)[1] == (7, 600, "dr-b")


def test_same_time_of_day_is_preferred():
    # given the first session at 14:00 and the target day offering 09:00 and 14:30
    calendar = CourseCalendar.from_options([option(0, 840), option(7, 540), option(7, 870)])

    # when
    plan = plan_course(request(follow_ups((7, 6, 8))), calendar)

    # then
    assert chosen(plan) == [(0, 840, "dr-a"), (7, 870, "dr-a")]


def test_first_session_time_is_chosen_to_match_the_later_sessions():
    # given a 09:00 or a 15:00 first session, and only 14:00 a week later
    calendar = CourseCalendar.from_options([option(0, 540), option(0, 900), option(7, 840)])

    # when
    plan = plan_course(request(follow_ups((7, 6, 8))), calendar)

    # then
    assert chosen(plan) == [(0, 900, "dr-a"), (7, 840, "dr-a")]
    assert plan.total_cost == 60 * PlanWeights().time_shift_per_minute


def test_client_hours_and_preferred_practitioner_steer_the_choice():
    # given a 09:00 with dr-a and a 17:00 with dr-b; the client wants evenings and dr-b
    calendar = CourseCalendar.from_options([option(0, 540, "dr-a"), option(0, 1020, "dr-b")])
    evenings = CoursePreferences(earliest_minute=16 * 60)
    with_dr_b = CoursePreferences(preferred_practitioner="dr-b")

    # when
    by_hours = plan_course(request(follow_ups(), evenings), calendar)
    by_practitioner = plan_course(request(follow_ups(), with_dr_b), calendar)
    no_preference = plan_course(request(follow_ups()), calendar)

    # then
    assert chosen(by_hours) == [(0, 1020, "dr-b")]
    assert chosen(by_practitioner) == [(0, 1020, "dr-b")]
    assert chosen(no_preference) == [(0, 540, "dr-a")]


def test_disallowed_weekday_breaks_the_tie_between_equally_late_days():
    # given the Monday target is full; Sunday and Tuesday are each a day off target
    calendar = CourseCalendar.from_options([option(0), option(6), option(8)])
    no_sundays = CoursePreferences(allowed_weekdays=frozenset({0, 1, 2, 3, 4, 5}))

    # when
    plain = plan_course(request(follow_ups((7, 6, 8))), calendar)
    avoiding_sunday = plan_course(request(follow_ups((7, 6, 8)), no_sundays), calendar)

    # then
    assert [day for day, _, _ in chosen(plain)] == [0, 6]
    assert [day for day, _, _ in chosen(avoiding_sunday)] == [0, 8]


def test_weekday_preference_outweighs_deviation_only_when_weighted_so():
    # given a client who would rather not come on Tuesdays and a Tuesday target
    calendar = CourseCalendar.from_options(every_day(20))
    no_tuesdays = CoursePreferences(allowed_weekdays=frozenset({0, 2, 3, 4, 5, 6}))
    sessions = follow_ups((7, 6, 8))
    strict = PlanWeights(weekday_not_allowed=5_000)

    # when
    default = plan_course(CourseRequest(MONDAY + 1, sessions, no_tuesdays), calendar)
    weighted = plan_course(CourseRequest(MONDAY + 1, sessions, no_tuesdays, strict), calendar)

    # then a day of deviation (1,000) costs more than a disallowed weekday (600) by default
    assert [day for day, _, _ in chosen(default)] == [1, 8]
    assert [day for day, _, _ in chosen(weighted)] == [1, 7]


def test_planner_uses_a_calendar_built_from_an_availability_search():
    # given a practitioner working 09:00-11:00 UTC on weekdays, local time UTC+1
    opens = []
    for day in range(14):
        start = (MONDAY + day - EPOCH_DAY) * 1440 + 9 * 60
        if weekday_of(MONDAY + day) < 5:
            opens.append(OpenInterval(start, start + 120, MONDAY + day, 600))
    query = AvailabilityQuery(
        timing=TreatmentTiming(30, numbing_minutes=30),
        open_intervals=opens,
        practitioners=[PractitionerCalendar("dr-a", [(o.start, o.end) for o in opens])],
        rooms=[Resource("room-1")],
        grid_minutes=30,
    )
    calendar = CourseCalendar.from_grid(compute_availability(query))

    # when
    plan = plan_course(request(follow_ups((7, 6, 8)), start=-1), calendar)

    # then the Sunday start moves to Monday 10:00 local, the next one a week later
    assert chosen(plan) == [(0, 600, "dr-a"), (7, 600, "dr-a")]
    assert plan.options[0].slot.start == opens[0].start


# --- properties -------------------------------------------------------------------------

PRACTITIONERS = ("dr-a", "dr-b", "dr-c")


@st.composite
def course_problems(draw: st.DrawFn) -> tuple[CourseRequest, list[CourseOption]]:
    """Small calendars (0-2 options a day for 5 weeks) and 1-4 session courses."""
    practitioners = PRACTITIONERS[: draw(st.integers(1, 3))]
    options = [
        option(
            day,
            draw(st.sampled_from([540, 600, 615, 840, 1020])),
            draw(st.sampled_from(practitioners)),
        )
        for day in range(-2, 36)
        for _ in range(draw(st.integers(0, 2)))
    ]
    sessions = [SessionRule("first", 0, 0, draw(st.integers(0, 4)))]
    for _ in range(draw(st.integers(0, 3))):
        gap = draw(st.integers(2, 9))
        sessions.append(
            SessionRule("next", gap, gap - draw(st.integers(0, 2)), gap + draw(st.integers(0, 2)))
        )
    preferences = CoursePreferences(
        swelling_expected=draw(st.booleans()),
        weekend_days=draw(st.sampled_from([frozenset({5, 6}), frozenset({4, 5}), frozenset()])),
        allowed_weekdays=draw(st.none() | st.frozensets(st.integers(0, 6))),
        earliest_minute=draw(st.none() | st.sampled_from([600, 700])),
        latest_minute=draw(st.none() | st.sampled_from([620, 900])),
        preferred_practitioner=draw(st.none() | st.sampled_from(practitioners)),
    )
    weights = draw(
        st.builds(
            PlanWeights,
            first_session_delay_per_day=st.sampled_from([1_000_000_000, 50, 0]),
            deviation_per_day=st.integers(0, 2_000),
            swelling_off_day=st.integers(0, 30_000),
            swelling_per_day_before=st.integers(0, 2_000),
            weekday_not_allowed=st.integers(0, 1_000),
            practitioner_change=st.integers(0, 3_000),
            preferred_practitioner_miss=st.integers(0, 1_000),
            time_shift_per_minute=st.integers(0, 5),
            outside_hours_per_minute=st.integers(0, 5),
        )
    )
    start = MONDAY + draw(st.integers(0, 6))
    return CourseRequest(start, tuple(sessions), preferences, weights), options


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(course_problems())
def test_planner_finds_a_course_whenever_brute_force_does_with_equal_cost(
    problem: tuple[CourseRequest, list[CourseOption]],
):
    # given a small random calendar and course
    course, options = problem

    # when
    planned = plan_course(course, CourseCalendar.from_options(options))
    exhaustive = brute_force_plan_course(course, CourseCalendar.from_options(options))

    # then
    assert (planned.feasible, planned.failed_session, planned.total_cost) == (
        exhaustive.feasible,
        exhaustive.failed_session,
        exhaustive.total_cost,
    )


@PROPERTY_SETTINGS
@given(course_problems())
def test_planned_course_respects_every_gap_and_tolerance(
    problem: tuple[CourseRequest, list[CourseOption]],
):
    # given a small random calendar and course
    course, options = problem
    available = set(options)

    # when
    plan = plan_course(course, CourseCalendar.from_options(options))

    # then
    anchor = course.start_day
    for session, rule in zip(plan.sessions, course.sessions, strict=True):
        assert (session.earliest_day, session.target_day, session.latest_day) == rule.window(anchor)
        if session.option is None:
            anchor = session.target_day
            continue
        assert session.earliest_day <= session.option.day <= session.latest_day
        assert session.option in available
        anchor = session.option.day
    placed = [session.option is not None for session in plan.sessions]
    assert placed == sorted(placed, reverse=True)
    assert plan.feasible == all(placed)


@PROPERTY_SETTINGS
@given(course_problems())
def test_planner_reports_the_cost_of_its_course_and_never_loses_to_greedy(
    problem: tuple[CourseRequest, list[CourseOption]],
):
    # given a small random calendar and course
    course, options = problem

    # when
    plan = plan_course(course, CourseCalendar.from_options(options))
    greedy = greedy_plan_course(course, CourseCalendar.from_options(options))

    # then
    assert plan.total_cost == CostModel.for_request(course).course_cost(plan.options)
    if greedy.feasible:
        assert plan.feasible
        assert plan.total_cost <= greedy.total_cost


def _pairwise_optimum(course: CourseRequest, options: list[CourseOption]) -> tuple[int, int]:
    """(sessions placed, cost): a textbook DP over every pair of options, no tricks."""
    model = CostModel.for_request(course)
    layer = {
        choice: model.session_cost(0, None, choice)
        for choice in options
        if model.fits(0, None, choice)
    }
    placed = 0
    best = 0
    for index in range(1, len(course.sessions) + 1):
        if not layer:
            break
        placed, best = index, min(layer.values())
        if index == len(course.sessions):
            break
        layer = {
            choice: min(
                cost + model.session_cost(index, previous, choice)
                for previous, cost in layer.items()
                if model.fits(index, previous, choice)
            )
            for choice in options
            if any(model.fits(index, previous, choice) for previous in layer)
        }
    return placed, best


@st.composite
def larger_course_problems(draw: st.DrawFn) -> tuple[CourseRequest, list[CourseOption]]:
    """Busier calendars (0-4 options a day, 3 practitioners) and longer courses."""
    minutes = [540, 570, 600, 780, 840, 900, 1020]
    options = [
        option(day, draw(st.sampled_from(minutes)), draw(st.sampled_from(PRACTITIONERS)))
        for day in range(60)
        for _ in range(draw(st.sampled_from([0, 0, 1, 2, 4])))
    ]
    sessions = [SessionRule("first", 0, 0, draw(st.integers(0, 6)))]
    for _ in range(draw(st.integers(1, 7))):
        gap = draw(st.integers(3, 10))
        sessions.append(
            SessionRule("next", gap, gap - draw(st.integers(0, 3)), gap + draw(st.integers(0, 3)))
        )
    weights = PlanWeights(
        first_session_delay_per_day=draw(st.sampled_from([1_000_000_000, 300, 0])),
        deviation_per_day=draw(st.integers(0, 1_500)),
        practitioner_change=draw(st.integers(0, 2_000)),
        time_shift_per_minute=draw(st.integers(0, 20)),
        swelling_off_day=draw(st.integers(0, 3_000)),
    )
    preferences = CoursePreferences(
        swelling_expected=draw(st.booleans()),
        preferred_practitioner=draw(st.none() | st.sampled_from(PRACTITIONERS)),
    )
    return CourseRequest(
        MONDAY + draw(st.integers(0, 3)), tuple(sessions), preferences, weights
    ), options


@pytest.mark.parametrize("slack_rounds", [course_planner.SLACK_ROUNDS, 0])
@PROPERTY_SETTINGS
@given(larger_course_problems())
def test_planner_matches_a_pairwise_dynamic_program_on_busier_calendars(
    slack_rounds: int, problem: tuple[CourseRequest, list[CourseOption]]
):
    # given a busier random calendar and a course of up to 8 sessions; with no slack
    # rounds, every course over the relaxed optimum takes the bound of a real course
    course, options = problem

    # when
    with mock.patch.object(course_planner, "SLACK_ROUNDS", slack_rounds):
        plan = plan_course(course, CourseCalendar.from_options(options))

    # then
    placed, cost = _pairwise_optimum(course, options)
    assert len(plan.options) == placed
    assert plan.feasible == (placed == len(course.sessions))
    assert plan.total_cost == cost
