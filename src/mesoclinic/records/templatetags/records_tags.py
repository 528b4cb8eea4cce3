"""Template tags that put the records domain on pages owned by others: the client page's
records section and the dashboard's stock and follow-up panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from mesoclinic.catalogue.selectors import batches_expiring
from mesoclinic.core import clock
from mesoclinic.people.roles import sees_clinical, staff_member
from mesoclinic.records import charting, selectors

register = template.Library()

EXPIRY_WARNING_DAYS = 30


@register.inclusion_tag("web/records/_client_section.html", takes_context=True)
def client_records(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """Records timeline (with charts), sessions to record, maintenance, adverse events."""
    request = context.get("request")
    if request is None or not sees_clinical(request.user):
        return {"client": client, "request": request, "clinical": False}
    records = list(selectors.records_for_client(client)[:20])
    return {
        "client": client,
        "request": request,
        "clinical": True,
        "timeline": [(record, charting.charts_for_record(record)) for record in records],
        "to_record": list(selectors.appointments_to_record(client)[:10]),
        "decisions": selectors.maintenance_decisions_for_client(client),
        "adverse_events": list(selectors.adverse_events_for_client(client)[:10]),
        "assessment_count": selectors.assessments_for_client(client).count(),
    }


@register.inclusion_tag("web/records/_dashboard_panel.html", takes_context=True)
def records_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    """Batches expiring within 30 days (or expired with stock left) and follow-ups due."""
    today = clock.today()
    user = getattr(context.get("request"), "user", None)
    clinical = sees_clinical(user)
    member = staff_member(user)
    is_admin = member.is_admin
    return {
        "notes_to_write": (
            list(selectors.notes_to_write(member.practitioner)[:20])
            if member.practitioner is not None
            else []
        ),
        "writes_notes": member.practitioner is not None,
        "is_admin": is_admin,
        "expiring": (
            list(batches_expiring(on=today, within_days=EXPIRY_WARNING_DAYS)) if is_admin else []
        ),
        "today": today,
        "follow_ups_due": (
            list(selectors.follow_ups_open(due_by=clock.now() + dt.timedelta(days=1))[:10])
            if clinical
            else []
        ),
        "clinical": clinical,
    }
