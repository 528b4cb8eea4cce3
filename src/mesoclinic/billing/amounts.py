"""What every write on a client's account shares: amounts of money, the ways money is
taken, who recorded a row, and the check that a voucher or credit pays no more than is
left to pay for an appointment."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Sum

from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import Payment, PaymentKind, PaymentMethod
from mesoclinic.core.audit import Actor
from mesoclinic.core.errors import Conflict, InvalidInput
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment

PENNY = Decimal("0.01")
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
TAKING_METHODS = (
    PaymentMethod.CARD,
    PaymentMethod.CASH,
    PaymentMethod.BANK_TRANSFER,
)


def recorder(actor: Actor) -> Any:
    """The user to name as having recorded a row (none for the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def money_amount(value: Decimal | str | int) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(PENNY)
    except InvalidOperation:
        raise InvalidInput(
            Code.INVALID_AMOUNT, "The amount is not a number.", details={"field": "amount"}
        ) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("100000"):
        raise InvalidInput(
            Code.INVALID_AMOUNT,
            "The amount must be more than zero and less than £100,000.",
            details={"field": "amount"},
        )
    return amount


def taking_method(method: str) -> PaymentMethod:
    if method not in TAKING_METHODS:
        raise InvalidInput(
            Code.INVALID_METHOD,
            f"Method must be one of {', '.join(TAKING_METHODS)}.",
            details={"field": "method"},
        )
    return PaymentMethod(method)


def lock_client(client: Client) -> Client:
    return Client.objects.select_for_update().get(pk=client.pk)


def check_payment_fits(appointment: Appointment, value: Decimal) -> None:
    """A voucher or credit pays at most what is still to pay for the appointment."""
    totals = {
        row["kind"]: row["total"]
        for row in Payment.objects.filter(appointment=appointment)
        .values("kind")
        .annotate(total=Sum("amount"))
    }
    paid = (
        Decimal(totals.get(PaymentKind.DEPOSIT, 0))
        + Decimal(totals.get(PaymentKind.PAYMENT, 0))
        - Decimal(totals.get(PaymentKind.REFUND, 0))
    )
    to_pay = max(appointment.price - paid, Decimal("0"))
    if value > to_pay:
        raise Conflict(
            Code.PAYMENT_EXCEEDS_PRICE,
            f"Only £{to_pay} is left to pay for this appointment.",
            details={"to_pay": str(to_pay), "field": "amount"},
        )
