"""Money as the API shows it: ``{"amount": "300.00", "currency": "GBP"}``."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

CURRENCY = "GBP"
PENNY = Decimal("0.01")


class MoneyDict(TypedDict):
    amount: str
    currency: str


def money(amount: Decimal | int, currency: str = CURRENCY) -> MoneyDict:
    """The JSON form of an amount, always with two decimals."""
    return {"amount": str(Decimal(amount).quantize(PENNY)), "currency": currency}
