"""Deposits paid online: start a checkout with the configured provider, and record the
deposit when the provider says it was paid (once, however often the client comes back).
See :mod:`mesoclinic.billing.providers`."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import OnlinePayment, OnlinePaymentStatus, Payment, PaymentKind
from mesoclinic.billing.policy import cancellation_policy
from mesoclinic.billing.providers import SANDBOX_CARDS, SandboxProvider, payment_provider
from mesoclinic.billing.services import payment_record
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput, NotFound, RuleRefused
from mesoclinic.scheduling.models import Appointment, AppointmentStatus


def deposit_due(*, appointment: Appointment) -> Decimal:
    """The deposit the policy asks for this appointment, less deposits already held."""
    asked = cancellation_policy().deposit_for(appointment.price)
    held = Payment.objects.filter(appointment=appointment, kind=PaymentKind.DEPOSIT).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    return max(asked - held, Decimal("0.00"))


def online_deposit_due(*, appointment: Appointment) -> Decimal | None:
    """The deposit the client can pay online for this appointment now, or None (no
    provider, not booked, already started, or nothing left to pay)."""
    if (
        payment_provider() is None
        or appointment.status != AppointmentStatus.BOOKED
        or appointment.start <= clock.now()
    ):
        return None
    due = deposit_due(appointment=appointment)
    return due if due > 0 else None


def deposit_checkout_start(*, actor: Actor, appointment: Appointment) -> OnlinePayment:
    """Ask the provider for a payment intent for the deposit due; the client pays on the
    provider's checkout page (``checkout_url`` of the provider's intent)."""
    provider = payment_provider()
    if provider is None:
        raise RuleRefused(
            Code.ONLINE_PAYMENT_UNAVAILABLE,
            "Deposits are paid at the clinic: online payment is not set up.",
        )
    due = online_deposit_due(appointment=appointment)
    if due is None:
        raise RuleRefused(Code.NOTHING_TO_PAY, "There is no deposit to pay for this appointment.")
    intent = provider.create_intent(amount=due, reference=f"appointment-{appointment.pk}")
    with transaction.atomic():
        online = OnlinePayment.objects.create(
            appointment=appointment,
            provider=provider.code,
            intent_id=intent.id,
            amount=due,
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="payment.online_start",
            obj=online,
            client_id=appointment.client_id,
            summary=f"£{due} deposit checkout for appointment {appointment.pk}",
        )
    return online


def deposit_checkout_finish(*, actor: Actor, intent_id: str) -> OnlinePayment:
    """Record the deposit if the provider says the intent succeeded (idempotent)."""
    provider = payment_provider()
    if provider is None:
        raise RuleRefused(Code.ONLINE_PAYMENT_UNAVAILABLE, "Online payment is not set up.")
    try:
        intent = provider.intent(intent_id)
    except LookupError:
        raise NotFound(Code.UNKNOWN_PAYMENT, "No such payment.") from None
    with transaction.atomic():
        online = OnlinePayment.objects.select_for_update().get(
            provider=provider.code, intent_id=intent.id
        )
        if intent.status == OnlinePaymentStatus.SUCCEEDED and online.payment_id is None:
            online.payment = payment_record(
                actor=actor,
                appointment=online.appointment,
                kind=PaymentKind.DEPOSIT,
                method="card",
                amount=online.amount,
                reference=online.intent_id,
                note=f"Paid online ({provider.code})",
            )
        online.status = intent.status
        online.settled_at = online.settled_at or (
            clock.now() if intent.status != OnlinePaymentStatus.PENDING else None
        )
        online.save(update_fields=["payment", "status", "settled_at"])
    return online


def sandbox_pay(*, intent_id: str, card_number: str) -> OnlinePayment:
    """The sandbox provider's checkout: a test card succeeds or is declined; no money
    moves and the number is not kept."""
    digits = "".join(ch for ch in card_number if ch.isascii() and ch.isdigit())
    if digits not in SANDBOX_CARDS:
        raise InvalidInput(
            Code.CARD_NUMBER_INVALID,
            "Use a test card: 4242 4242 4242 4242 (paid) or 4000 0000 0000 0002 (declined).",
            details={"field": "card_number"},
        )
    with transaction.atomic():
        online = (
            OnlinePayment.objects.select_for_update()
            .filter(provider=SandboxProvider.code, intent_id=intent_id)
            .first()
        )
        if online is None:
            raise NotFound(Code.UNKNOWN_PAYMENT, "No such payment.")
        if online.status == OnlinePaymentStatus.PENDING:
            online.status = (
                OnlinePaymentStatus.SUCCEEDED
                if SANDBOX_CARDS[digits]
                else OnlinePaymentStatus.FAILED
            )
            online.save(update_fields=["status"])
    return online
