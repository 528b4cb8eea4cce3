"""The lockout backend: django-axes's, for logins that come with a request."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username and address before the password is checked.

    Every login page (staff, portal, Django admin) passes the request. A check without one
    (the test client's ``login``, a shell) has no address to count against, so it is left
    to the password backend instead of failing as django-axes's own backend does.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
