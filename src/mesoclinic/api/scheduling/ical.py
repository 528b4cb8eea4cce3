"""A practitioner's appointments as an iCalendar feed."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from mesoclinic.api.scheduling.parsing import parse_date
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_read
from mesoclinic.core.downloads import attachment
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.roles import Access, require
from mesoclinic.scheduling import ical, selectors
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code

router = Router(tags=["scheduling"])

ICS_DEFAULT_PAST = dt.timedelta(days=31)
ICS_DEFAULT_FUTURE = dt.timedelta(days=400)


@router.get("/practitioners/{code}/calendar.ics")
def practitioner_calendar(
    request: HttpRequest,
    code: str,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
) -> HttpResponse:
    """The practitioner's appointments as an iCalendar feed (default: the last month and
    the next 400 days)."""
    require(request.user, Access.STAFF)
    practitioner = selectors.practitioner_for_code(code)
    now = clock.now()
    starts_from = now - ICS_DEFAULT_PAST
    starts_before = now + ICS_DEFAULT_FUTURE
    if date_from:
        starts_from = dt.datetime.combine(parse_date(date_from, "from"), dt.time.min, tzinfo=dt.UTC)
    if date_to:
        starts_before = dt.datetime.combine(
            parse_date(date_to, "to") + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
        )
    if starts_before <= starts_from:
        raise InvalidInput(
            Code.INVALID_RANGE, "'to' must not be before 'from'.", details={"field": "to"}
        )
    body = ical.practitioner_calendar_ics(
        practitioner=practitioner, starts_from=starts_from, starts_before=starts_before
    )
    audit_read(actor=request.user, action="calendar.ics", summary=practitioner.code)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    attachment(response, f"{practitioner.code}.ics", inline=True)
    return response
