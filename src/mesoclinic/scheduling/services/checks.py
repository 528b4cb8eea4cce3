"""Checks before any write: aware datetimes, the site, the start (past, opening hours,
grid), screening (``screening_refused``, ``toxin_interval``) and a course session's window
(``outside_course_window``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.people.models import (
    Client,
    Practitioner,
    Site,
)
from mesoclinic.safety import engine as safety_engine
from mesoclinic.safety.services import screening_as_dict, screening_run
from mesoclinic.scheduling import selectors, site_resources
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    Appointment,
)
from mesoclinic.scheduling.planning import (
    course_session_window,
    day_in_words,
)


def _require_aware(moment: dt.datetime, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            Code.NAIVE_DATETIME,
            f"{field} needs a time zone offset, e.g. 2027-03-05T10:00:00+00:00.",
            details={"field": field},
        )


def _default_site(client: Client | None = None) -> Site:
    if client is not None and client.home_site_id:
        return client.home_site  # type: ignore[return-value]
    site = next(iter(selectors.bookable_sites()), None)
    if site is None:
        raise RuleRefused(Code.NO_SITE, "No site with a bookable room is set up.")
    return site


def _check_start(
    *, treatment: Treatment, site: Site, start: dt.datetime
) -> site_resources.SiteResources:
    """422 when ``start`` is in the past, outside the site's opening hours (or on a closed
    day) or off the booking grid; else the site's resources (for the search that follows)."""
    _require_aware(start, "start")
    now = clock.now()
    if start < now:
        raise RuleRefused(
            Code.START_IN_PAST,
            "That time has already passed: choose a time in the future.",
            details={"start": start.isoformat(), "now": now.isoformat()},
        )
    tz = site.tzinfo
    local_start = start.astimezone(tz)
    day = local_start.date()
    resources = site_resources.for_site(site)
    closed = selectors.closed_days_in(site, resources, day, day)
    finish = start + dt.timedelta(minutes=treatment.total_minutes)
    if day not in closed:
        for opens_at, closes_at in resources.opening_hours.get(day.weekday(), ()):
            opens = dt.datetime.combine(day, opens_at, tzinfo=tz)
            closes = dt.datetime.combine(day, closes_at, tzinfo=tz)
            if opens <= start and finish <= closes:
                offset = int((start - opens).total_seconds())
                if offset % (selectors.grid_minutes() * 60):
                    raise RuleRefused(
                        Code.OFF_GRID,
                        f"Appointments start every {selectors.grid_minutes()} minutes from "
                        f"{opens_at:%H:%M}.",
                        details={"start": start.isoformat()},
                    )
                return resources
    raise RuleRefused(
        Code.OUTSIDE_OPENING_HOURS,
        f"{site.name} is not open for the whole of a {treatment.total_minutes}-minute "
        f"appointment starting {local_start:%A %d %B %Y %H:%M}.",
        details={
            "start": start.isoformat(),
            "closed_day": day in closed,
            "site": site.code,
        },
    )


def _screen(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    formulation: Formulation | None,
    practitioner: Practitioner | None,
    start: dt.datetime,
    site: Site,
    moving: Appointment | None = None,
    toxin_days: Sequence[dt.date] = (),
) -> safety_engine.ScreeningResult:
    """Screen for the booking; ``refused`` → 422 ``screening_refused`` with the reasons,
    then a ``toxin_interval`` reason not overridden → 422 ``toxin_interval``.

    The client's other active toxin bookings count (``moving``, the appointment being
    rescheduled, is left out); ``toxin_days`` adds days about to be booked with it (the
    other sessions of a course)."""
    result = screening_run(
        actor=actor,
        client=client,
        treatment=treatment,
        formulation=formulation,
        practitioner=practitioner,
        on=start.astimezone(site.tzinfo).date(),
        at=start,
        audit=False,
        toxin_bookings=(
            (*selectors.toxin_booking_days(client=client, exclude=moving), *toxin_days)
            if (formulation.contains_toxin if formulation else treatment.contains_toxin)
            else ()
        ),
    )
    refused = safety_engine.blocks_booking(result)
    toxin = [r for r in result.reasons if r.code == safety_engine.ReasonCode.TOXIN_INTERVAL]
    if refused or toxin:
        details = screening_as_dict(result)
        audit_record(
            actor=actor,
            action="appointment.book_refused",
            obj=client,
            client_id=client.pk,
            summary=f"{treatment.code}: " + ("screening refused" if refused else "toxin interval"),
            data={
                "treatment": treatment.code,
                "practitioner": practitioner.code if practitioner else None,
                "start": start.isoformat(),
                "codes": [reason["code"] for reason in details["reasons"]],
            },
        )
        if not refused:
            raise RuleRefused(
                Code.TOXIN_INTERVAL, _toxin_message(toxin[0].details), details=details
            )
        raise RuleRefused(
            Code.SCREENING_REFUSED,
            "Screening refuses this treatment for this client: "
            + "; ".join(reason.message for reason in result.reasons if reason.severity == "refuse"),
            details=details,
        )
    return result


def _toxin_message(found: Mapping[str, Any]) -> str:
    """The refusal in words a front desk may read (no doses or history, only days)."""
    interval = found.get("interval_days", 84)
    choices = []
    if found.get("latest_on"):
        choices.append(f"on or before {found['latest_on']}")
    if found.get("earliest_on"):
        choices.append(f"on or after {found['earliest_on']}")
    return (
        f"Toxin treatments of one client must be at least {interval} days apart (booked or "
        "given, before or after this one): choose a day "
        + " or ".join(choices)
        + ", or a practitioner must record an override."
    )


def _check_course_window(appointment: Appointment, start: dt.datetime) -> None:
    """422 ``outside_course_window`` when a course session would leave its window or
    its order between its neighbours."""
    window = course_session_window(appointment)
    if window is None:
        return
    day = start.astimezone(appointment.site.tzinfo).date()
    if window.holds(day):
        return
    raise RuleRefused(
        Code.OUTSIDE_COURSE_WINDOW,
        f"{window.in_words()} (not {day_in_words(day)}), to stay in its course: choose a "
        "day inside the window, or re-plan the later sessions.",
        details={
            "session_number": window.number,
            "earliest": window.earliest.isoformat() if window.earliest else None,
            "latest": window.latest.isoformat() if window.latest else None,
            "requested": day.isoformat(),
        },
    )
