"""Outcomes across clients: the change from baseline after each number of sessions, with
its 95 % confidence interval and the share of responders (issue 16, item 2).

Pure: no Django, no numpy. Student's t quantile is computed here from the regularised
incomplete beta function (a continued fraction evaluated by the modified Lentz method),
so the confidence interval is the textbook ``mean ± t(0.975, n-1) · s / √n``; the tests
check it against scipy.

Responders are judged by each scale's own rule (:data:`RESPONDER_RULES`): a relative
reduction for the area-and-severity indices, one grade or point better for graded scales,
"improved" for GAIS (which is itself a rating of change, so it has no baseline).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mesoclinic.records.scales import SCALES, Direction

CONFIDENCE = 0.95
EPSILON = 1e-12
MAX_ITERATIONS = 300


# --- Student's t ------------------------------------------------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, MAX_ITERATIONS + 1):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < EPSILON:
            break
    return result


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (0 < p < 1), by bisection on :func:`t_cdf`."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1.")
    if p == 0.5:
        return 0.0
    low, high = -1.0, 1.0
    while t_cdf(low, df) > p:
        low *= 2.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-10:
            break
    return (low + high) / 2.0


@dataclass(frozen=True, slots=True)
class MeanInterval:
    n: int
    mean: float
    low: float | None
    high: float | None


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> MeanInterval:
    """The mean of ``values`` and its t-based confidence interval (None below two values)."""
    n = len(values)
    if n == 0:
        raise ValueError("No values to summarise.")
    mean = statistics.fmean(values)
    if n < 2:
        return MeanInterval(n, mean, None, None)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return MeanInterval(n, mean, mean - half, mean + half)


# --- responders -------------------------------------------------------------------------


class Threshold(StrEnum):
    """How a responder rule measures the change."""

    SHARE = "share"  # a share of the baseline, in the scale's better direction
    POINTS = "points"  # points or grades, in the scale's better direction
    RATED_AT_MOST = "rated_at_most"  # a rating scale: the rating itself, at most this


@dataclass(frozen=True, slots=True)
class ResponderRule:
    """A scale's responder definition: ``amount`` measured as ``threshold``."""

    text: str
    source: str
    threshold: Threshold
    amount: float

    def responded(self, scale: str, baseline: float | None, later: float) -> bool:
        """Did a client with this baseline (None for a rating scale) and later score respond?"""
        if self.threshold is Threshold.RATED_AT_MOST:
            return later <= self.amount
        if baseline is None:
            return False
        better = later - baseline
        if SCALES[scale].direction is Direction.LOWER_IS_BETTER:
            better = -better
        if self.threshold is Threshold.POINTS:
            return better >= self.amount
        return bool(baseline) and better / baseline >= self.amount


def _one_step(text: str, source: str) -> ResponderRule:
    return ResponderRule(text, source, Threshold.POINTS, 1)


RESPONDER_RULES: dict[str, ResponderRule] = {
    "masi": ResponderRule(
        "at least 50 % lower than at baseline (MASI-50)",
        "MASI-50, the usual responder end point of melasma trials",
        Threshold.SHARE,
        0.5,
    ),
    "mmasi": ResponderRule(
        "at least 50 % lower than at baseline (mMASI-50)",
        "as MASI-50, on the modified index (Pandya et al., JAAD 2011)",
        Threshold.SHARE,
        0.5,
    ),
    "hexsel-css": ResponderRule(
        "at least 2 points lower than at baseline",
        "a change of one item's grade in two of the five items (Hexsel et al., JEADV 2009)",
        Threshold.POINTS,
        2,
    ),
    "goodman-baron-qualitative": _one_step(
        "at least one grade better than at baseline",
        "one grade of the qualitative scale (Goodman & Baron, Dermatol Surg 2006)",
    ),
    "wrinkle-0-4": _one_step(
        "at least one point better than at baseline",
        "one point on a 5-point photonumeric scale, the usual responder definition",
    ),
    "sinclair": _one_step(
        "at least one grade better than at baseline", "one grade of the Sinclair scale"
    ),
    "ludwig": _one_step(
        "at least one grade better than at baseline", "one grade of the Ludwig scale"
    ),
    "hamilton-norwood": _one_step(
        "at least one stage better than at baseline", "one stage of the Hamilton–Norwood scale"
    ),
    "hair-density": ResponderRule(
        "at least 10 % more hairs per cm² than at baseline",
        "a clinic's working threshold; trichoscopy counts vary by about 10 % between visits",
        Threshold.SHARE,
        0.1,
    ),
    "gais": ResponderRule(
        "rated 1–3 (improved or better)",
        "domain.md §6: GAIS 4–5 means no response",
        Threshold.RATED_AT_MOST,
        3,
    ),
}
RATING_SCALES = frozenset({"gais"})
"""Scales that rate the change themselves: summarised as they are, with no baseline."""


# --- the table of steps -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """One client's score after ``sessions`` sessions (0 = baseline)."""

    client: int
    sessions: int
    score: float


@dataclass(frozen=True, slots=True)
class Step:
    """Across clients, after ``sessions`` sessions: the change from baseline (or, for a
    rating scale, the rating), its interval and the responders."""

    sessions: int
    interval: MeanInterval
    responders: int | None

    @property
    def n(self) -> int:
        return self.interval.n

    @property
    def responder_share(self) -> float | None:
        return None if self.responders is None else self.responders / self.n


def trajectories(readings: Iterable[Reading]) -> dict[int, list[Reading]]:
    """Each client's readings in order of sessions, one per number of sessions (the last
    one taken at that count)."""
    by_client: dict[int, dict[int, Reading]] = {}
    for reading in readings:
        by_client.setdefault(reading.client, {})[reading.sessions] = reading
    return {
        client: [steps[count] for count in sorted(steps)] for client, steps in by_client.items()
    }


@dataclass(frozen=True, slots=True)
class Change:
    """One later reading of a client: against their baseline, or a rating as it stands."""

    sessions: int
    baseline: float | None
    score: float

    @property
    def value(self) -> float:
        """What is averaged and drawn: ``score − baseline``, or the rating itself."""
        return self.score if self.baseline is None else self.score - self.baseline


def client_changes(scale: str, path: Sequence[Reading]) -> list[Change]:
    """What one client's readings (in session order) count for.

    A rating scale counts every rating. A change scale needs a baseline taken before any
    session: a first reading after treatment began is no baseline, and that client counts
    for nothing."""
    if scale in RATING_SCALES:
        return [Change(r.sessions, None, r.score) for r in path]
    baseline = path[0]
    if baseline.sessions != 0:
        return []
    return [Change(r.sessions, baseline.score, r.score) for r in path[1:]]


def outcome_steps(scale: str, readings: Iterable[Reading]) -> list[Step]:
    """The table of the scale's outcomes, one step per number of sessions after baseline
    (see :func:`client_changes` for who counts; negative change = lower)."""
    rule = RESPONDER_RULES.get(scale)
    by_sessions: dict[int, list[Change]] = {}
    for path in trajectories(readings).values():
        for change in client_changes(scale, path):
            by_sessions.setdefault(change.sessions, []).append(change)
    steps = []
    for sessions in sorted(by_sessions):
        changes = by_sessions[sessions]
        responders = (
            sum(rule.responded(scale, c.baseline, c.score) for c in changes) if rule else None
        )
        steps.append(Step(sessions, mean_interval([c.value for c in changes]), responders))
    return steps
