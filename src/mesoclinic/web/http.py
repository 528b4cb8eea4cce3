"""Request type for views behind django-htmx's middleware, the site a staff page is about,
a service's refusal shown on the form that asked for it, a selector's 404 as a page's and a
posted date."""

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

from mesoclinic.core import validation
from mesoclinic.core.errors import DomainError, InvalidInput, NotFound
from mesoclinic.people.models import Site


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def user_site(request: HttpRequest) -> Site:
    """The signed-in user's default site, else the first site (404 when there is none)."""
    profile = getattr(request.user, "staff_profile", None)
    site = (profile.default_site if profile else None) or Site.objects.order_by("pk").first()
    if site is None:
        raise Http404("No site is set up yet.")
    return site


def form_refusal(form: forms.BaseForm, refused: DomainError) -> int:
    """Show a service refusal next to the field it names (or above the form); the status
    the page answers with."""
    field = refused.details.get("field")
    form.add_error(field if field in form.fields else None, refused.message)
    return refused.status


def found_or_404(lookup: Any, key: Any) -> Any:
    """Run a selector lookup, turning its 404 ``NotFound`` into Django's Http404 for pages."""
    try:
        return lookup(key)
    except NotFound as error:
        raise Http404(error.message) from None


def posted_date(raw: str, field: str) -> dt.date:
    """A date from a form (400 ``invalid_input`` naming the field when it is not one)."""
    try:
        return validation.parse_date(raw, field=field)
    except InvalidInput:
        raise InvalidInput(
            "invalid_input", "Give a date between 1900 and 2100.", details={"field": field}
        ) from None
