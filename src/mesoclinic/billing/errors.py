"""Refusal codes of billing (the ``code`` of the error envelope)."""

from __future__ import annotations

from enum import StrEnum


class BillingErrorCode(StrEnum):
    ONLINE_PAYMENT_UNAVAILABLE = "online_payment_unavailable"
    NOTHING_TO_PAY = "nothing_to_pay"
    UNKNOWN_PAYMENT = "unknown_payment"
    CARD_NUMBER_INVALID = "card_number_invalid"
    NO_SHOW_FEE_NOT_OWED = "no_show_fee_not_owed"
    FEE_PAYMENT_EXCEEDS_FEES = "fee_payment_exceeds_fees"
    INVALID_SESSIONS = "invalid_sessions"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_METHOD = "invalid_method"
    INVALID_EXPIRY = "invalid_expiry"
    VOUCHER_UNKNOWN = "voucher_unknown"
    VOUCHER_EXPIRED = "voucher_expired"
    VOUCHER_USED_UP = "voucher_used_up"
    VOUCHER_BALANCE_EXCEEDED = "voucher_balance_exceeded"
    VOUCHER_CODE_TAKEN = "voucher_code_taken"
    VOUCHER_VOIDED = "voucher_voided"
    VOUCHER_NOT_SOLD = "voucher_not_sold"
    PACKAGE_NOT_FOUND = "package_not_found"
    PACKAGE_USED_UP = "package_used_up"
    PACKAGE_REFUNDED = "package_refunded"
    CREDIT_INSUFFICIENT = "credit_insufficient"
    PAYMENT_EXCEEDS_PRICE = "payment_exceeds_price"
    REFUND_EXCEEDS_PAYMENTS = "refund_exceeds_payments"
