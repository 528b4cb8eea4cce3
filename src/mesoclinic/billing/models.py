"""Quotes for courses and the record of money taken and given back (no card processing),
and the client's account: no-show fees and credit, prepaid course packages, gift vouchers.

Every balance here is a sum over an append-only ledger (``AccountEntry``, ``PackageEntry``,
``VoucherRedemption``): rows are only ever added, so a balance cannot drift from its
history. ``AppendOnly`` refuses to save a row twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

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
    CREDIT = "credit", "Account credit"
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


# --- The client's account: append-only ledgers ---------------------------------------------


class AppendOnly(models.Model):
    """A ledger row: written once, never changed (corrections are new rows)."""

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AccountEntryKind(models.TextChoices):
    NO_SHOW_FEE = "no_show_fee", "No-show fee"
    FEE_PAID = "fee_paid", "No-show fee paid"
    CREDIT_REFUND = "credit_refund", "Credit from a refund"
    CREDIT_GOODWILL = "credit_goodwill", "Goodwill credit"
    CREDIT_SPENT = "credit_spent", "Credit spent on a payment"


FEE_KINDS = (AccountEntryKind.NO_SHOW_FEE, AccountEntryKind.FEE_PAID)
CREDIT_KINDS = (
    AccountEntryKind.CREDIT_REFUND,
    AccountEntryKind.CREDIT_GOODWILL,
    AccountEntryKind.CREDIT_SPENT,
)


class AccountEntry(AppendOnly):
    """One movement on a client's account. Amounts are positive; the kind says which way:
    fees owed = no-show fees less fees paid; credit = refund and goodwill credit less credit
    spent. At most one no-show fee per appointment."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="account_entries")
    kind = models.CharField(max_length=16, choices=AccountEntryKind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # (named relations, not "+": erasure walks them to delete what depends on a row)
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_entries",
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="account_entries"
    )
    method = models.CharField(max_length=16, choices=PaymentMethod.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "account entries"
        indexes = [models.Index(fields=["client", "kind"], name="account_entry_client_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="account_entry_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=AccountEntryKind.values), name="account_entry_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(kind="no_show_fee"),
                name="account_entry_one_no_show_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} £{self.amount} for client {self.client_id}"


class CoursePackage(models.Model):
    """A prepaid course package a client bought: ``sessions`` of ``treatment`` for ``price``.
    What is used and left is the sum of its :class:`PackageEntry` ledger."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="packages")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    sessions = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    sold_at = models.DateTimeField()
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sold_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions__gte=1, sessions__lte=52), name="package_sessions_range"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sessions} × {self.treatment.code} for client {self.client_id}"


class PackageEntryKind(models.TextChoices):
    BOUGHT = "bought", "Sessions bought"
    USED = "used", "Session used"
    REFUNDED = "refunded", "Unused sessions refunded"


class PackageEntry(AppendOnly):
    """One line of a package's session ledger: ``+sessions`` bought, ``-1`` per attended
    session (one per appointment, across all packages), and at most one ``refunded`` line
    taking the sessions left off the package, with the money given back (``amount``, by
    ``method``)."""

    package = models.ForeignKey(CoursePackage, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=PackageEntryKind.choices)
    sessions = models.SmallIntegerField()
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="package_entries",
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices, blank=True)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "package entries"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="bought") & Q(sessions__gt=0) & Q(appointment__isnull=True))
                | (Q(kind="used") & Q(sessions=-1) & Q(appointment__isnull=False))
                | (
                    Q(kind="refunded")
                    & Q(sessions__lt=0)
                    & Q(appointment__isnull=True)
                    & Q(amount__gte=0)
                ),
                name="package_entry_sign_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(kind="used"),
                name="package_entry_one_use_per_appointment",
            ),
            models.UniqueConstraint(
                fields=["package"],
                condition=Q(kind="refunded"),
                name="package_entry_one_refund_per_package",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sessions} of package {self.package_id}"


class GiftVoucher(models.Model):
    """A gift voucher: a code worth ``value`` until ``expires_on``; spent by redemptions.
    Sold for its value by ``method`` (money taken the day it was issued), or given away
    (``none``: no money taken). A :class:`VoucherVoid` ends what is left of it."""

    code = models.CharField(max_length=20, unique=True)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    expires_on = models.DateField()
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vouchers",
        help_text="Who holds it (shown in their portal), when known.",
    )
    method = models.CharField(
        max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.NONE
    )
    note = models.CharField(max_length=300, blank=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="voucher_value_positive"),
        ]

    def __str__(self) -> str:
        return f"Voucher {self.code} £{self.value}"


class VoucherRedemption(AppendOnly):
    """Part of a voucher spent on a payment (the payment's method is ``voucher``)."""

    voucher = models.ForeignKey(GiftVoucher, on_delete=models.PROTECT, related_name="redemptions")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="redemption")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="voucher_redemption_positive"),
        ]

    def __str__(self) -> str:
        return f"£{self.amount} of voucher {self.voucher_id}"


class VoucherVoid(AppendOnly):
    """A voucher voided: what was left on it (``amount``) can no longer be spent; of that,
    ``refunded`` was given back by ``method`` (``none`` and nothing when it was given away
    or the money is kept)."""

    voucher = models.OneToOneField(GiftVoucher, on_delete=models.PROTECT, related_name="void")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    refunded = models.DecimalField(max_digits=10, decimal_places=2)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="voucher_void_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("amount")),
                name="voucher_void_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"£{self.amount} of voucher {self.voucher_id} voided"
