"""API authentication: a bearer token or a staff member's browser session.

Who may do what once authenticated is decided by :mod:`mesoclinic.people.roles`.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from mesoclinic.people.roles import staff_member
from mesoclinic.people.services import api_token_user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from ``mesoclinic token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        user = api_token_user(token)
        if user is None:
            return None
        request.user = user  # type: ignore[assignment]
        return user


class StaffSession(SessionAuth):
    """A logged-in staff member's browser session (CSRF-checked for writes).

    A client's portal session is not a staff session: the API answers it with 401. Without
    a staff session there is nothing for CSRF to protect, so an anonymous write is a 401,
    never a CSRF 403.
    """

    def __call__(self, request: HttpRequest) -> object | None:
        if not staff_member(request.user).is_staff:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> object | None:
        if not staff_member(request.user).is_staff:
            return None
        return request.user
