"""The exact course planner: a dynamic program over consecutive sessions.

Why a DP is exact.  Session ``k``'s window and cost depend only on session ``k - 1``'s
option (its day, practitioner and local time), so the cheapest course ending with option
``o`` at session ``k`` is ``cost(o) + min over options q of session k - 1 allowed before o
of (best(q) + transition(q, o))``.  Two options with the same (day, practitioner, time)
are interchangeable for everything that follows, so only the first of them is kept.

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
backwards, a lower bound ``to_go`` on finishing from it.  The option DP restricted to the
cheapest relaxed day path gives a real course, hence an upper bound ``U``.  The full
option DP then skips every day and option whose ``forward``/cost + ``to_go`` exceeds ``U``
— no optimal course passes there — so usually only days near the targets are looked at.
The result is the exact minimum over all courses (checked against brute force in tests).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
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
    cannot be placed."""
    if not request.sessions:
        return build_plan(request, [])
    model = CostModel.for_request(request)
    relaxation = _Relaxation(request, calendar, model)
    forward = relaxation.forward_layers()
    if not forward:
        return build_plan(request, [])
    to_go = relaxation.to_go_layers(forward)
    path = relaxation.cheapest_path(forward, to_go)
    path_days = [[day] for day in path]
    upper_bound, options = _OptionSearch(model, calendar).run(path_days, None)
    days = [
        list(
            compress(
                range(layer.first_day, layer.first_day + len(layer.costs)),
                map(le, map(add, layer.costs, remaining.costs), repeat(upper_bound)),
            )
        )
        for layer, remaining in zip(forward, to_go, strict=True)
    ]
    if days != path_days:
        _, options = _OptionSearch(model, calendar).run(days, (to_go, upper_bound))
    return build_plan(request, options)


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

    __slots__ = ("by_practitioner", "cheapest", "everyone", "states")

    def __init__(self, states: list[_State], weight: int) -> None:
        ordered = sorted(states, key=lambda state: state.option.minute_of_day)
        self.states = states
        self.cheapest = min(state.cost for state in states)
        self.everyone = _TimeEnvelope(ordered, weight)
        groups: dict[str, list[_State]] = {}
        for state in ordered:
            groups.setdefault(state.option.slot.practitioner, []).append(state)
        self.by_practitioner = {
            code: _TimeEnvelope(group, weight) for code, group in groups.items()
        }

    def best_before(self, option: CourseOption, change_penalty: int) -> int:
        """Cheapest state of this day plus practitioner-change and time-shift terms."""
        best = self.everyone.best(option.minute_of_day) + change_penalty
        same = self.by_practitioner.get(option.slot.practitioner)
        if same is not None:
            best = min(best, same.best(option.minute_of_day))
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
        self, days: Sequence[Sequence[int]], pruning: tuple[list[_DayLayer], int] | None
    ) -> tuple[int, list[CourseOption]]:
        """Cheapest course through the candidate days, pruning options whose cost plus
        ``to_go`` exceeds the upper bound.  The candidate days must contain a course."""
        layers: list[list[_State]] = []
        for index, candidate_days in enumerate(days):
            states: list[_State] = []
            for day in candidate_days:
                limit = None if pruning is None else pruning[1] - pruning[0][index].cost(day)
                states.extend(self._states_on(index, day, limit))
            layers.append(states)
            self.indexes.append(self._index(states))
        final = min(layers[-1], key=lambda state: state.cost)
        return final.cost, self._backtrack(final)

    def _index(self, states: list[_State]) -> dict[int, _DayIndex]:
        by_day: dict[int, list[_State]] = {}
        for state in states:
            by_day.setdefault(state.option.day, []).append(state)
        weight = self.weights.time_shift_per_minute
        return {day: _DayIndex(group, weight) for day, group in by_day.items()}

    def _states_on(self, index: int, day: int, limit: int | None) -> Iterable[_State]:
        options = _distinct(self.calendar.options_on(day))
        if index == 0:
            rule = self.rules[0]
            costs = [self.model.first_session_cost(rule, option) for option in options]
        else:
            anchors = self._anchors(index, day)
            if not anchors:
                return []
            costs = [self._incoming(index, anchors, option) for option in options]
            costs = list(map(add, costs, map(self.model.option_cost, options)))
        return [
            _State(cost, option)
            for cost, option in zip(costs, options, strict=True)
            if limit is None or cost <= limit
        ]

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

    def _incoming(
        self, index: int, anchors: list[tuple[int, _DayIndex]], option: CourseOption
    ) -> int:
        change = self.weights.practitioner_change
        best: int | None = None
        for deviation, day_index in anchors:
            if best is not None and deviation + day_index.cheapest >= best:
                continue
            cost = deviation + day_index.best_before(option, change)
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
        change = self.weights.practitioner_change
        for deviation, day_index in self._anchors(index, option.day):
            if deviation + day_index.best_before(option, change) != incoming:
                continue
            for candidate in day_index.states:
                if (
                    candidate.cost + self.model.transition_cost(rule, candidate.option, option)
                    == incoming
                ):
                    return candidate
        raise AssertionError("no predecessor matches the state's cost")


def _distinct(options: Sequence[CourseOption]) -> list[CourseOption]:
    """The first option per (practitioner, time of day): the rest are interchangeable."""
    seen: dict[tuple[str, int], CourseOption] = {}
    for option in options:
        seen.setdefault((option.slot.practitioner, option.minute_of_day), option)
    return list(seen.values())


__all__ = ["plan_course"]
