"""Response-adaptive maintenance intervals (domain.md §2 and §6), as pure functions.

After a course, maintenance sessions recur every 91 days "or more frequently depending on
the skin's response". The rule implemented here: shorten the interval (default 91 -> 56
days, both configurable per clinic through :class:`MaintenanceConfig`) when either signal
says the response is slipping:

- the indication's primary scale has *worsened* since the previous maintenance visit (or
  baseline): a higher latest score on a lower-is-better scale, a lower one on a
  higher-is-better scale (hair density). An equal score is not a worsening.
- the latest GAIS is 4 (no change) or 5 (worse): no response.

Either signal alone is enough: a clinic would rather see a slipping client early than
late. With neither signal available (no earlier score, no GAIS) the default interval
stands. Scores are compared as numbers; for ordinal scales written as categories pass
:func:`mesoclinic.records.scales.ordinal_rank` values.

Nothing here imports Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from mesoclinic.records.scales import Direction

__all__ = [
    "DEFAULT_MAINTENANCE_CONFIG",
    "GAIS_NO_RESPONSE",
    "MaintenanceConfig",
    "MaintenanceDecision",
    "MaintenanceReason",
    "Score",
    "decide_maintenance_interval",
    "next_maintenance_target",
]

Score = int | float | Decimal

GAIS_NO_RESPONSE = frozenset({4, 5})
"""GAIS 4 (no change) and 5 (worse) mean the treatment is not working (domain.md §6)."""


class MaintenanceReason(StrEnum):
    """Why an interval was chosen; stable snake_case codes for the API and the audit log."""

    SCORE_WORSENED = "score_worsened"
    GAIS_NO_RESPONSE = "gais_no_response"
    SCORE_IMPROVED = "score_improved"
    SCORE_UNCHANGED = "score_unchanged"
    GAIS_RESPONDING = "gais_responding"
    NO_COMPARISON = "no_comparison"


@dataclass(frozen=True, slots=True)
class MaintenanceConfig:
    """A clinic's maintenance intervals in days (defaults from domain.md §2)."""

    default_interval_days: int = 91
    shortened_interval_days: int = 56

    def __post_init__(self) -> None:
        for name in ("default_interval_days", "shortened_interval_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of days of at least 1.")
        if self.shortened_interval_days > self.default_interval_days:
            raise ValueError(
                "shortened_interval_days must not exceed default_interval_days "
                f"({self.shortened_interval_days} > {self.default_interval_days})."
            )


DEFAULT_MAINTENANCE_CONFIG = MaintenanceConfig()


@dataclass(frozen=True, slots=True)
class MaintenanceDecision:
    """The interval to the next maintenance session and why it was chosen."""

    interval_days: int
    shortened: bool
    reason: MaintenanceReason
    message: str


def decide_maintenance_interval(
    *,
    direction: Direction,
    previous_score: Score | None = None,
    latest_score: Score | None = None,
    latest_gais: int | None = None,
    config: MaintenanceConfig = DEFAULT_MAINTENANCE_CONFIG,
) -> MaintenanceDecision:
    """Choose the next maintenance interval from the response to treatment.

    ``previous_score`` is the primary scale's score at the previous maintenance visit (or
    at baseline) and ``latest_score`` the newest one; both are needed to compare.
    ``latest_gais`` is the newest GAIS (1-5). A worsened score takes precedence over GAIS
    in the reported reason; either shortens the interval. Raises ValueError for a boolean,
    NaN or infinite score, a GAIS outside 1-5, or scores on a scale with no direction.
    """
    direction = Direction(direction)
    _check_score("previous_score", previous_score)
    _check_score("latest_score", latest_score)
    _check_gais(latest_gais)
    comparison = _compare(direction, previous_score, latest_score)
    no_response = latest_gais in GAIS_NO_RESPONSE
    if comparison is MaintenanceReason.SCORE_WORSENED:
        message = f"Primary score worsened from {previous_score} to {latest_score}"
        if no_response:
            message += f", and GAIS is {latest_gais} (no response)"
        return _shortened(config, comparison, message)
    if no_response:
        return _shortened(
            config, MaintenanceReason.GAIS_NO_RESPONSE, f"GAIS is {latest_gais} (no response)"
        )
    return _kept(config, comparison, previous_score, latest_score, latest_gais)


def next_maintenance_target(last_session_day: date, decision: MaintenanceDecision) -> date:
    """Target date of the next maintenance session: the last session's actual day + interval.

    Takes a calendar ``date`` (the site-local day), never a ``datetime``.
    """
    if isinstance(last_session_day, datetime):
        raise TypeError("last_session_day must be a date, not a datetime.")
    return last_session_day + timedelta(days=decision.interval_days)


def _compare(
    direction: Direction, previous: Score | None, latest: Score | None
) -> MaintenanceReason:
    if previous is None or latest is None:
        return MaintenanceReason.NO_COMPARISON
    if direction is Direction.NOT_APPLICABLE:
        raise ValueError(
            "A scale with no direction (a baseline descriptor) cannot guide maintenance."
        )
    if latest == previous:
        return MaintenanceReason.SCORE_UNCHANGED
    got_higher = latest > previous
    worse = got_higher if direction is Direction.LOWER_IS_BETTER else not got_higher
    return MaintenanceReason.SCORE_WORSENED if worse else MaintenanceReason.SCORE_IMPROVED


def _shortened(
    config: MaintenanceConfig, reason: MaintenanceReason, message: str
) -> MaintenanceDecision:
    return MaintenanceDecision(
        interval_days=config.shortened_interval_days,
        shortened=True,
        reason=reason,
        message=f"{message}: next maintenance in {config.shortened_interval_days} days.",
    )


def _kept(
    config: MaintenanceConfig,
    comparison: MaintenanceReason,
    previous: Score | None,
    latest: Score | None,
    latest_gais: int | None,
) -> MaintenanceDecision:
    if comparison is MaintenanceReason.NO_COMPARISON and latest_gais is not None:
        reason, message = MaintenanceReason.GAIS_RESPONDING, f"GAIS is {latest_gais} (responding)"
    elif comparison is MaintenanceReason.NO_COMPARISON:
        reason, message = comparison, "No earlier score or GAIS to compare"
    else:
        verb = "improved" if comparison is MaintenanceReason.SCORE_IMPROVED else "held"
        reason, message = comparison, f"Primary score {verb} ({previous} -> {latest})"
    return MaintenanceDecision(
        interval_days=config.default_interval_days,
        shortened=False,
        reason=reason,
        message=f"{message}: next maintenance in {config.default_interval_days} days.",
    )


def _check_score(name: str, value: Score | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{name} must be a number, not {value!r}.")
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        raise ValueError(f"{name} must be a finite number, not {value!r}.")


def _check_gais(value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError(f"latest_gais must be a whole number from 1 to 5, not {value!r}.")
