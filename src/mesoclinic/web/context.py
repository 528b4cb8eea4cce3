"""Template context shared by every staff page."""

from __future__ import annotations

from django.http import HttpRequest

from mesoclinic.core import clock
from mesoclinic.people.models import Site


def clinic(request: HttpRequest) -> dict[str, object]:
    """The current site, its local date and the user's role, for the page header."""
    user = getattr(request, "user", None)
    profile = getattr(user, "staff_profile", None) if user and user.is_authenticated else None
    site = (profile.default_site if profile else None) or Site.objects.order_by("pk").first()
    return {
        "current_site": site,
        "site_today": clock.today(site.tzinfo) if site else clock.today(),
        "staff_role": profile.role
        if profile
        else ("admin" if user and user.is_superuser else None),
    }
