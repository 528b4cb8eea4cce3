"""Template context shared by every staff page."""

from __future__ import annotations

from django.http import HttpRequest

from mesoclinic.core import clock
from mesoclinic.people.models import Site
from mesoclinic.people.roles import NOBODY, role_names, staff_member


def clinic(request: HttpRequest) -> dict[str, object]:
    """The current site, its local date and what the user's roles allow, for the page
    header and for showing only the links a user may follow (the views still check)."""
    user = getattr(request, "user", None)
    profile = getattr(user, "staff_profile", None) if user and user.is_authenticated else None
    site = (profile.default_site if profile else None) or Site.objects.order_by("pk").first()
    return {
        "current_site": site,
        "site_today": clock.today(site.tzinfo) if site else clock.today(),
        "staff": staff_member(user) if user is not None else NOBODY,
        "staff_roles": ", ".join(role_names(user)) if user is not None else "",
    }
