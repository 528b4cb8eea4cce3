"""The owner's report page: a date range's appointments, money taken and utilisation,
on screen or as CSV (administrators)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from mesoclinic.core import clock
from mesoclinic.core.downloads import attachment, csv_writer
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Practitioner, Site
from mesoclinic.reports.selectors import Summary, report_summary, summary_range
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required


class RangeForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
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


@admin_required
def report_page(request: HtmxHttpRequest) -> HttpResponse:
    """This month by default; any range of up to a year; ``format=csv`` downloads it."""
    form = RangeForm(request.GET or None, initial=_this_month())
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if form.is_bound and data is None:
        return render(request, "web/reports/summary.html", {"form": form}, status=400)
    data = data or {**_this_month(), "site": None}
    try:
        start, end = summary_range(data["date_from"], data["date_to"])
    except DomainError as refused:
        form.add_error(None, refused.message)
        return render(request, "web/reports/summary.html", {"form": form}, status=400)
    summary = report_summary(actor=request.user, date_from=start, date_to=end, site=data["site"])
    names = {p.code: p.display_name for p in Practitioner.objects.all()}
    rows = [
        (
            names.get(code, code),
            summary.booked[code],
            summary.available[code],
            summary.utilisation(code),
        )
        for code in sorted(summary.booked)
    ]
    if request.GET.get("format") == "csv":
        return _csv(summary, rows)
    return render(
        request,
        "web/reports/summary.html",
        {"form": form, "summary": summary, "rows": rows},
    )


def _csv(summary: Summary, rows: list[tuple[str, int, int, float]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv_writer(response)
    writer.writerow(["from", summary.date_from.isoformat(), "to", summary.date_to.isoformat()])
    for name in ("booked", "attended", "cancelled", "no_show"):
        writer.writerow(["appointments", name, summary.appointments[name]])
    writer.writerow(["revenue", "GBP", f"{summary.revenue:.2f}"])
    writer.writerow(["practitioner", "booked_minutes", "available_minutes", "utilisation"])
    for row in rows:
        writer.writerow(list(row))
    name = f"summary-{summary.date_from:%Y%m%d}-{summary.date_to:%Y%m%d}.csv"
    return attachment(response, name)


urlpatterns = [path("reports/", report_page, name="reports")]
