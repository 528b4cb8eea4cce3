"""The owner's report page: a date range's appointments, money, use of people, rooms,
devices and the numbing lounge, clients, course completion, cancellations and stock, on
screen (with bar charts drawn server-side) or as CSV (administrators)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from mesoclinic.core import clock
from mesoclinic.core.downloads import attachment, csv_writer
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Site
from mesoclinic.reports.figures import bar_width
from mesoclinic.reports.owner import DIMENSIONS, OwnerReport, UseRow, owner_report
from mesoclinic.reports.selectors import summary_range
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required

TEMPLATE = "web/reports/summary.html"
USE_KINDS = (
    ("practitioner", "Practitioners"),
    ("room", "Rooms"),
    ("device", "Devices"),
    ("lounge", "Numbing lounge"),
)


class RangeForm(forms.Form):
    date_from = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    site = forms.ModelChoiceField(
        label="Site",
        queryset=Site.objects.order_by("name"),
        required=False,
        empty_label="Every site",
        to_field_name="code",
    )


def _this_month() -> dict[str, dt.date]:
    today = clock.today()
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return {"date_from": first, "date_to": last}


def _with_default_range(query: Any) -> Any:
    """The query with this month's dates when it gives neither (a link naming only the
    site); one date alone is still refused as an open range."""
    if not query or "date_from" in query or "date_to" in query:
        return query
    query = query.copy()
    for name, day in _this_month().items():
        query[name] = day.isoformat()
    return query


@admin_required
def report_page(request: HtmxHttpRequest) -> HttpResponse:
    """This month by default; any range of up to a year; ``format=csv`` downloads it."""
    form = RangeForm(_with_default_range(request.GET) or None, initial=_this_month())
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if form.is_bound and data is None:
        return render(request, TEMPLATE, {"form": form}, status=400)
    data = data or {**_this_month(), "site": None}
    try:
        start, end = summary_range(data["date_from"], data["date_to"])
    except DomainError as refused:
        form.add_error(None, refused.message)
        return render(request, TEMPLATE, {"form": form}, status=400)
    report = owner_report(actor=request.user, date_from=start, date_to=end, site=data["site"])
    if request.GET.get("format") == "csv":
        return _csv(report)
    return render(request, TEMPLATE, {"form": form, "report": report, **_charts(report)})


def _bars(
    pairs: list[tuple[str, float, str]], *, largest: float | None = None
) -> list[dict[str, object]]:
    """Bars of a chart: label, the figure as text, and the length in percent of
    ``largest`` (by default the longest bar)."""
    if largest is None:
        largest = max((value for _, value, _ in pairs), default=0)
    return [
        {"label": label, "text": text, "width": bar_width(value, largest)}
        for label, value, text in pairs
    ]


def _percent(line: UseRow) -> str:
    """Utilisation as the page shows it; a resource with no hours in the range says so
    rather than 0 %."""
    if not line.available_minutes:
        return "no hours"
    share = line.utilisation
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"


def _charts(report: OwnerReport) -> dict[str, object]:
    """Money booked by treatment (bars to the largest); utilisation and completion as
    shares of the whole (a full bar is 100 %)."""
    use = {
        kind: _bars(
            [
                (line.label, line.utilisation, _percent(line))
                for line in report.use
                if line.kind == kind
            ],
            largest=1,
        )
        for kind, _ in USE_KINDS
    }
    return {
        "money_bars": _bars(
            [
                (line.label, float(line.booked), f"£{line.booked:,.0f}")
                for line in report.money["treatment"]
            ]
        ),
        "use_rows": [(line, _percent(line)) for line in report.use],
        "use_groups": [(title, kind, use[kind]) for kind, title in USE_KINDS if use[kind]],
        "session_bars": _bars(
            [
                (f"Session {step.number}", step.completion, f"{step.given} of {step.due}")
                for step in report.sessions
            ],
            largest=1,
        ),
    }


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _csv_account_money(writer: Any, report: OwnerReport) -> None:
    writer.writerow(["section", "item", "count", "taken"])
    for name, count, amount in report.account_money.packages:
        writer.writerow(["taken outside appointments", f"packages: {name}", count, _money(amount)])
    count, sold = report.account_money.vouchers_sold
    writer.writerow(["taken outside appointments", "gift vouchers sold", count, _money(sold)])
    fees = _money(report.account_money.fees_paid)
    writer.writerow(["taken outside appointments", "no-show fees paid", "", fees])
    for item, amount in (
        ("packages refunded", report.account_money.packages_refunded),
        ("vouchers refunded", report.account_money.vouchers_refunded),
    ):
        # a number, not text: a cell of text starting "-" is escaped against formulas
        given_back = -Decimal(_money(amount)) if amount else _money(amount)
        writer.writerow(["taken outside appointments", item, "", given_back])
    total = _money(report.account_money.total)
    writer.writerow(["taken outside appointments", "total", "", total])


def _csv(report: OwnerReport) -> HttpResponse:
    """The whole report, one section after another: ``section, item, figures…``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv_writer(response)
    site = report.site.code if report.site else "all"
    writer.writerow(["from", report.date_from.isoformat(), "to", report.date_to.isoformat()])
    writer.writerow(["site", site])
    for name in ("booked", "attended", "cancelled", "no_show"):
        writer.writerow(["appointments", name, report.appointments[name]])
    writer.writerow(["section", "item", "booked", "taken", "refunded", "forfeited", "net"])
    for dimension in DIMENSIONS:
        for line in report.money[dimension]:
            figures = (line.booked, line.taken, line.refunded, line.forfeited, line.net)
            writer.writerow([f"money by {dimension}", line.label, *map(_money, figures)])
    if report.account_money.counted:
        _csv_account_money(writer, report)
    writer.writerow(["section", "item", "booked_minutes", "available_minutes", "utilisation"])
    for use in report.use:
        writer.writerow(
            [
                f"use of {use.kind}",
                use.label,
                use.booked_minutes,
                use.available_minutes,
                use.utilisation,
            ]
        )
    writer.writerow(["clients", "new", report.new_clients])
    writer.writerow(["clients", "returning", report.returning_clients])
    writer.writerow(["clients", "treated", report.attended_clients])
    writer.writerow(["clients", "booked again", report.rebooked_clients])
    writer.writerow(["section", "session", "due", "given", "completion"])
    for step in report.sessions:
        writer.writerow(["course sessions", step.number, step.due, step.given, step.completion])
    for bucket, count in report.cancellations:
        writer.writerow(["cancellations by notice", bucket, count])
    writer.writerow(["no-shows", "", report.no_shows])
    writer.writerow(["section", "lot", "formulation", "unit", "used", "written_off"])
    for stock in report.stock:
        writer.writerow(
            ["stock", stock.lot, stock.formulation, stock.unit, stock.used, stock.written_off]
        )
    name = f"report-{site}-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.csv"
    return attachment(response, name)


urlpatterns = [path("reports/", report_page, name="reports")]
