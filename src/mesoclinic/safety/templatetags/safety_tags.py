"""Template tags that put safety panels on pages owned by other apps (client page, dashboard).

They read through ``safety.selectors`` only; permission to see the host page was checked by
its view.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from mesoclinic.core import clock
from mesoclinic.people.models import Client
from mesoclinic.people.roles import sees_clinical
from mesoclinic.safety import selectors
from mesoclinic.safety.forms import screening_form_for
from mesoclinic.safety.presentation import date_in_words, in_words, reason_title

register = template.Library()


@register.inclusion_tag("web/safety/_client_panel.html", takes_context=True)
def safety_panel(context: template.Context, client: Client) -> dict[str, Any]:
    """The safety section of the client page: screening, questionnaire, consents, overrides.

    A role without clinical access gets the screening form alone (outcome and next step).
    """
    request = context.get("request")
    tz = selectors.client_time_zone(client=client)
    today = clock.today(tz)
    if request is None or not sees_clinical(request.user):
        return {
            "request": request,
            "csrf_token": context.get("csrf_token"),
            "client": client,
            "today": today,
            "screening_form": screening_form_for(getattr(request, "user", None)),
            "clinical": False,
        }
    questionnaire = selectors.questionnaire_latest(client=client)
    overrides = [
        o
        for o in selectors.override_list(client=client)
        if selectors.override_is_active(override=o)
    ]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "client": client,
        "today": today,
        "questionnaire": questionnaire,
        "questionnaire_current": (
            questionnaire is not None
            and selectors.questionnaire_is_current(questionnaire=questionnaire, on=today)
        ),
        "consents": list(selectors.consent_list(client=client)[:20]),
        "overrides": overrides,
        "prescriptions": list(selectors.prescription_list(client=client)[:10]),
        "toxin_history": list(selectors.toxin_history(client=client)[:10]),
        "consent_forms": selectors.consent_forms_current(),
        "screening_form": screening_form_for(getattr(request, "user", None)),
        "clinical": True,
    }


@register.filter(name="reason_title")
def reason_title_filter(code: str) -> str:
    """A screening reason code as its title (``toxin_interval`` → "Too soon after the last
    toxin")."""
    return reason_title(str(code))


@register.filter(name="screening_words")
def screening_words(message: Any) -> str:
    """A screening reason's message (as the API gives it) with names instead of codes and
    dates and times in words, in the page's current time zone."""
    wording = selectors.screening_wording(time_zone=timezone.get_current_timezone())
    return in_words(str(message), wording)


@register.filter(name="in_words")
def date_in_words_filter(day: Any) -> str:
    """A date in words (``Saturday 5 December 2026``); empty for none."""
    return date_in_words(day) if day else ""


@register.inclusion_tag("web/safety/_dashboard.html", takes_context=True)
def safety_today(context: template.Context) -> dict[str, Any]:
    """Screenings run and consents signed today at the current site."""
    site = context.get("current_site")
    tz = site.tzinfo if site is not None else timezone.get_default_timezone()
    today = clock.today(tz)
    activity = selectors.safety_activity_on(on=today, tz=tz)
    return {**activity, "today": today}
