"""Course prices: sessions × the treatment's price, less the best package discount the
course earns. One computation for the public pages, the staff planner, the booked course
and its quote, so a client is quoted one price everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

PENNY = Decimal("0.01")


class NoShowPreset(StrEnum):
    """What a missed appointment costs, per treatment, from flexible to strict (the rule
    itself: ``billing.policy.NoShowRule``)."""

    FLEXIBLE = "flexible"  # nothing: a deposit stays the client's
    MODERATE = "moderate"  # the deposit is kept
    STRICT = "strict"  # the deposit is kept and a fee of a share of the price is due


NO_SHOW_PRESET_LABELS = {
    NoShowPreset.FLEXIBLE: "Flexible: nothing is charged",
    NoShowPreset.MODERATE: "Moderate: the deposit is kept",
    NoShowPreset.STRICT: "Strict: the deposit is kept and a fee is charged",
}
DEFAULT_NO_SHOW_PRESET = NoShowPreset.MODERATE
DEFAULT_NO_SHOW_FEE_PERCENT = Decimal("50")


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


def course_packages() -> tuple[Package, ...]:
    """The clinic's course packages (``people.policy``: set in the app, else in settings)."""
    from mesoclinic.people.policy import policy_value

    packages: Any = policy_value("COURSE_PACKAGES")
    return tuple(
        Package(int(item["min_sessions"]), Decimal(str(item["percent"])), item.get("name", ""))
        for item in packages
    )
