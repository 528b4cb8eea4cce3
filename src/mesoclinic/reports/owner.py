"""The owner's report: money, use of people and rooms, clients, courses, cancellations
and stock for a date range, per site or across every site.

Every figure is about the appointments that *start* in the range (local days of their
site), as the summary is; stock is about the movements recorded in the range. Each
section is gathered in one or two queries and computed by :mod:`mesoclinic.reports.figures`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Min, Q, Sum

from mesoclinic.billing.models import (
    AccountEntry,
    AccountEntryKind,
    CoursePackage,
    GiftVoucher,
    PackageEntry,
    PackageEntryKind,
    Payment,
    PaymentKind,
    PaymentMethod,
    VoucherVoid,
)
from mesoclinic.catalogue.models import StockMovement, StockMovementKind
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_read
from mesoclinic.people.models import Device, Practitioner, Room, Site
from mesoclinic.reports.figures import SessionStep, notice_counts, session_steps, share
from mesoclinic.reports.selectors import (
    STATUS_GROUPS,
    TREATED,
    local_bounds,
    open_minutes,
    working_minutes,
)
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

ZERO = Decimal("0.00")
MONEY_KINDS = {
    PaymentKind.DEPOSIT: "taken",
    PaymentKind.PAYMENT: "taken",
    PaymentKind.REFUND: "refunded",
    PaymentKind.FORFEIT: "forfeited",
}
NOT_TAKEN_HERE = (PaymentMethod.VOUCHER, PaymentMethod.CREDIT)
"""Payment methods that move no money at the appointment (see ``_money``)."""
DIMENSIONS = ("treatment", "practitioner", "site")
"""The ways money is broken down, in the order the report shows them."""


@dataclass
class MoneyRow:
    """Money for one treatment, practitioner or site. ``booked`` is the price of the
    appointments not cancelled; ``taken`` deposits and payments of money (what a gift
    voucher or account credit paid is not: see :class:`AccountMoney`); ``refunded`` money
    given back (a refund kept as account credit is not); ``forfeited`` the deposits kept
    after a late cancellation (already inside ``taken``)."""

    label: str
    booked: Decimal = ZERO
    taken: Decimal = ZERO
    refunded: Decimal = ZERO
    forfeited: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.taken - self.refunded


@dataclass(frozen=True, slots=True)
class UseRow:
    """Booked minutes against the minutes a practitioner, room, device or the numbing
    lounge was available."""

    kind: str
    label: str
    booked_minutes: int
    available_minutes: int

    @property
    def utilisation(self) -> float:
        return share(self.booked_minutes, self.available_minutes)


@dataclass(frozen=True, slots=True)
class StockRow:
    lot: str
    formulation: str
    unit: str
    used: Decimal
    written_off: Decimal


@dataclass(frozen=True, slots=True)
class AccountMoney:
    """Money taken and given back that belongs to no one appointment, in the range, by the
    day it moved: prepaid packages sold (by treatment: packages, amount; the sessions they
    pay for are booked at no charge), gift vouchers sold (count, amount; what a voucher
    later pays is not counted again), no-show fees paid, less the unused sessions of
    packages refunded and the balances of sold vouchers refunded when voided. Goodwill
    credit, vouchers given away and anything paid from them are not money taken. They
    belong to the client's account, not to a site: a one-site report leaves them out
    (``counted`` is False)."""

    packages: tuple[tuple[str, int, Decimal], ...] = ()
    vouchers_sold: tuple[int, Decimal] = (0, ZERO)
    fees_paid: Decimal = ZERO
    packages_refunded: Decimal = ZERO
    vouchers_refunded: Decimal = ZERO
    counted: bool = True

    @property
    def packages_taken(self) -> Decimal:
        return sum((amount for _, _, amount in self.packages), ZERO)

    @property
    def refunded(self) -> Decimal:
        return self.packages_refunded + self.vouchers_refunded

    @property
    def total(self) -> Decimal:
        taken = self.packages_taken + self.vouchers_sold[1] + self.fees_paid
        return taken - self.refunded

    @property
    def any(self) -> bool:
        return bool(self.packages or self.vouchers_sold[0] or self.fees_paid or self.refunded)


@dataclass
class OwnerReport:
    date_from: dt.date
    date_to: dt.date
    site: Site | None
    appointments: Counter[str] = field(default_factory=Counter)
    money: dict[str, list[MoneyRow]] = field(default_factory=dict)
    account_money: AccountMoney = field(default_factory=AccountMoney)
    use: list[UseRow] = field(default_factory=list)
    new_clients: int = 0
    returning_clients: int = 0
    attended_clients: int = 0
    rebooked_clients: int = 0
    sessions: list[SessionStep] = field(default_factory=list)
    cancellations: list[tuple[str, int]] = field(default_factory=list)
    no_shows: int = 0
    stock: list[StockRow] = field(default_factory=list)

    @property
    def rebooking_rate(self) -> float:
        return share(self.rebooked_clients, self.attended_clients)

    @property
    def sessions_due(self) -> int:
        return sum(step.due for step in self.sessions)

    @property
    def sessions_given(self) -> int:
        return sum(step.given for step in self.sessions)

    @property
    def course_completion(self) -> float:
        return share(self.sessions_given, self.sessions_due)


def owner_report(
    *, actor: Actor, date_from: dt.date, date_to: dt.date, site: Site | None = None
) -> OwnerReport:
    """The whole report for appointments starting ``date_from``–``date_to`` (inclusive
    local days) at ``site`` or every site; audited as one report read."""
    sites = [site] if site else list(Site.objects.order_by("pk"))
    report = OwnerReport(date_from, date_to, site)
    rows = list(_appointments(sites, date_from, date_to))
    names = {one.code: one.display_name for one in Practitioner.objects.all()}
    report.appointments = Counter(STATUS_GROUPS[AppointmentStatus(row["status"])] for row in rows)
    report.money = _money(rows, names)
    report.account_money = _account_money(site, sites, date_from, date_to)
    report.use = _use(sites, date_from, date_to, rows, names)
    _clients(report, rows)
    report.sessions = _sessions(rows)
    report.cancellations = notice_counts(
        row["start"] - row["cancelled_at"]
        for row in rows
        if row["status"] == AppointmentStatus.CANCELLED and row["cancelled_at"]
    )
    report.no_shows = sum(row["status"] == AppointmentStatus.NOSHOW for row in rows)
    report.stock = _stock(sites, date_from, date_to)
    audit_read(
        actor=actor,
        action="report.owner",
        summary=f"{date_from}–{date_to} {site.code if site else 'all sites'}",
    )
    return report


# --- appointments -----------------------------------------------------------------------


def _in_range(sites: list[Site], date_from: dt.date, date_to: dt.date) -> Q:
    """Appointments starting in the range, by each site's own local days."""
    ranges = []
    for one in sites:
        low, high = local_bounds(one, date_from, date_to)
        ranges.append(Q(site=one, start__gte=low, start__lt=high))
    return reduce(or_, ranges, Q(pk__in=[]))


def _appointments(sites: list[Site], date_from: dt.date, date_to: dt.date) -> Any:
    return Appointment.objects.filter(_in_range(sites, date_from, date_to)).values(
        "id",
        "status",
        "price",
        "client_id",
        "course_id",
        "session_number",
        "start",
        "treatment_start",
        "end",
        "cancelled_at",
        "site_id",
        "room_id",
        "device_id",
        "treatment__name",
        "practitioner__code",
        "site__name",
    )


# --- money ------------------------------------------------------------------------------


def _money(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, list[MoneyRow]]:
    by: dict[str, dict[str, MoneyRow]] = {name: {} for name in DIMENSIONS}
    keys = {}
    for row in rows:
        keys[row["id"]] = labels = {
            "treatment": row["treatment__name"],
            "practitioner": names[row["practitioner__code"]],
            "site": row["site__name"],
        }
        if row["status"] != AppointmentStatus.CANCELLED:
            for name in DIMENSIONS:
                _money_row(by[name], labels[name]).booked += row["price"]
    # a voucher's or account credit's part is not money taken here: a sold voucher is
    # counted the day it is sold, credit was taken (or refunded) before, goodwill never
    payments = (
        Payment.objects.filter(appointment_id__in=keys)
        .exclude(method__in=NOT_TAKEN_HERE)
        .values_list("appointment_id", "kind", "amount")
    )
    for appointment, kind, amount in payments:
        for name in DIMENSIONS:
            line = _money_row(by[name], keys[appointment][name])
            column = MONEY_KINDS[PaymentKind(kind)]
            setattr(line, column, getattr(line, column) + amount)
    return {name: sorted(by[name].values(), key=lambda line: line.label) for name in DIMENSIONS}


def _account_money(
    site: Site | None, sites: list[Site], date_from: dt.date, date_to: dt.date
) -> AccountMoney:
    """Packages and vouchers sold, no-show fees paid, packages and vouchers refunded, on
    the range's local days (in the first site's time zone: a clinic's sites share one in
    practice)."""
    if site is not None:
        return AccountMoney(counted=False)
    if not sites:
        return AccountMoney()
    low, high = local_bounds(sites[0], date_from, date_to)
    packages = CoursePackage.objects.filter(sold_at__gte=low, sold_at__lt=high)
    fees = AccountEntry.objects.filter(kind=AccountEntryKind.FEE_PAID, at__gte=low, at__lt=high)
    by_treatment = (
        packages.values("treatment__name")
        .annotate(count=Count("id"), amount=Sum("price"))
        .order_by("treatment__name")
    )
    sold = (
        GiftVoucher.objects.filter(issued_at__gte=low, issued_at__lt=high)
        .exclude(method=PaymentMethod.NONE)
        .aggregate(count=Count("id"), amount=Sum("value"))
    )
    package_refunds = PackageEntry.objects.filter(
        kind=PackageEntryKind.REFUNDED, at__gte=low, at__lt=high
    )
    voucher_refunds = VoucherVoid.objects.filter(at__gte=low, at__lt=high)
    return AccountMoney(
        packages=tuple(
            (line["treatment__name"], line["count"], line["amount"] or ZERO)
            for line in by_treatment
        ),
        vouchers_sold=(sold["count"], _pounds(sold["amount"])),
        fees_paid=fees.aggregate(total=Sum("amount"))["total"] or ZERO,
        packages_refunded=_pounds(package_refunds.aggregate(total=Sum("amount"))["total"]),
        vouchers_refunded=_pounds(voucher_refunds.aggregate(total=Sum("refunded"))["total"]),
    )


def _pounds(total: Decimal | None) -> Decimal:
    """A sum of money to the penny (SQLite's sums drop trailing zeros)."""
    return (total or ZERO).quantize(ZERO)


def _money_row(lines: dict[str, MoneyRow], label: str) -> MoneyRow:
    if label not in lines:
        lines[label] = MoneyRow(label)
    return lines[label]


# --- use of people, rooms, devices and the lounge ---------------------------------------


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _use(
    sites: list[Site],
    date_from: dt.date,
    date_to: dt.date,
    rows: list[dict[str, Any]],
    names: dict[str, str],
) -> list[UseRow]:
    treated = [row for row in rows if row["status"] in TREATED]
    booked: dict[tuple[str, Any], int] = defaultdict(int)
    for row in treated:
        minutes = _minutes(row["treatment_start"], row["end"])
        # per site: a practitioner working at two sites has a row at each
        booked["practitioner", (row["practitioner__code"], row["site_id"])] += minutes
        booked["room", row["room_id"]] += minutes
        if row["device_id"]:
            booked["device", row["device_id"]] += minutes
        booked["lounge", row["site_id"]] += _minutes(row["start"], row["treatment_start"])
    lines: list[UseRow] = []
    for one in sites:
        opened = open_minutes(one, date_from, date_to)
        for code, minutes in working_minutes(one, date_from, date_to).items():
            label = f"{names[code]} ({one.name})" if len(sites) > 1 else names[code]
            lines.append(
                UseRow("practitioner", label, booked["practitioner", (code, one.pk)], minutes)
            )
        for room in Room.objects.filter(site=one, active=True).order_by("name"):
            lines.append(UseRow("room", room.name, booked["room", room.pk], opened))
        for device in Device.objects.filter(site=one, active=True).order_by("name"):
            lines.append(UseRow("device", device.name, booked["device", device.pk], opened))
        if one.numbing_lounge_capacity:
            capacity = opened * one.numbing_lounge_capacity
            lines.append(
                UseRow("lounge", f"Numbing lounge, {one.name}", booked["lounge", one.pk], capacity)
            )
    return lines


# --- clients and courses ----------------------------------------------------------------


def _clients(report: OwnerReport, rows: list[dict[str, Any]]) -> None:
    """New clients (their first appointment not cancelled is in the range) against
    returning ones; of the clients treated in the range, how many booked again after
    their last treatment in it."""
    first_in_range: dict[int, dt.datetime] = {}
    for row in rows:
        if row["status"] != AppointmentStatus.CANCELLED:
            client = row["client_id"]
            first_in_range[client] = min(row["start"], first_in_range.get(client, row["start"]))
    firsts = (
        Appointment.objects.filter(client_id__in=first_in_range)
        .exclude(status=AppointmentStatus.CANCELLED)
        .values("client_id")
        .annotate(first=Min("start"))
        .values_list("client_id", "first")
    )
    report.new_clients = sum(first == first_in_range[client] for client, first in firsts)
    report.returning_clients = len(first_in_range) - report.new_clients
    last_treated: dict[int, dt.datetime] = {}
    for row in rows:
        if row["status"] == AppointmentStatus.FULFILLED:
            client = row["client_id"]
            last_treated[client] = max(row["start"], last_treated.get(client, row["start"]))
    report.attended_clients = len(last_treated)
    later = Appointment.objects.filter(client_id__in=last_treated).exclude(
        status=AppointmentStatus.CANCELLED
    )
    report.rebooked_clients = len(
        {
            client
            for client, start in later.values_list("client_id", "start")
            if start > last_treated[client]
        }
    )


def _sessions(rows: list[dict[str, Any]]) -> list[SessionStep]:
    """Course sessions due by now in the range, one per course and session number,
    given when any of its appointments was attended."""
    now = clock.now()
    given: dict[tuple[int, int], bool] = {}
    for row in rows:
        if row["course_id"] and row["session_number"] and row["start"] <= now:
            key = (row["course_id"], row["session_number"])
            given[key] = given.get(key, False) or row["status"] == AppointmentStatus.FULFILLED
    return session_steps((number, was_given) for (_, number), was_given in given.items())


# --- stock ------------------------------------------------------------------------------


def _stock(sites: list[Site], date_from: dt.date, date_to: dt.date) -> list[StockRow]:
    """Stock used in treatment and written off, by lot, over the range (stock is held
    by the clinic, not by site: the range is taken in the first site's time zone)."""
    if not sites:
        return []
    low, high = local_bounds(sites[0], date_from, date_to)
    totals = (
        StockMovement.objects.filter(
            at__gte=low,
            at__lt=high,
            kind__in=[StockMovementKind.USED, StockMovementKind.DISCARDED],
        )
        .values("batch__lot", "batch__formulation__name", "batch__formulation__unit")
        .annotate(
            used=Sum("quantity_change", filter=Q(kind=StockMovementKind.USED)),
            discarded=Sum("quantity_change", filter=Q(kind=StockMovementKind.DISCARDED)),
        )
        .order_by("batch__formulation__name", "batch__lot")
    )
    return [
        StockRow(
            lot=line["batch__lot"],
            formulation=line["batch__formulation__name"],
            unit=line["batch__formulation__unit"],
            used=-(line["used"] or ZERO),
            written_off=-(line["discarded"] or ZERO),
        )
        for line in totals
    ]
