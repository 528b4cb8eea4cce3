"""Audit every login, failed login, lockout and logout, whichever page it came through.

Staff, portal and Django admin logins all go through ``django.contrib.auth`` (and
django-axes for lockouts), so their signals are the one place that sees them all; the
receivers only hand over to the audit writers in :mod:`mesoclinic.people.identity`.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from mesoclinic.people import identity


def _on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    identity.login_audit_success(request=request, user=user)


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    identity.login_audit_failure(request=request, username=str(credentials.get("username", "")))


def _on_locked_out(sender: Any, request: Any, username: str | None, **kwargs: Any) -> None:
    identity.login_audit_lockout(request=request, username=username or "")


def _on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    reason = getattr(request, "logout_reason", "logged out") if request is not None else ""
    identity.login_audit_logout(request=request, user=user, reason=reason)


def connect() -> None:
    """Connect the receivers (from ``PeopleConfig.ready``)."""
    user_logged_in.connect(_on_logged_in, dispatch_uid="mesoclinic.login.success")
    user_login_failed.connect(_on_login_failed, dispatch_uid="mesoclinic.login.failed")
    user_locked_out.connect(_on_locked_out, dispatch_uid="mesoclinic.login.locked_out")
    user_logged_out.connect(_on_logged_out, dispatch_uid="mesoclinic.login.logout")
