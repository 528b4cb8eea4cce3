"""The clinic's cancellation and deposit policy, and course quotes: pure, no Django models.

A client may move or cancel an appointment online until ``notice_hours`` before it starts
(default 48 h, configurable). Inside the notice period the change must go through the
clinic, and a cancellation forfeits the deposit (when ``forfeit_deposit`` is on). The rules
are shown to the client before they book (:meth:`CancellationPolicy.summary`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Package:
    """A course discount: ``percent`` off when at least ``min_sessions`` are bought together."""

    min_sessions: int
    percent: Decimal
    name: str = ""


@dataclass(frozen=True, slots=True)
class QuoteLine:
    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CourseQuote:
    """Sessions × price, less the best package discount that applies."""

    sessions: int
    session_price: Decimal
    subtotal: Decimal
    discount: Decimal
    discount_name: str
    total: Decimal

    @property
    def lines(self) -> list[QuoteLine]:
        lines = [QuoteLine(f"{self.sessions} × session", self.subtotal)]
        if self.discount:
            lines.append(QuoteLine(self.discount_name, -self.discount))
        return lines


def course_quote(
    *, sessions: int, session_price: Decimal, packages: tuple[Package, ...] = ()
) -> CourseQuote:
    """Quote ``sessions`` at ``session_price``, applying the largest package discount earned."""
    if sessions < 1:
        raise ValueError("A quote needs at least one session.")
    subtotal = (session_price * sessions).quantize(PENNY)
    eligible = [package for package in packages if sessions >= package.min_sessions]
    best = max(eligible, key=lambda package: package.percent, default=None)
    discount = (
        (subtotal * best.percent / 100).quantize(PENNY, rounding=ROUND_HALF_UP)
        if best
        else Decimal("0.00")
    )
    name = (best.name or f"{best.percent.normalize():f}% course discount") if best else ""
    return CourseQuote(sessions, session_price, subtotal, discount, name, subtotal - discount)


def cancellation_policy() -> CancellationPolicy:
    """The clinic's policy from ``settings.MESOCLINIC``."""
    from django.conf import settings

    policy: dict[str, Any] = settings.MESOCLINIC
    return CancellationPolicy(
        notice_hours=int(policy.get("CANCELLATION_NOTICE_HOURS", 48)),
        deposit_percent=Decimal(str(policy.get("DEPOSIT_PERCENT", "0"))),
        forfeit_deposit=bool(policy.get("FORFEIT_DEPOSIT", True)),
    )


def course_packages() -> tuple[Package, ...]:
    """The configured course packages (``MESOCLINIC["COURSE_PACKAGES"]``)."""
    from django.conf import settings

    packages: Any = settings.MESOCLINIC.get("COURSE_PACKAGES", ())
    return tuple(
        Package(int(item["min_sessions"]), Decimal(str(item["percent"])), item.get("name", ""))
        for item in packages
    )
