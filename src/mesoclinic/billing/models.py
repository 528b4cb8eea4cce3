"""Quotes for courses and the record of money taken and given back (no card processing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment


class Quote(models.Model):
    """What a course of ``sessions`` would cost, as quoted to a client on a day."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    sessions = models.PositiveSmallIntegerField()
    session_price = models.DecimalField(max_digits=8, decimal_places=2)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    discount_name = models.CharField(max_length=120, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField()
    valid_until = models.DateField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gte=1), name="quote_sessions_min"),
            models.CheckConstraint(condition=Q(total__gte=0), name="quote_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Quote {self.pk}: {self.sessions} × {self.treatment.code}"


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    FORFEIT = "forfeit", "Deposit kept (late cancellation)"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card (terminal)"
    CASH = "cash", "Cash"
    BANK_TRANSFER = "bank-transfer", "Bank transfer"
    VOUCHER = "voucher", "Voucher"
    NONE = "none", "No money moved"


class Payment(models.Model):
    """Money recorded against an appointment. Amounts are positive; a refund gives money back."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reference = models.CharField(max_length=120, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=PaymentKind.values), name="payment_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} £{self.amount} for appointment {self.appointment_id}"


class OnlinePaymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the client"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Declined"


class OnlinePayment(models.Model):
    """A deposit paid online through the clinic's payment provider: the provider's
    payment intent and what became of it. No card data is ever held here."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="online_payments"
    )
    provider = models.CharField(max_length=20)
    intent_id = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=12, choices=OnlinePaymentStatus.choices, default=OnlinePaymentStatus.PENDING
    )
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="online"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="online_payment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.intent_id} £{self.amount} {self.status}"
