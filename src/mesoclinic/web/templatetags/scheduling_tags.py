"""Template tags that put scheduling on pages owned by others: the client page's
appointments and courses, and the dashboard's list of today's appointments."""

from __future__ import annotations

from typing import Any

from django import template

from mesoclinic.web import scheduling_views

register = template.Library()


@register.inclusion_tag("web/scheduling/_client_section.html", takes_context=True)
def client_schedule(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """Upcoming appointments and courses of a client, with booking links."""
    return {**scheduling_views.client_schedule(client), "request": context.get("request")}


@register.inclusion_tag("web/scheduling/_dashboard_panel.html", takes_context=True)
def scheduling_today(context: dict[str, Any]) -> dict[str, Any]:
    """Today's appointments at the current site (times in the site's zone)."""
    data = scheduling_views.today_at_site(context.get("current_site"))
    return {**data, "request": context.get("request")}
