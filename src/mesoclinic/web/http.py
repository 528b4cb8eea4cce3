"""Request type for views behind django-htmx's middleware, and the site a staff page is about."""

from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

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
