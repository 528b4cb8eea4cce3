"""The exact course planner: a dynamic program over consecutive sessions.

Why a DP is exact.  Session ``k``'s window and cost depend only on session ``k - 1``'s
option (its day, practitioner and local time), so the cheapest course ending with option
``o`` at session ``k`` is ``cost(o) + min over options q of session k - 1 allowed before o
of (best(q) + transition(q, o))``.  (Options with the same day, practitioner and time
are interchangeable; ``CourseCalendar`` keeps one of each.)

Why it is fast.  ``transition(q, o) = deviation(day q, day o) + change(q, o) +
w * |minute q - minute o|``.  For a predecessor day we keep a *time envelope*:
prefix minima of ``best(q) - w * minute q`` and suffix minima of ``best(q) + w * minute q``
over the day's options sorted by minute, so ``min over q of best(q) + w * |Δminute|`` is
one binary search.  One envelope over all practitioners (plus the change penalty) and one
per practitioner give the exact minimum over the practitioner term too:
``min(envelope_same(m), envelope_all(m) + change)``.  So each option costs one pair of
look-ups per predecessor *day*, never per predecessor option.

What keeps it small.  Feasibility depends on days only, so a first pass over days alone
(the *relaxation*: deviation plus per-day weekday penalties, the other terms dropped,
which are all >= 0) finds exactly which days are reachable, which session fails when the
course is infeasible, a lower bound ``forward`` on the cost of reaching each day and,
backwards, a lower bound ``to_go`` on finishing from it.  The option DP then only keeps
states whose cost + ``to_go`` is within a bound ``B`` — no course cheaper than ``B``
passes anywhere else — and skips a whole practitioner on a day when even their
cheapest possible predecessor is over it, before building their options:

1. ``B`` = the relaxed optimum, then that plus a slack growing fourfold from a quarter
   of a day's deviation, for a few rounds.  A DP with bound ``B`` misses no course
   costing at most ``B``, so whatever it finds is optimal.  The real optimum is usually
   a few hundred points over the relaxation (time-of-day shifts), so one of the first
   rounds finds it while the bound still prunes hard: cheaper than step 2.
2. Otherwise, ``B`` = the cost of the best course on the cheapest relaxed day path (a
   real course, found by the same DP on one day per session), and the DP runs again.

The result is the exact minimum over all courses (checked against brute force and a
plain pairwise DP in the tests).  Ties are broken deterministically.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, repeat
from operator import add, le, mul, sub
from typing import NamedTuple

from .course_model import (
    CostModel,
    CourseCalendar,
    CourseOption,
    CoursePlan,
    CourseRequest,
    SessionRule,
    build_plan,
)


def plan_course(request: CourseRequest, calendar: CourseCalendar) -> CoursePlan:
    """The cheapest feasible course (see ``course_model`` for the cost), or, when no
    course fits, the cheapest placement of the sessions before the first one that
    cannot be placed.  Ties are broken deterministically."""
    if not request.sessions:
        return build_plan(request, [])
    model = CostModel.for_request(request)
    relaxation = _Relaxation(request, calendar, model)
    forward = relaxation.forward_layers()
    if not forward:
        return build_plan(request, [])
    to_go = relaxation.to_go_layers(forward)
    return build_plan(request, _cheapest_course(model, calendar, relaxation, forward, to_go))


def _cheapest_course(
    model: CostModel,
    calendar: CourseCalendar,
    relaxation: _Relaxation,
    forward: list[_DayLayer],
    to_go: list[_DayLayer],
) -> list[CourseOption]:
    """The option DP within the relaxed optimum plus growing slacks, else within a real
    course's cost."""
    lower_bound = min(map(add, forward[0].costs, to_go[0].costs))
    for slack in _slacks(model):
        bound = lower_bound + slack
        found = _OptionSearch(model, calendar).run(
            _days_within(forward, to_go, bound), to_go, bound
        )
        if found is not None:
            return found[1]
    path = [[day] for day in relaxation.cheapest_path(forward, to_go)]
    path_course = _OptionSearch(model, calendar).run(path, None, None)
    assert path_course is not None, "a relaxed day path always holds a course"
    days = _days_within(forward, to_go, path_course[0])
    if days == path:
        return path_course[1]
    found = _OptionSearch(model, calendar).run(days, to_go, path_course[0])
    assert found is not None, "the path course itself is within its own cost"
    return found[1]


SLACK_ROUNDS = 3
"""Rounds with a slack over the relaxed optimum before bounding by a real course."""


def _slacks(model: CostModel) -> list[int]:
    """0, then a quarter of a day's deviation growing fourfold for ``SLACK_ROUNDS``."""
    first = max(model.request.weights.deviation_per_day // 4, 1)
    return [0, *(first * 4**round_ for round_ in range(SLACK_ROUNDS))]


def _days_within(forward: list[_DayLayer], to_go: list[_DayLayer], bound: int) -> list[list[int]]:
    """Per session, the days whose relaxed cost through them is within ``bound``."""
    return [
        list(
            compress(
                range(layer.first_day, layer.first_day + len(layer.costs)),
                map(le, map(add, layer.costs, remaining.costs), repeat(bound)),
            )
        )
        for layer, remaining in zip(forward, to_go, strict=True)
    ]


_UNREACHABLE = 1 << 80
"""Cost of a day no course passes through: above any real cost, and still above it
after a few real costs are added."""


@dataclass(frozen=True, slots=True)
class _DayLayer:
    """Relaxed costs for consecutive days from ``first_day`` (``_UNREACHABLE`` where
    no course passes)."""

    first_day: int
    costs: list[int]

    def cost(self, day: int) -> int:
        """The cost of one day (``_UNREACHABLE`` outside the layer)."""
        index = day - self.first_day
        return self.costs[index] if 0 <= index < len(self.costs) else _UNREACHABLE

    def dense(self, first_day: int, length: int) -> list[int]:
        """Costs of ``length`` days from ``first_day``, padding with ``_UNREACHABLE``."""
        offset = first_day - self.first_day
        before = [_UNREACHABLE] * min(max(-offset, 0), length)
        inside = self.costs[max(offset, 0) : max(offset + length, 0)]
        return before + inside + [_UNREACHABLE] * (length - len(before) - len(inside))


class _Relaxation:
    """The day-level relaxation: which days are reachable, with lower bounds of the cost
    of reaching them (``forward``) and of finishing from them (``to_go``).

    A session's cost is relaxed to its deviation (or first-session delay) plus the
    day's weekday penalties; the dropped terms are never negative, so the bounds are
    admissible.  Each layer is computed for all days at once: for every offset ``j`` in
    the window, the previous layer shifted by ``j`` plus that offset's deviation, then
    an element-wise ``min`` (C code, no per-day Python loop).
    """

    def __init__(self, request: CourseRequest, calendar: CourseCalendar, model: CostModel) -> None:
        self.request = request
        self.rules = request.sessions
        self.deviation = request.weights.deviation_per_day
        earliest_offsets = list(accumulate(rule.min_days for rule in self.rules))
        latest_offsets = list(accumulate(rule.max_days for rule in self.rules))
        earliest = request.start_day + min(earliest_offsets)
        latest = request.start_day + max(latest_offsets)
        self.first_day = earliest
        self.day_costs = [
            model.day_floor(day) if calendar.is_bookable(day) else _UNREACHABLE
            for day in range(earliest, latest + 1)
        ]

    def _day_costs(self, first_day: int, length: int) -> list[int]:
        return _DayLayer(self.first_day, self.day_costs).dense(first_day, length)

    def forward_layers(self) -> list[_DayLayer]:
        """Per session, lower bounds of reaching each day; stops before the first
        session with no reachable day."""
        first = self.rules[0]
        earliest, target, latest = first.window(self.request.start_day)
        delay = self.request.weights.first_session_delay_per_day
        days = range(earliest, latest + 1)
        costs = map(mul, map(abs, map(sub, days, repeat(target))), repeat(delay))
        layer = _trimmed(earliest, list(map(add, costs, self._day_costs(earliest, len(days)))))
        layers: list[_DayLayer] = []
        for rule in self.rules[1:]:
            if layer is None:
                break
            layers.append(layer)
            layer = self._next_forward(layer, rule)
        if layer is not None:
            layers.append(layer)
        return layers

    def _next_forward(self, previous: _DayLayer, rule: SessionRule) -> _DayLayer | None:
        width = rule.max_days - rule.min_days + 1
        first_day = previous.first_day + rule.min_days
        length = len(previous.costs) + width - 1
        # Day first_day + i is reached from anchor first_day + i - min_days - k, k < width.
        anchors = previous.dense(previous.first_day - width + 1, length + width - 1)
        shifted = [
            map(
                add,
                anchors[width - 1 - k : width - 1 - k + length],
                repeat(self._deviation(rule, rule.min_days + k)),
            )
            for k in range(width)
        ]
        best = list(map(min, *shifted)) if width > 1 else list(shifted[0])
        return _trimmed(first_day, list(map(add, best, self._day_costs(first_day, length))))

    def _deviation(self, rule: SessionRule, days_after: int) -> int:
        return abs(days_after - rule.gap_days) * self.deviation

    def to_go_layers(self, forward: list[_DayLayer]) -> list[_DayLayer]:
        """Per session, lower bounds of the cost of the later sessions from each day of
        the forward layer (``_UNREACHABLE`` where the course cannot be finished)."""
        last = forward[-1]
        to_go = [_DayLayer(last.first_day, [0] * len(last.costs))]
        for index in range(len(forward) - 2, -1, -1):
            layer = forward[index]
            rule = self.rules[index + 1]
            to_go.append(self._previous_to_go(layer, rule, to_go[-1]))
        to_go.reverse()
        return to_go

    def _previous_to_go(
        self, layer: _DayLayer, rule: SessionRule, following: _DayLayer
    ) -> _DayLayer:
        width = rule.max_days - rule.min_days + 1
        length = len(layer.costs)
        first_later = layer.first_day + rule.min_days
        span = length + width - 1
        later = list(
            map(add, following.dense(first_later, span), self._day_costs(first_later, span))
        )
        shifted = [
            map(add, later[k : k + length], repeat(self._deviation(rule, rule.min_days + k)))
            for k in range(width)
        ]
        best = list(map(min, *shifted)) if width > 1 else list(shifted[0])
        return _DayLayer(layer.first_day, best)

    def cheapest_path(self, forward: list[_DayLayer], to_go: list[_DayLayer]) -> list[int]:
        """A day path of minimal relaxed cost (feasible: feasibility is about days)."""
        first = forward[0]
        totals = list(map(add, first.costs, to_go[0].costs))
        day = first.first_day + totals.index(min(totals))
        path = [day]
        for index in range(1, len(forward)):
            day = self._cheapest_next(self.rules[index], day, to_go[index])
            path.append(day)
        return path

    def _cheapest_next(self, rule: SessionRule, day: int, to_go: _DayLayer) -> int:
        window = range(day + rule.min_days, day + rule.max_days + 1)
        costs = [
            self._deviation(rule, later - day) + self._day_costs(later, 1)[0] + to_go.cost(later)
            for later in window
        ]
        return window[costs.index(min(costs))]


def _within(costs: list[int], options: Sequence[CourseOption], limit: int | None) -> list[_State]:
    """States for the options whose cost is within ``limit`` (all when ``None``)."""
    return [
        _State(cost, option)
        for cost, option in zip(costs, options, strict=True)
        if limit is None or cost <= limit
    ]


def _trimmed(first_day: int, costs: list[int]) -> _DayLayer | None:
    """The layer without unreachable days at either end; ``None`` if none is reachable."""
    reachable = [index for index, cost in enumerate(costs) if cost < _UNREACHABLE]
    if not reachable:
        return None
    return _DayLayer(first_day + reachable[0], costs[reachable[0] : reachable[-1] + 1])


class _State(NamedTuple):
    cost: int
    option: CourseOption


class _TimeEnvelope:
    """``best(minute) = min over entries of cost + weight * |minute - entry minute|``."""

    __slots__ = ("left", "minutes", "right", "weight")

    def __init__(self, states: Sequence[_State], weight: int) -> None:
        self.weight = weight
        self.minutes = [state.option.minute_of_day for state in states]
        costs = [state.cost for state in states]
        scaled = [minute * weight for minute in self.minutes]
        self.left: list[int] = list(accumulate(map(sub, costs, scaled), min))
        right: list[int] = list(accumulate(map(add, reversed(costs), reversed(scaled)), min))
        right.reverse()
        self.right = right

    def best(self, minute: int) -> int:
        """Cheapest entry counting the time shift to ``minute``."""
        split = bisect_right(self.minutes, minute)
        shift = minute * self.weight
        if split == 0:
            return self.right[0] - shift
        if split == len(self.minutes):
            return self.left[-1] + shift
        return min(self.left[split - 1] + shift, self.right[split] - shift)


class _DayIndex:
    """The states of one predecessor day, queryable by practitioner and time of day."""

    __slots__ = (
        "by_practitioner",
        "change_penalty",
        "cheapest",
        "cheapest_by_practitioner",
        "everyone",
        "everyone_at",
        "states",
    )

    def __init__(self, states: list[_State], weight: int, change_penalty: int) -> None:
        ordered = sorted(states, key=lambda state: state.option.minute_of_day)
        self.states = states
        self.cheapest = min(state.cost for state in states)
        self.change_penalty = change_penalty
        self.everyone = _TimeEnvelope(ordered, weight)
        groups: dict[str, list[_State]] = {}
        for state in ordered:
            groups.setdefault(state.option.slot.practitioner, []).append(state)
        # With one practitioner on the day, their envelope is everyone's.
        self.by_practitioner = {
            code: self.everyone if len(groups) == 1 else _TimeEnvelope(group, weight)
            for code, group in groups.items()
        }
        self.cheapest_by_practitioner = {
            code: min(state.cost for state in group) for code, group in groups.items()
        }
        self.everyone_at: dict[int, int] = {}

    def cheapest_for(self, practitioner: str) -> int:
        """A lower bound of ``best_before`` for any option of ``practitioner``."""
        cheapest = self.cheapest + self.change_penalty
        own = self.cheapest_by_practitioner.get(practitioner)
        return cheapest if own is None else min(cheapest, own)

    def best_before(self, practitioner: str, minute: int) -> int:
        """Cheapest state of this day plus practitioner-change and time-shift terms, for
        a following option with this practitioner and time of day."""
        everyone = self.everyone_at.get(minute)
        if everyone is None:
            everyone = self.everyone_at[minute] = self.everyone.best(minute)
        best = everyone + self.change_penalty
        same = self.by_practitioner.get(practitioner)
        if same is self.everyone:
            return everyone
        if same is not None:
            own = same.best(minute)
            if own < best:
                return own
        return best


class _OptionSearch:
    """The option-level dynamic program over given candidate days per session."""

    def __init__(self, model: CostModel, calendar: CourseCalendar) -> None:
        self.model = model
        self.calendar = calendar
        self.weights = model.request.weights
        self.rules = model.request.sessions
        self.indexes: list[dict[int, _DayIndex]] = []

    def run(
        self, days: Sequence[Sequence[int]], to_go: list[_DayLayer] | None, bound: int | None
    ) -> tuple[int, list[CourseOption]] | None:
        """Cheapest course through the candidate days, or ``None`` if there is none.

        With a ``bound``, options whose cost plus ``to_go`` exceeds it are dropped.
        """
        layers: list[list[_State]] = []
        for index, candidate_days in enumerate(days):
            states: list[_State] = []
            for day in candidate_days:
                limit = None if bound is None or to_go is None else bound - to_go[index].cost(day)
                states.extend(self._states_on(index, day, limit))
            if not states:
                return None
            layers.append(states)
            self.indexes.append(self._index(states))
        final = min(layers[-1], key=lambda state: state.cost)
        return final.cost, self._backtrack(final)

    def _index(self, states: list[_State]) -> dict[int, _DayIndex]:
        by_day: dict[int, list[_State]] = {}
        for state in states:
            by_day.setdefault(state.option.day, []).append(state)
        weight = self.weights.time_shift_per_minute
        change = self.weights.practitioner_change
        return {day: _DayIndex(group, weight, change) for day, group in by_day.items()}

    def _states_on(self, index: int, day: int, limit: int | None) -> list[_State]:
        """States of session ``index`` on ``day`` whose cost is within ``limit``."""
        if index == 0:
            rule = self.rules[0]
            first_options = self.calendar.options_on(day)
            costs = [self.model.first_session_cost(rule, option) for option in first_options]
            return _within(costs, first_options, limit)
        anchors = self._anchors(index, day)
        if not anchors:
            return []
        if limit is None:
            options = list(self.calendar.options_on(day))
            own_costs = self.model.option_costs(day, options)
        else:
            options, own_costs = self._promising(anchors, day, limit)
        costs = [self._incoming(anchors, option) for option in options]
        return _within(list(map(add, costs, own_costs)), options, limit)

    def _promising(
        self, anchors: list[tuple[int, _DayIndex]], day: int, limit: int
    ) -> tuple[list[CourseOption], list[int]]:
        """The day's options that may come within ``limit``, with their own costs.

        A practitioner's options cost at least the deviation plus the cheapest
        predecessor of that practitioner (or anyone's plus a change): practitioners
        over the limit are skipped, and when few remain only their options are built.
        """
        calendar = self.calendar
        practitioners = calendar.practitioners_on(day)
        day_floor = self.model.day_floor(day)
        floors: dict[str, int] = {}
        for practitioner in practitioners:
            floor = min(
                deviation + day_index.cheapest_for(practitioner) for deviation, day_index in anchors
            )
            if floor + day_floor <= limit:
                floors[practitioner] = floor
        if 2 * len(floors) > len(practitioners):
            candidates: Sequence[CourseOption] = calendar.options_on(day)
        else:
            candidates = [option for code in floors for option in calendar.options_of(day, code)]
        options: list[CourseOption] = []
        own_costs: list[int] = []
        for option, own in zip(candidates, self.model.option_costs(day, candidates), strict=True):
            practitioner_floor = floors.get(option.slot.practitioner)
            if practitioner_floor is not None and practitioner_floor + own <= limit:
                options.append(option)
                own_costs.append(own)
        return options, own_costs

    def _anchors(self, index: int, day: int) -> list[tuple[int, _DayIndex]]:
        """Predecessor days allowed for ``day``, as (deviation cost, index), cheapest first."""
        rule = self.rules[index]
        previous = self.indexes[index - 1]
        deviation = self.weights.deviation_per_day
        anchors = [
            (abs(day - anchor - rule.gap_days) * deviation, previous[anchor])
            for anchor in range(day - rule.max_days, day - rule.min_days + 1)
            if anchor in previous
        ]
        anchors.sort(key=lambda anchor: anchor[0])
        return anchors

    def _incoming(self, anchors: list[tuple[int, _DayIndex]], option: CourseOption) -> int:
        practitioner = option.slot.practitioner
        minute = option.minute_of_day
        best: int | None = None
        for deviation, day_index in anchors:
            if best is not None and deviation + day_index.cheapest >= best:
                continue
            cost = deviation + day_index.best_before(practitioner, minute)
            if best is None or cost < best:
                best = cost
        assert best is not None
        return best

    def _backtrack(self, final: _State) -> list[CourseOption]:
        chosen = [final]
        for index in range(len(self.indexes) - 1, 0, -1):
            chosen.append(self._predecessor(index, chosen[-1]))
        return [state.option for state in reversed(chosen)]

    def _predecessor(self, index: int, state: _State) -> _State:
        """A state of session ``index - 1`` through which ``state`` got its cost."""
        rule = self.rules[index]
        option = state.option
        incoming = state.cost - self.model.option_cost(option)
        for deviation, day_index in self._anchors(index, option.day):
            if (
                deviation + day_index.best_before(option.slot.practitioner, option.minute_of_day)
                != incoming
            ):
                continue
            for candidate in day_index.states:
                if (
                    candidate.cost + self.model.transition_cost(rule, candidate.option, option)
                    == incoming
                ):
                    return candidate
        raise AssertionError("no predecessor matches the state's cost")


__all__ = ["plan_course"]
