"""Portal accounts for tests outside the portal journey."""

from __future__ import annotations


def verified_client_account(*, email: str, password: str):
    """A portal account whose email was proven (as after its owner used the link)."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from mesoclinic.core import clock
    from mesoclinic.portal.models import ClientAccount

    user = get_user_model().objects.create_user(username=f"client:{email}", password=password)
    return ClientAccount.objects.create(
        user=user,
        email=email,
        given_name="Test",
        family_name="Client",
        birth_date=dt.date(1990, 5, 5),
        email_verified_at=clock.now(),
        created_at=clock.now(),
    )
