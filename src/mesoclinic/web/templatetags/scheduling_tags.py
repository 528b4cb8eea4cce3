"""Template tags that put scheduling on pages owned by others: the client page's
appointments and courses, and the dashboard's list of today's appointments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from mesoclinic.core import clock
from mesoclinic.people.models import Client, Site
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Course

register = template.Library()


@register.inclusion_tag("web/scheduling/_client_section.html", takes_context=True)
def client_schedule(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """Upcoming appointments and courses of a client, with booking links."""
    return {**_client_schedule(client), "request": context.get("request")}


@register.inclusion_tag("web/scheduling/_dashboard_panel.html", takes_context=True)
def scheduling_today(context: dict[str, Any]) -> dict[str, Any]:
    """Today's appointments at the current site (times in the site's zone)."""
    data = _today_at_site(context.get("current_site"))
    return {**data, "request": context.get("request")}


def _client_schedule(client: Client) -> dict[str, Any]:
    """The client page's scheduling section: upcoming appointments and courses."""
    now = clock.now()
    upcoming = list(
        selectors.appointment_list(client=client, starts_from=now, include_cancelled=False)[:10]
    )
    courses = list(
        Course.objects.filter(client=client)
        .select_related("treatment", "protocol")
        .order_by("-created_at")[:5]
    )
    for course in courses:
        booked = [a for a in course.appointments.all() if a.status in ACTIVE_STATUSES]
        course.sessions_booked = len(booked)  # type: ignore[attr-defined]
        course.next_session = min(  # type: ignore[attr-defined]
            (a.start for a in booked if a.start >= now), default=None
        )
    return {"client": client, "upcoming": upcoming, "courses": courses}


def _today_at_site(site: Site | None) -> dict[str, Any]:
    """The dashboard's list of today's appointments at the site."""
    if site is None:
        return {"site": None, "appointments": []}
    tz = site.tzinfo
    today = clock.today(tz)
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    appointments = list(
        selectors.appointment_list(
            site=site,
            starts_from=midnight,
            starts_before=midnight + dt.timedelta(days=1),
            include_cancelled=False,
        )
    )
    return {"site": site, "today": today, "appointments": appointments}
