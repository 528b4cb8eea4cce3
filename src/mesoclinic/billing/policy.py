"""The clinic's cancellation, deposit and no-show policy (course quotes: ``catalogue.pricing``).

A client may move or cancel an appointment online until ``notice_hours`` before it starts
(default 48 h, configurable). Inside the notice period the change must go through the
clinic, and a cancellation forfeits the deposit (when ``forfeit_deposit`` is on). The rules
are shown to the client before they book (:meth:`CancellationPolicy.summary`).

A missed appointment (a no-show) costs what its treatment's preset says
(:class:`NoShowRule`): ``flexible`` nothing, ``moderate`` the deposit, ``strict`` the
deposit and a fee of ``fee_percent`` of the price, charged on the client's account.
Pure: no database, the caller passes the price and the deposit held.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mesoclinic.catalogue.pricing import (  # the course prices, shared with the planner
    DEFAULT_NO_SHOW_FEE_PERCENT,
    CourseQuote,
    NoShowPreset,
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

    def summary(self, no_show: NoShowRule | None = None) -> str:
        """The policy in one or two plain sentences, shown before booking and in emails;
        with a treatment's ``no_show`` rule, what a missed appointment costs as well."""
        notice = _hours_in_words(self.notice_hours)
        text = (
            f"You can move or cancel your appointment online up to {notice} before it "
            "starts. After that, please call us."
        )
        if self.deposit_percent > 0:
            text += f" We ask for a deposit of {self.deposit_percent.normalize():f}% of the price"
            if self.forfeit_deposit:
                text += "; it is kept if you cancel later than that"
                text += "." if no_show is not None else " or do not come."
            else:
                text += ", refunded if you cancel."
        if no_show is not None:
            text += " " + no_show.summary(deposit=self.deposit_percent > 0)
        return text


@dataclass(frozen=True, slots=True)
class NoShowCharge:
    """What marking an appointment a no-show takes: the deposit kept and a fee owed."""

    forfeit: Decimal
    fee: Decimal

    @property
    def nothing(self) -> bool:
        return not self.forfeit and not self.fee


@dataclass(frozen=True, slots=True)
class NoShowRule:
    """A treatment's no-show preset with the fee share the strict preset charges."""

    preset: NoShowPreset = NoShowPreset.MODERATE
    fee_percent: Decimal = DEFAULT_NO_SHOW_FEE_PERCENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "preset", NoShowPreset(self.preset))
        if not Decimal("0") <= Decimal(self.fee_percent) <= Decimal("100"):
            raise ValueError("fee_percent must be between 0 and 100")

    def charge(self, *, price: Decimal, deposit_held: Decimal) -> NoShowCharge:
        """The deposit kept and the fee due when a client misses an appointment at
        ``price`` for which ``deposit_held`` was paid."""
        if price < 0 or deposit_held < 0:
            raise ValueError("price and deposit_held must not be negative")
        forfeit = deposit_held if self.preset is not NoShowPreset.FLEXIBLE else Decimal("0")
        fee = Decimal("0")
        if self.preset is NoShowPreset.STRICT:
            fee = (price * Decimal(self.fee_percent) / 100).quantize(PENNY, rounding=ROUND_HALF_UP)
        return NoShowCharge(forfeit=forfeit.quantize(PENNY), fee=fee)

    def summary(self, *, deposit: bool = True) -> str:
        """The rule in one plain sentence for the client, before they book."""
        match self.preset:
            case NoShowPreset.FLEXIBLE:
                return "If you miss your appointment without telling us, nothing is charged."
            case NoShowPreset.MODERATE:
                if not deposit:
                    return "If you miss your appointment without telling us, nothing is charged."
                return "If you miss your appointment without telling us, the deposit is kept."
        percent = f"{Decimal(self.fee_percent).normalize():f}%"
        kept = "the deposit is kept and " if deposit else ""
        return (
            f"If you miss your appointment without telling us, {kept}a fee of {percent} of "
            "the price is added to your account."
        )


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


def no_show_rule(treatment: Any) -> NoShowRule:
    """The no-show rule of ``treatment`` (its preset and fee share, set in the settings)."""
    return NoShowRule(
        preset=NoShowPreset(treatment.no_show_policy),
        fee_percent=Decimal(str(treatment.no_show_fee_percent)),
    )


def booking_policy_summary(treatment: Any) -> str:
    """What the client reads before booking ``treatment``: notice, deposit and no-show."""
    return cancellation_policy().summary(no_show=no_show_rule(treatment))


__all__ = [
    "CancellationPolicy",
    "CourseQuote",
    "NoShowCharge",
    "NoShowPreset",
    "NoShowRule",
    "Package",
    "QuoteLine",
    "booking_policy_summary",
    "cancellation_policy",
    "course_packages",
    "course_quote",
    "no_show_rule",
]
