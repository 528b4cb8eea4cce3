"""Writes for billing: quotes and the payment record. Every write is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum

from mesoclinic.billing.models import Payment, PaymentKind, PaymentMethod, Quote
from mesoclinic.billing.policy import cancellation_policy, course_packages, course_quote
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment, Course

QUOTE_VALID_DAYS = 30


def quote_create(
    *, actor: Actor, treatment: Treatment, sessions: int, client: Client | None = None
) -> Quote:
    """Record a quote for ``sessions`` of ``treatment`` with the configured package discounts."""
    if not 1 <= sessions <= 52:
        raise InvalidInput("invalid_sessions", "A quote is for 1 to 52 sessions.")
    priced = course_quote(
        sessions=sessions, session_price=treatment.price, packages=course_packages()
    )
    with transaction.atomic():
        quote = Quote.objects.create(
            client=client,
            treatment=treatment,
            sessions=sessions,
            session_price=treatment.price,
            subtotal=priced.subtotal,
            discount=priced.discount,
            discount_name=priced.discount_name,
            total=priced.total,
            created_at=clock.now(),
            valid_until=clock.today() + dt.timedelta(days=QUOTE_VALID_DAYS),
        )
        audit_record(
            actor=actor,
            action="quote.create",
            obj=quote,
            client_id=client.pk if client else None,
            summary=f"{sessions} × {treatment.code} = £{priced.total}",
        )
    return quote


def course_quote_record(*, actor: Actor, course: Course) -> Quote:
    """The quote of a course just booked: its sessions at the treatment's price less the
    package discount, the same total as the course's own price."""
    return quote_create(
        actor=actor,
        treatment=course.treatment,
        sessions=course.appointments.count(),
        client=course.client,
    )


def _amount(value: Decimal | str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidInput("invalid_amount", "The amount is not a number.") from None
    if amount <= 0:
        raise InvalidInput("invalid_amount", "The amount must be more than zero.")
    return amount


def appointment_balance(*, appointment: Appointment) -> Decimal:
    """Money held for an appointment: deposits and payments less refunds."""
    totals = {
        row["kind"]: row["total"]
        for row in Payment.objects.filter(appointment=appointment)
        .values("kind")
        .annotate(total=Sum("amount"))
    }
    taken = totals.get(PaymentKind.DEPOSIT, 0) + totals.get(PaymentKind.PAYMENT, 0)
    return Decimal(taken) - Decimal(totals.get(PaymentKind.REFUND, 0))


def payment_record(
    *,
    actor: Actor,
    appointment: Appointment,
    kind: str,
    method: str,
    amount: Decimal | str,
    reference: str = "",
    note: str = "",
) -> Payment:
    """Record a deposit, payment or refund against an appointment (record-keeping only).

    A refund may not exceed what is held for the appointment.
    """
    if kind not in (PaymentKind.DEPOSIT, PaymentKind.PAYMENT, PaymentKind.REFUND):
        raise InvalidInput("invalid_kind", "Record a deposit, a payment or a refund.")
    if method not in PaymentMethod.values:
        raise InvalidInput(
            "invalid_method", f"Method must be one of {', '.join(PaymentMethod.values)}."
        )
    value = _amount(amount)
    with transaction.atomic():
        if kind == PaymentKind.REFUND and value > appointment_balance(appointment=appointment):
            raise RuleRefused(
                "refund_exceeds_payments",
                "A refund cannot be more than was paid for this appointment.",
                details={"held": str(appointment_balance(appointment=appointment))},
            )
        payment = Payment.objects.create(
            appointment=appointment,
            kind=kind,
            method=method,
            amount=value,
            reference=reference.strip()[:120],
            note=note.strip()[:300],
            recorded_at=clock.now(),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,  # type: ignore[misc]
        )
        audit_record(
            actor=actor,
            action=f"payment.{kind}",
            obj=payment,
            client_id=appointment.client_id,
            summary=f"£{value} {method} for appointment {appointment.pk}",
        )
    return payment


def deposit_settle_on_cancel(*, actor: Actor, appointment: Appointment) -> Payment | None:
    """When an appointment is cancelled: refund the deposit in notice, or record it kept.

    Returns the refund or forfeit row, or None when no deposit was taken.
    """
    deposits = Payment.objects.filter(appointment=appointment, kind=PaymentKind.DEPOSIT)
    held = sum((payment.amount for payment in deposits), Decimal("0"))
    if held <= 0:
        return None
    policy = cancellation_policy()
    forfeit = policy.forfeits_deposit(start=appointment.start, now=clock.now())
    with transaction.atomic():
        payment = Payment.objects.create(
            appointment=appointment,
            kind=PaymentKind.FORFEIT if forfeit else PaymentKind.REFUND,
            method=PaymentMethod.NONE if forfeit else deposits.last().method,  # type: ignore[union-attr]
            amount=held,
            note="Late cancellation: deposit kept"
            if forfeit
            else "Cancelled in notice: deposit refunded",
            recorded_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="payment.forfeit" if forfeit else "payment.refund",
            obj=payment,
            client_id=appointment.client_id,
            summary=payment.note,
        )
    return payment
