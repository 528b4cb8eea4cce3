"""Courses: session rules, client preferences, the cost of a course, and the plan shape.

Days are local date ordinals (``date.toordinal()``), so ``weekday = (day + 6) % 7`` with
Monday = 0; times of day are local minutes after midnight.  The planners
(``course_planner.plan_course`` and the baselines in ``course_baselines``) all score a
course with ``CostModel`` and report it as a ``CoursePlan``.

**Windows.**  Session ``k > 1`` is placed relative to the *actual* day ``p`` of session
``k - 1``: target ``p + gap_days``, allowed days ``[p + min_days, p + max_days]``
(asymmetric windows such as ``toxin-quarterly``'s 84–105 days are allowed).  Session 1
is placed the same way relative to the requested ``start_day`` (``expand_phases`` gives
it target ``start_day`` and a search horizon).

**Cost** (integer points, lower is better; weights in ``PlanWeights``), summed over
sessions:

* session 1: ``first_session_delay_per_day`` per day after its target — so large by
  default that the earliest bookable day from which a whole course fits always wins (the
  contract's "first session = earliest bookable slot on/after the start date");
* later sessions: ``deviation_per_day`` per day away from the target (the primary goal),
  ``practitioner_change`` when the practitioner differs from the previous session's and
  ``time_shift_per_minute`` per minute of difference in local start time;
* every session: when swelling is expected, ``swelling_off_day`` unless the session is
  on the last working day before the client's weekend (Friday by default), plus
  ``swelling_per_day_before`` per day earlier in the week (weekend days are worst).  That
  step is larger than a day of deviation, so when no Friday fits the window the latest
  weekday in it wins (Thursday over an on-target Wednesday);
  ``weekday_not_allowed``, ``outside_hours_per_minute`` and
  ``preferred_practitioner_miss`` for the client's soft preferences.

Default ordering, from strongest: first-session delay ≫ swelling day (20,000: more than
14 days of deviation plus a practitioner change and a few hours of time shift, so a
Friday inside a window of up to ±14 days is taken whenever one is bookable) > each day
before the preferred weekday (1,500) > one day of deviation (1,000) > weekday not
allowed (600) > practitioner change (400) > preferred practitioner (300) > time of day
(60 per hour shifted, 240 per hour outside the client's hours).  It is a weighted sum,
not a strict lexicographic order: enough secondary penalties on one session (a
disallowed weekday plus a practitioner change) outweigh a day of deviation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import NamedTuple, cast

from .availability import AvailabilityGrid, Slot

WEEK_DAYS = 7


def weekday_of(day: int) -> int:
    """Weekday (Monday = 0) of a date ordinal."""
    return (day + 6) % WEEK_DAYS


class CourseOption(NamedTuple):
    """One bookable slot seen by the course planner: its local day and time of day."""

    day: int
    minute_of_day: int
    slot: Slot

    @property
    def practitioner(self) -> str:
        """Practitioner of the slot."""
        return self.slot.practitioner

    @property
    def weekday(self) -> int:
        """Weekday of the slot's local day (Monday = 0)."""
        return weekday_of(self.day)


@dataclass(frozen=True, slots=True)
class SessionRule:
    """Where a session may go, relative to the previous session's actual day (or to the
    course's start day for session 1): target ``+gap_days``, window
    ``[+min_days, +max_days]``."""

    phase: str
    gap_days: int
    min_days: int
    max_days: int

    def __post_init__(self) -> None:
        if self.min_days > self.max_days:
            raise ValueError("min_days must not exceed max_days")

    def window(self, anchor_day: int) -> tuple[int, int, int]:
        """``(earliest, target, latest)`` day for a session anchored at ``anchor_day``."""
        return anchor_day + self.min_days, anchor_day + self.gap_days, anchor_day + self.max_days


@dataclass(frozen=True, slots=True)
class PhaseRule:
    """A protocol phase: ``count`` sessions ``gap_days`` apart, allowed
    ``[min_days, max_days]`` after the previous one; ``count=None`` is open-ended
    (maintenance) and may only be the last phase."""

    name: str
    count: int | None
    gap_days: int
    min_days: int
    max_days: int

    @classmethod
    def around(cls, name: str, count: int | None, gap_days: int, tolerance_days: int) -> PhaseRule:
        """A phase with a symmetric window ``gap ± tolerance``."""
        return cls(name, count, gap_days, gap_days - tolerance_days, gap_days + tolerance_days)


def expand_phases(
    phases: Sequence[PhaseRule],
    *,
    sessions: int | None = None,
    first_session_horizon_days: int = 28,
) -> tuple[SessionRule, ...]:
    """Session rules for a protocol: the fixed-count phases in order, then the open-ended
    phase repeated up to ``sessions`` in total (``sessions`` also truncates).

    Session 1 targets the start day and may be up to ``first_session_horizon_days``
    later; each later session uses its phase's gap and window.
    """
    session_phases: list[PhaseRule] = []
    for phase in phases:
        if phase.count is None:
            extra = max((sessions or 0) - len(session_phases), 0)
            session_phases.extend([phase] * extra)
            break
        session_phases.extend([phase] * phase.count)
    if sessions is not None:
        session_phases = session_phases[:sessions]
    rules = [
        SessionRule(phase.name, phase.gap_days, phase.min_days, phase.max_days)
        for phase in session_phases
    ]
    if rules:
        rules[0] = SessionRule(rules[0].phase, 0, 0, first_session_horizon_days)
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class CoursePreferences:
    """The client's soft preferences, all optional.

    ``earliest_minute``/``latest_minute`` bound the local start (arrival) time of day;
    ``weekend_days`` define "the last working day before the weekend" for swelling.
    """

    swelling_expected: bool = False
    weekend_days: frozenset[int] = frozenset({5, 6})
    allowed_weekdays: frozenset[int] | None = None
    earliest_minute: int | None = None
    latest_minute: int | None = None
    preferred_practitioner: str | None = None


@dataclass(frozen=True, slots=True)
class PlanWeights:
    """Integer penalty weights; see the module docstring for the default ordering."""

    first_session_delay_per_day: int = 1_000_000_000
    deviation_per_day: int = 1_000
    swelling_off_day: int = 20_000
    swelling_per_day_before: int = 1_500
    weekday_not_allowed: int = 600
    practitioner_change: int = 400
    preferred_practitioner_miss: int = 300
    time_shift_per_minute: int = 1
    outside_hours_per_minute: int = 4

    def __post_init__(self) -> None:
        if any(getattr(self, name) < 0 for name in self.__slots__):
            raise ValueError("weights must not be negative")


@dataclass(frozen=True, slots=True)
class CourseRequest:
    """What to plan: the start day, one rule per session, preferences and weights."""

    start_day: int
    sessions: tuple[SessionRule, ...]
    preferences: CoursePreferences = field(default_factory=CoursePreferences)
    weights: PlanWeights = field(default_factory=PlanWeights)

    def latest_possible_day(self) -> int:
        """The last day any session could fall on: how far availability must be loaded."""
        return self.start_day + sum(rule.max_days for rule in self.sessions)


class PlannedSession(NamedTuple):
    """A session of a plan: its window and the chosen option (``None`` if not placed).

    For sessions after one that could not be placed, the window is nominal: chained from
    the targets, as if every later session were on target.
    """

    number: int
    phase: str
    target_day: int
    earliest_day: int
    latest_day: int
    option: CourseOption | None


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """A planned course.  ``failed_session`` is the number of the first session that
    cannot be placed (``None`` when feasible); ``total_cost`` is the cost of the placed
    sessions."""

    feasible: bool
    sessions: tuple[PlannedSession, ...]
    total_cost: int
    failed_session: int | None = None

    @property
    def options(self) -> list[CourseOption]:
        """The chosen options of the placed sessions, in order."""
        return [session.option for session in self.sessions if session.option is not None]


class CourseCalendar:
    """Bookable course options by local day, materialised on demand and cached.

    ``is_bookable(day)`` is exact and cheap.  ``options_on(day)`` returns the day's
    options (non-empty for a bookable day) by start, then practitioner order;
    ``practitioners_on(day)`` and ``options_of(day, practitioner)`` let the planner
    build only the options of practitioners it still needs.  Of several options with
    the same day, practitioner and time of day only one should be given: they are
    interchangeable.
    """

    def __init__(
        self,
        bookable_days: Iterable[int],
        load_day: Callable[[int], Sequence[CourseOption]],
        *,
        load_practitioners: Callable[[int], Sequence[str]] | None = None,
        load_practitioner_day: Callable[[int, str], Sequence[CourseOption]] | None = None,
    ) -> None:
        self._bookable = frozenset(bookable_days)
        self._load_day = load_day
        self._load_practitioners = load_practitioners or self._practitioners_from_day
        self._load_practitioner_day = load_practitioner_day or self._options_from_day
        self._days: dict[int, tuple[CourseOption, ...]] = {}
        self._practitioners: dict[int, tuple[str, ...]] = {}
        self._practitioner_days: dict[tuple[int, str], tuple[CourseOption, ...]] = {}

    @classmethod
    def from_options(cls, options: Iterable[CourseOption]) -> CourseCalendar:
        """A calendar over explicit options, in start order (stable); duplicates (same
        day, practitioner and time of day) are dropped."""
        by_day: defaultdict[int, dict[tuple[str, int], CourseOption]] = defaultdict(dict)
        for option in sorted(options, key=lambda option: option.slot.start):
            by_day[option.day].setdefault((option.practitioner, option.minute_of_day), option)
        return cls(by_day, lambda day: list(by_day[day].values()))

    @classmethod
    def from_grid(cls, grid: AvailabilityGrid) -> CourseCalendar:
        """A lazy calendar over an availability search: a day's slots are built only
        when the planner asks for them, per practitioner when it can."""
        return cls(
            grid.bookable_days(),
            lambda day: _grid_options(grid, day),
            load_practitioners=lambda day: _grid_practitioners(grid, day),
            load_practitioner_day=lambda day, code: _grid_options(grid, day, code),
        )

    @property
    def bookable_days(self) -> frozenset[int]:
        """Days with at least one option."""
        return self._bookable

    def is_bookable(self, day: int) -> bool:
        """Whether the day has at least one option."""
        return day in self._bookable

    def options_on(self, day: int) -> tuple[CourseOption, ...]:
        """The day's options (empty for a day that is not bookable)."""
        if day not in self._bookable:
            return ()
        options = self._days.get(day)
        if options is None:
            options = self._days[day] = tuple(self._load_day(day))
        return options

    def practitioners_on(self, day: int) -> tuple[str, ...]:
        """Practitioners with at least one option on the day, in preference order."""
        if day not in self._bookable:
            return ()
        codes = self._practitioners.get(day)
        if codes is None:
            codes = self._practitioners[day] = tuple(self._load_practitioners(day))
        return codes

    def options_of(self, day: int, practitioner: str) -> tuple[CourseOption, ...]:
        """One practitioner's options on the day, by start (taken from the whole day's
        options when those are already built)."""
        key = (day, practitioner)
        options = self._practitioner_days.get(key)
        if options is None:
            loaded: Sequence[CourseOption]
            if day in self._days or day not in self._bookable:
                loaded = self._options_from_day(day, practitioner)
            else:
                loaded = self._load_practitioner_day(day, practitioner)
            options = self._practitioner_days[key] = tuple(loaded)
        return options

    def _practitioners_from_day(self, day: int) -> list[str]:
        return list(dict.fromkeys(option.practitioner for option in self.options_on(day)))

    def _options_from_day(self, day: int, practitioner: str) -> list[CourseOption]:
        return [option for option in self.options_on(day) if option.practitioner == practitioner]


def _grid_options(
    grid: AvailabilityGrid, day: int, practitioner: str | None = None
) -> list[CourseOption]:
    """A day's options (every practitioner's, or one's) from a search's grid."""
    index = None if practitioner is None else grid.practitioners.index(practitioner)
    table = grid.day_table(day, index)
    minutes = grid.cells.local_minutes(table.starts)
    fields = zip(repeat(day), minutes, table.slots(), strict=False)
    # tuple.__new__ skips the NamedTuple's Python-level __new__ (as SlotTable.slots does).
    return cast(list[CourseOption], list(map(tuple.__new__, repeat(CourseOption), fields)))


def _grid_practitioners(grid: AvailabilityGrid, day: int) -> list[str]:
    return grid.practitioners_on(day)


@dataclass(frozen=True, slots=True)
class CostModel:
    """Scores sessions of a course; shared by the exact planner and the baselines."""

    request: CourseRequest
    weekday_penalties: tuple[int, ...]

    @classmethod
    def for_request(cls, request: CourseRequest) -> CostModel:
        """Precompute the per-weekday penalties of a request."""
        penalties = tuple(_weekday_penalty(request, weekday) for weekday in range(WEEK_DAYS))
        return cls(request, penalties)

    def day_floor(self, day: int) -> int:
        """A lower bound of ``option_cost`` over every option on ``day``."""
        return self.weekday_penalties[weekday_of(day)]

    def option_cost(self, option: CourseOption) -> int:
        """Penalties that depend on the option alone (day, time, practitioner)."""
        preferences = self.request.preferences
        weights = self.request.weights
        cost = self.weekday_penalties[weekday_of(option.day)]
        minute = option.minute_of_day
        if preferences.earliest_minute is not None and minute < preferences.earliest_minute:
            cost += (preferences.earliest_minute - minute) * weights.outside_hours_per_minute
        if preferences.latest_minute is not None and minute > preferences.latest_minute:
            cost += (minute - preferences.latest_minute) * weights.outside_hours_per_minute
        preferred = preferences.preferred_practitioner
        if preferred is not None and option.slot.practitioner != preferred:
            cost += weights.preferred_practitioner_miss
        return cost

    def option_costs(self, day: int, options: Sequence[CourseOption]) -> list[int]:
        """``option_cost`` of each option of one day (cheap when no preference needs the
        time of day or the practitioner)."""
        preferences = self.request.preferences
        if (
            preferences.earliest_minute is None
            and preferences.latest_minute is None
            and preferences.preferred_practitioner is None
        ):
            return [self.day_floor(day)] * len(options)
        return list(map(self.option_cost, options))

    def first_session_cost(self, rule: SessionRule, option: CourseOption) -> int:
        """Cost of placing session 1 on ``option``."""
        target = self.request.start_day + rule.gap_days
        delay = abs(option.day - target) * self.request.weights.first_session_delay_per_day
        return delay + self.option_cost(option)

    def transition_cost(
        self, rule: SessionRule, previous: CourseOption, option: CourseOption
    ) -> int:
        """Cost of placing a later session on ``option`` after ``previous``, without the
        option's own penalties."""
        weights = self.request.weights
        cost = abs(option.day - previous.day - rule.gap_days) * weights.deviation_per_day
        if option.slot.practitioner != previous.slot.practitioner:
            cost += weights.practitioner_change
        return (
            cost
            + abs(option.minute_of_day - previous.minute_of_day) * weights.time_shift_per_minute
        )

    def session_cost(self, index: int, previous: CourseOption | None, option: CourseOption) -> int:
        """Cost of session ``index`` (0-based) on ``option`` after ``previous``."""
        rule = self.request.sessions[index]
        if index == 0:
            return self.first_session_cost(rule, option)
        assert previous is not None
        return self.transition_cost(rule, previous, option) + self.option_cost(option)

    def course_cost(self, options: Sequence[CourseOption]) -> int:
        """Total cost of placing the first ``len(options)`` sessions on ``options``."""
        total = 0
        previous: CourseOption | None = None
        for index, option in enumerate(options):
            total += self.session_cost(index, previous, option)
            previous = option
        return total

    def fits(self, index: int, previous: CourseOption | None, option: CourseOption) -> bool:
        """Whether ``option`` is inside session ``index``'s window."""
        anchor = self.request.start_day if previous is None else previous.day
        earliest, _, latest = self.request.sessions[index].window(anchor)
        return earliest <= option.day <= latest


def _weekday_penalty(request: CourseRequest, weekday: int) -> int:
    preferences = request.preferences
    weights = request.weights
    penalty = 0
    if preferences.allowed_weekdays is not None and weekday not in preferences.allowed_weekdays:
        penalty += weights.weekday_not_allowed
    if preferences.swelling_expected and preferences.weekend_days:
        days_before = _days_before_weekend(weekday, preferences.weekend_days)
        if days_before > 0:
            penalty += (
                weights.swelling_off_day + (days_before - 1) * weights.swelling_per_day_before
            )
    return penalty


def _days_before_weekend(weekday: int, weekend_days: frozenset[int]) -> int:
    """0 on the last working day before the weekend, 1 the day before it, …; weekend
    days count as the worst (a full week)."""
    if weekday in weekend_days:
        return WEEK_DAYS - 1
    distance = next(
        step for step in range(1, WEEK_DAYS + 1) if (weekday + step) % WEEK_DAYS in weekend_days
    )
    return distance - 1


def build_plan(request: CourseRequest, options: Sequence[CourseOption]) -> CoursePlan:
    """The plan that places the first ``len(options)`` sessions on ``options``; if that is
    fewer than all sessions, the next one is reported as the one that failed."""
    model = CostModel.for_request(request)
    sessions: list[PlannedSession] = []
    anchor = request.start_day
    for index, rule in enumerate(request.sessions):
        earliest, target, latest = rule.window(anchor)
        option = options[index] if index < len(options) else None
        sessions.append(PlannedSession(index + 1, rule.phase, target, earliest, latest, option))
        anchor = option.day if option is not None else target
    feasible = len(options) == len(request.sessions)
    return CoursePlan(
        feasible=feasible,
        sessions=tuple(sessions),
        total_cost=model.course_cost(options),
        failed_session=None if feasible else len(options) + 1,
    )


__all__ = [
    "CostModel",
    "CourseCalendar",
    "CourseOption",
    "CoursePlan",
    "CoursePreferences",
    "CourseRequest",
    "PhaseRule",
    "PlanWeights",
    "PlannedSession",
    "SessionRule",
    "build_plan",
    "expand_phases",
    "weekday_of",
]
