"""Reads for billing: a client's quotes and the money recorded against their appointments."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from mesoclinic.billing.models import Payment, PaymentKind, Quote
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment

ZERO = Decimal("0.00")


@dataclass(slots=True)
class MoneyTotals:
    """Sums by kind. ``held`` follows ``services.appointment_balance``: deposits and
    payments less refunds (a kept deposit stays held; it is only noted)."""

    deposits: Decimal = ZERO
    payments: Decimal = ZERO
    refunds: Decimal = ZERO
    forfeits: Decimal = ZERO

    @property
    def held(self) -> Decimal:
        return self.deposits + self.payments - self.refunds

    def add(self, payment: Payment) -> None:
        attribute = {
            PaymentKind.DEPOSIT: "deposits",
            PaymentKind.PAYMENT: "payments",
            PaymentKind.REFUND: "refunds",
            PaymentKind.FORFEIT: "forfeits",
        }[PaymentKind(payment.kind)]
        setattr(self, attribute, getattr(self, attribute) + payment.amount)


@dataclass(slots=True)
class AppointmentMoney:
    """One appointment with the money recorded against it, oldest first."""

    appointment: Appointment
    payments: list[Payment] = field(default_factory=list)
    totals: MoneyTotals = field(default_factory=MoneyTotals)


@dataclass(slots=True)
class ClientBilling:
    """A client's quotes (newest first) and payments grouped by appointment (by start)."""

    quotes: list[Quote]
    appointments: list[AppointmentMoney]
    totals: MoneyTotals

    @property
    def quoted_total(self) -> Decimal:
        return sum((quote.total for quote in self.quotes), ZERO)

    @property
    def empty(self) -> bool:
        return not self.quotes and not self.appointments


def client_billing(*, client: Client) -> ClientBilling:
    """Everything quoted to and recorded for ``client``, with totals, in two queries."""
    quotes = list(
        Quote.objects.filter(client=client).select_related("treatment").order_by("-created_at")
    )
    payments = (
        Payment.objects.filter(appointment__client=client)
        .select_related("appointment__treatment", "recorded_by")
        .order_by("appointment__start", "appointment_id", "recorded_at", "id")
    )
    grouped: dict[int, AppointmentMoney] = {}
    totals = MoneyTotals()
    for payment in payments:
        row = grouped.setdefault(
            payment.appointment_id, AppointmentMoney(appointment=payment.appointment)
        )
        row.payments.append(payment)
        row.totals.add(payment)
        totals.add(payment)
    return ClientBilling(quotes=quotes, appointments=list(grouped.values()), totals=totals)
