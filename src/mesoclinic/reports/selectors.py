"""The owner's summary of a date range: appointments by outcome, money taken and each
practitioner's utilisation (booked treatment minutes ÷ working minutes left after
absences and closed days). Per site, or across every site."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from mesoclinic.billing.models import Payment, PaymentKind
from mesoclinic.core.audit import Actor, audit_read
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.models import Absence, OpeningHours, Site, WorkingHours
from mesoclinic.reports.errors import ReportErrorCode as Code
from mesoclinic.reports.minutes import Interval, minutes_left
from mesoclinic.scheduling.models import Appointment, AppointmentStatus
from mesoclinic.scheduling.selectors import site_closed_days

LONGEST_RANGE_DAYS = 366

STATUS_GROUPS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "booked",
    AppointmentStatus.FULFILLED: "attended",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NOSHOW: "no_show",
}
"""How appointment statuses are counted in the summary."""

TREATED = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED)
"""Appointments whose treatment time counts as booked minutes."""


@dataclass
class Summary:
    date_from: dt.date
    date_to: dt.date
    appointments: Counter[str] = field(default_factory=Counter)
    revenue: Decimal = Decimal("0.00")
    booked: Counter[str] = field(default_factory=Counter)
    available: Counter[str] = field(default_factory=Counter)

    def utilisation(self, practitioner: str) -> float:
        available = self.available[practitioner]
        return round(self.booked[practitioner] / available, 3) if available else 0.0


def summary_range(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Check a report's dates: in order, at most a year apart."""
    if end < start:
        raise InvalidInput(Code.INVALID_RANGE, "`to` must not be before `from`.")
    if (end - start).days >= LONGEST_RANGE_DAYS:
        raise InvalidInput(
            Code.INVALID_RANGE, f"A report covers at most {LONGEST_RANGE_DAYS} days."
        )
    return start, end


def report_site(code: str | None) -> Site | None:
    """The site of ``code`` (400 ``unknown_site``), or None for every site."""
    if not code:
        return None
    site = Site.objects.filter(code=code).first()
    if site is None:
        raise InvalidInput(Code.UNKNOWN_SITE, f"There is no site {code!r}.")
    return site


def report_summary(
    *, actor: Actor, date_from: dt.date, date_to: dt.date, site: Site | None = None
) -> Summary:
    """The summary of appointments starting from ``date_from`` to ``date_to`` (local days,
    inclusive) at ``site`` or every site; audited as a report read."""
    summary = Summary(date_from, date_to)
    for one in [site] if site else Site.objects.order_by("pk"):
        _add_site(summary, one)
    audit_read(
        actor=actor,
        action="report.summary",
        summary=f"{date_from}–{date_to} {site.code if site else 'all sites'}",
    )
    return summary


def local_bounds(site: Site, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = site.tzinfo
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz),
    )


def _add_site(summary: Summary, site: Site) -> None:
    low, high = local_bounds(site, summary.date_from, summary.date_to)
    appointments = Appointment.objects.filter(site=site, start__gte=low, start__lt=high)
    for status, practitioner, treatment_start, end in appointments.values_list(
        "status", "practitioner__code", "treatment_start", "end"
    ):
        summary.appointments[STATUS_GROUPS[AppointmentStatus(status)]] += 1
        if status in TREATED:
            summary.booked[practitioner] += int((end - treatment_start).total_seconds() // 60)
    summary.revenue += _money_taken(appointments)
    for practitioner, minutes in working_minutes(site, summary.date_from, summary.date_to).items():
        summary.available[practitioner] += minutes
        summary.booked.setdefault(practitioner, 0)  # listed even when nothing was booked


def _money_taken(appointments: QuerySet[Appointment]) -> Decimal:
    """Deposits and payments less refunds, for the given appointments."""
    totals = Payment.objects.filter(appointment__in=appointments).aggregate(
        taken=Sum("amount", filter=Q(kind__in=[PaymentKind.DEPOSIT, PaymentKind.PAYMENT])),
        refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
    )
    return (totals["taken"] or Decimal("0")) - (totals["refunded"] or Decimal("0"))


def working_minutes(site: Site, start: dt.date, end: dt.date) -> dict[str, int]:
    """Each practitioner's working minutes at ``site`` on the open days of the range,
    less their absences."""
    tz = site.tzinfo
    closed = site_closed_days(site=site, date_from=start, date_to=end)
    hours: dict[str, dict[int, list[tuple[dt.time, dt.time]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for code, weekday, starts, ends in WorkingHours.objects.filter(
        site=site, practitioner__active=True
    ).values_list("practitioner__code", "weekday", "starts", "ends"):
        hours[code][weekday].append((starts, ends))
    low, high = local_bounds(site, start, end)
    away: dict[str, list[Interval]] = defaultdict(list)
    for code, starts_at, ends_at in Absence.objects.filter(
        practitioner__code__in=hours, starts_at__lt=high, ends_at__gt=low
    ).values_list("practitioner__code", "starts_at", "ends_at"):
        away[code].append((starts_at, ends_at))
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    open_days = [day for day in days if day not in closed]
    return {
        code: minutes_left(
            (
                (
                    dt.datetime.combine(day, starts, tzinfo=tz),
                    dt.datetime.combine(day, ends, tzinfo=tz),
                )
                for day in open_days
                for starts, ends in weekly[day.weekday()]
            ),
            away[code],
        )
        for code, weekly in hours.items()
    }


def open_minutes(site: Site, start: dt.date, end: dt.date) -> int:
    """The minutes ``site`` is open on the days of the range, closed days left out: what
    a room or a device could be booked for."""
    closed = site_closed_days(site=site, date_from=start, date_to=end)
    weekly: dict[int, int] = defaultdict(int)
    for weekday, opens, closes in OpeningHours.objects.filter(site=site).values_list(
        "weekday", "opens", "closes"
    ):
        weekly[weekday] += (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
    days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return sum(weekly[day.weekday()] for day in days if day not in closed)
