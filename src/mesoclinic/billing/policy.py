"""The clinic's cancellation and deposit policy (course quotes: ``catalogue.pricing``).

A client may move or cancel an appointment online until ``notice_hours`` before it starts
(default 48 h, configurable). Inside the notice period the change must go through the
clinic, and a cancellation forfeits the deposit (when ``forfeit_deposit`` is on). The rules
are shown to the client before they book (:meth:`CancellationPolicy.summary`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from mesoclinic.catalogue.pricing import (  # the course prices, shared with the planner
    CourseQuote,
    Package,
    QuoteLine,
    course_packages,
    course_quote,
)

PENNY = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CancellationPolicy:
    """How much notice a client must give, and what a deposit is and when it is lost."""

    notice_hours: int = 48
    deposit_percent: Decimal = Decimal("0")
    forfeit_deposit: bool = True

    def __post_init__(self) -> None:
        if self.notice_hours < 0:
            raise ValueError("notice_hours must not be negative")
        if not Decimal("0") <= self.deposit_percent <= Decimal("100"):
            raise ValueError("deposit_percent must be between 0 and 100")

    def deadline(self, start: dt.datetime) -> dt.datetime:
        """The last moment the client may move or cancel online."""
        return start - dt.timedelta(hours=self.notice_hours)

    def can_change_online(self, *, start: dt.datetime, now: dt.datetime) -> bool:
        """Whether the client may still move or cancel the appointment themselves."""
        if start.tzinfo is None or now.tzinfo is None:
            raise ValueError("start and now must be timezone-aware")
        return now <= self.deadline(start)

    def deposit_for(self, price: Decimal) -> Decimal:
        """The deposit asked for an appointment at ``price``."""
        return (price * self.deposit_percent / 100).quantize(PENNY, rounding=ROUND_HALF_UP)

    def forfeits_deposit(self, *, start: dt.datetime, now: dt.datetime) -> bool:
        """Whether cancelling at ``now`` loses the deposit."""
        return self.forfeit_deposit and not self.can_change_online(start=start, now=now)

    def summary(self) -> str:
        """The policy in one or two plain sentences, shown before booking and in emails."""
        notice = _hours_in_words(self.notice_hours)
        text = (
            f"You can move or cancel your appointment online up to {notice} before it "
            "starts. After that, please call us."
        )
        if self.deposit_percent > 0:
            text += f" We ask for a deposit of {self.deposit_percent.normalize():f}% of the price"
            text += (
                "; it is kept if you cancel later than that or do not come."
                if self.forfeit_deposit
                else ", refunded if you cancel."
            )
        return text


def _hours_in_words(hours: int) -> str:
    if hours and hours % 24 == 0:
        days = hours // 24
        return f"{hours} hours ({days} day{'s' if days != 1 else ''})"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def cancellation_policy() -> CancellationPolicy:
    """The clinic's policy (``people.policy``: set in the app, else in settings)."""
    from mesoclinic.people.policy import policy_value

    return CancellationPolicy(
        notice_hours=int(policy_value("CANCELLATION_NOTICE_HOURS")),
        deposit_percent=Decimal(str(policy_value("DEPOSIT_PERCENT"))),
        forfeit_deposit=bool(policy_value("FORFEIT_DEPOSIT")),
    )


__all__ = [
    "CancellationPolicy",
    "CourseQuote",
    "Package",
    "QuoteLine",
    "cancellation_policy",
    "course_packages",
    "course_quote",
]
