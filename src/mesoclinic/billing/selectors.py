"""Reads for billing: a client's quotes, the money recorded against their appointments, and
their account (no-show fees, credit, packages, vouchers). Reads a person sees are audited
here (:func:`client_account_view`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum

from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import (
    FEE_KINDS,
    AccountEntry,
    AccountEntryKind,
    CoursePackage,
    GiftVoucher,
    PackageEntry,
    PackageEntryKind,
    Payment,
    PaymentKind,
    Quote,
    VoucherVoid,
)
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

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


# --- The client's account: fees, credit, packages, vouchers ---------------------------------


@dataclass(frozen=True, slots=True)
class AccountBalances:
    """Sums over a client's account ledger: no-show fees charged and paid, credit given and
    spent."""

    fees_charged: Decimal = ZERO
    fees_paid: Decimal = ZERO
    credit_given: Decimal = ZERO
    credit_spent: Decimal = ZERO

    @property
    def fees_due(self) -> Decimal:
        return self.fees_charged - self.fees_paid

    @property
    def credit(self) -> Decimal:
        return self.credit_given - self.credit_spent


def account_balances(*, client: Client) -> AccountBalances:
    """The client's fee and credit balances, in one query."""
    sums = {
        row["kind"]: Decimal(row["total"])
        for row in AccountEntry.objects.filter(client=client)
        .order_by()
        .values("kind")
        .annotate(total=Sum("amount"))
    }
    return AccountBalances(
        fees_charged=sums.get(AccountEntryKind.NO_SHOW_FEE, ZERO),
        fees_paid=sums.get(AccountEntryKind.FEE_PAID, ZERO),
        credit_given=sums.get(AccountEntryKind.CREDIT_REFUND, ZERO)
        + sums.get(AccountEntryKind.CREDIT_GOODWILL, ZERO),
        credit_spent=sums.get(AccountEntryKind.CREDIT_SPENT, ZERO),
    )


def package_sessions_left(packages: Iterable[CoursePackage]) -> dict[int, int]:
    """Sessions left per package id: the sum of each package's ledger, in one query."""
    ids = [package.pk for package in packages]
    left = dict.fromkeys(ids, 0)
    for row in (
        PackageEntry.objects.filter(package_id__in=ids)
        .order_by()
        .values("package_id")
        .annotate(total=Sum("sessions"))
    ):
        left[row["package_id"]] = int(row["total"])
    return left


def package_for_id(*, client: Client, package_id: int | str) -> CoursePackage:
    """``client``'s package with this id, or 404 ``package_not_found``."""
    return get_by_opaque_id(
        CoursePackage.objects.filter(client=client).select_related("treatment", "client"),
        package_id,
        code=Code.PACKAGE_NOT_FOUND,
        noun="package",
    )


@dataclass(frozen=True, slots=True)
class PackageRefundQuote:
    """What refunding a package would give back: its sessions left and their share of the
    price (price × left ÷ sessions, rounded to the penny)."""

    package: CoursePackage
    sessions_left: int
    amount: Decimal


def package_refund_quote(package: CoursePackage) -> PackageRefundQuote:
    """What a refund of ``package`` would give back now."""
    left = max(package_sessions_left([package])[package.pk], 0)
    share = package.price * left / package.sessions
    return PackageRefundQuote(package, left, share.quantize(Decimal("0.01"), ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class PackageLine:
    """A package with what its ledger says: bought, used, refunded (sessions taken off
    when it was reversed), left."""

    package: CoursePackage
    bought: int
    used: int
    refunded: int = 0

    @property
    def left(self) -> int:
        return self.bought - self.used - self.refunded


@dataclass(frozen=True, slots=True)
class VoucherLine:
    """A voucher with what was spent of it and what was voided (then its balance is 0)."""

    voucher: GiftVoucher
    spent: Decimal
    today: dt.date
    voided: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.voucher.value - self.spent - self.voided

    @property
    def expired(self) -> bool:
        return self.voucher.expires_on < self.today

    @property
    def usable(self) -> bool:
        return self.balance > 0 and not self.expired


@dataclass(frozen=True, slots=True)
class ClientAccount:
    """Everything on a client's account: balances, the ledger, packages, vouchers, and how
    often they did not come."""

    client: Client
    balances: AccountBalances
    entries: list[AccountEntry]
    packages: list[PackageLine]
    vouchers: list[VoucherLine]
    no_shows: int

    @property
    def empty(self) -> bool:
        return not (self.entries or self.packages or self.vouchers or self.no_shows)


def client_account(*, client: Client) -> ClientAccount:
    """The client's account (not audited: callers that show it use
    :func:`client_account_view`)."""
    packages = list(
        CoursePackage.objects.filter(client=client)
        .select_related("treatment")
        .order_by("sold_at", "id")
    )
    ledger: dict[int, dict[str, int]] = {
        p.pk: dict.fromkeys(PackageEntryKind.values, 0) for p in packages
    }
    for row in (
        PackageEntry.objects.filter(package__client=client)
        .order_by()
        .values("package_id", "kind")
        .annotate(total=Sum("sessions"))
    ):
        ledger[row["package_id"]][row["kind"]] = abs(int(row["total"]))
    vouchers = list(
        GiftVoucher.objects.filter(client=client)
        .select_related("void")
        .annotate(spent=Sum("redemptions__amount"))
        .order_by("expires_on", "id")
    )
    today = clock.today()
    return ClientAccount(
        client=client,
        balances=account_balances(client=client),
        entries=list(
            AccountEntry.objects.filter(client=client)
            .select_related("appointment__treatment")
            .order_by("-at", "-id")
        ),
        packages=[_package_line(p, ledger[p.pk]) for p in packages],
        vouchers=[VoucherLine(v, v.spent or ZERO, today, _voided(v)) for v in vouchers],
        no_shows=Appointment.objects.filter(client=client, status=AppointmentStatus.NOSHOW).count(),
    )


def voucher_line(voucher: GiftVoucher) -> VoucherLine:
    """One voucher with what was spent and voided of it."""
    spent = voucher.redemptions.aggregate(total=Sum("amount"))["total"] or ZERO
    voided = VoucherVoid.objects.filter(voucher=voucher).values_list("amount", flat=True)
    return VoucherLine(voucher, spent, clock.today(), next(iter(voided), ZERO))


def _package_line(package: CoursePackage, sessions: dict[str, int]) -> PackageLine:
    return PackageLine(
        package,
        bought=sessions[PackageEntryKind.BOUGHT],
        used=sessions[PackageEntryKind.USED],
        refunded=sessions[PackageEntryKind.REFUNDED],
    )


def _voided(voucher: GiftVoucher) -> Decimal:
    void = getattr(voucher, "void", None)
    return void.amount if void is not None else ZERO


def client_account_view(*, actor: Actor, client: Client, where: str) -> ClientAccount:
    """The client's account for a person to read (``where``: the page), audited as
    ``client.account.view``."""
    account = client_account(client=client)
    audit_record(
        actor=actor,
        action="client.account.view",
        obj=client,
        client_id=client.pk,
        summary=f"Account: {where}",
    )
    return account


@dataclass(frozen=True, slots=True)
class BookingFlags:
    """What the front desk should know about a client when booking: no-shows and unpaid
    no-show fees."""

    no_shows: int = 0
    fees_due: Decimal = ZERO

    @property
    def any(self) -> bool:
        return bool(self.no_shows or self.fees_due)


def booking_flags(client_ids: Iterable[int]) -> dict[int, BookingFlags]:
    """Each client's no-show count and unpaid no-show fees, in two queries."""
    ids = list(client_ids)
    counts = {
        row["client_id"]: row["n"]
        for row in Appointment.objects.filter(client_id__in=ids, status=AppointmentStatus.NOSHOW)
        .order_by()
        .values("client_id")
        .annotate(n=Count("id"))
    }
    fees: dict[int, Decimal] = {}
    for row in (
        AccountEntry.objects.filter(client_id__in=ids, kind__in=FEE_KINDS)
        .order_by()
        .values("client_id", "kind")
        .annotate(total=Sum("amount"))
    ):
        sign = 1 if row["kind"] == AccountEntryKind.NO_SHOW_FEE else -1
        fees[row["client_id"]] = fees.get(row["client_id"], ZERO) + sign * Decimal(row["total"])
    return {
        client_id: BookingFlags(counts.get(client_id, 0), fees.get(client_id, ZERO))
        for client_id in ids
    }


def no_show_fee_for(*, appointment: Appointment) -> AccountEntry | None:
    """The no-show fee charged for ``appointment``, if any."""
    return AccountEntry.objects.filter(
        appointment=appointment, kind=AccountEntryKind.NO_SHOW_FEE
    ).first()
