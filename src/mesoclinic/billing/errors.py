"""Refusal codes of billing (the ``code`` of the error envelope)."""

from __future__ import annotations

from enum import StrEnum


class BillingErrorCode(StrEnum):
    ONLINE_PAYMENT_UNAVAILABLE = "online_payment_unavailable"
    NOTHING_TO_PAY = "nothing_to_pay"
    UNKNOWN_PAYMENT = "unknown_payment"
    CARD_NUMBER_INVALID = "card_number_invalid"
