"""API authentication (bearer token or browser session) and role checks."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from mesoclinic.core.errors import PermissionDenied
from mesoclinic.people.models import Role
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

    A client's portal session is not a staff session: the API answers it with 401.
    """

    def authenticate(self, request: HttpRequest, key: str | None) -> object | None:
        if user_role(request) is None:
            return None
        return request.user


def user_role(request: HttpRequest) -> str | None:
    """The staff role of the request's user: admin, practitioner, reception, or None."""
    user = request.user
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile else None


def require_role(request: HttpRequest, roles: Iterable[str]) -> str:
    """Refuse with 403 unless the user holds one of ``roles``; return the role held."""
    role = user_role(request)
    allowed = set(roles)
    if role is None or role not in allowed:
        names = " or ".join(sorted(allowed))
        raise PermissionDenied("forbidden", f"This needs the {names} role.")
    return role


STAFF = (Role.ADMIN, Role.PRACTITIONER, Role.RECEPTION)
CLINICAL = (Role.ADMIN, Role.PRACTITIONER)
