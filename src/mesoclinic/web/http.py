"""Request type for views behind django-htmx's middleware, the site a staff page is about,
and a service's refusal shown on the form that asked for it."""

from django import forms
from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

from mesoclinic.core.errors import DomainError
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
