"""The owner's view: a summary of a date range (administrators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from mesoclinic.people.roles import Access, require
from mesoclinic.reports.selectors import report_site, report_summary, summary_range

router = Router(tags=["reports"])


class Money(Schema):
    amount: str
    currency: str


class AppointmentCounts(Schema):
    booked: int
    attended: int
    cancelled: int
    no_show: int


class PractitionerUse(Schema):
    practitioner: str
    booked_minutes: int
    available_minutes: int
    utilisation: float


class SummaryOut(Schema):
    date_from: str = Field(alias="from", examples=["2026-12-01"])
    date_to: str = Field(alias="to", examples=["2026-12-31"])
    appointments: AppointmentCounts
    revenue: Money
    practitioners: list[PractitionerUse]


@router.get("/reports/summary", response=SummaryOut, by_alias=True)
def reports_summary(
    request: HttpRequest,
    date_from: dt.date = Query(..., alias="from"),
    date_to: dt.date = Query(..., alias="to"),
    site: str | None = None,
) -> dict[str, Any]:
    """Appointments starting in the range (local days, inclusive) by outcome, money taken
    (deposits and payments less refunds) and each practitioner's utilisation: booked
    treatment minutes (numbing not counted) ÷ working minutes left after absences and
    closed days. 400 for a reversed range or one longer than a year."""
    require(request.user, Access.ADMIN)
    start, end = summary_range(date_from, date_to)
    summary = report_summary(
        actor=request.user, date_from=start, date_to=end, site=report_site(site)
    )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "appointments": {
            name: summary.appointments[name]
            for name in ("booked", "attended", "cancelled", "no_show")
        },
        "revenue": {"amount": f"{summary.revenue:.2f}", "currency": "GBP"},
        "practitioners": [
            {
                "practitioner": code,
                "booked_minutes": summary.booked[code],
                "available_minutes": summary.available[code],
                "utilisation": summary.utilisation(code),
            }
            for code in sorted(summary.booked)
        ],
    }
