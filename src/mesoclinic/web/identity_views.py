"""Staff login pages (issue 12): password, then second factor or enrolment, the recovery
codes shown once, and the lockout page. Thin: the writes are in ``people.identity``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from mesoclinic.people import identity

RECOVERY_CODES_KEY = "two_factor_recovery_codes"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:dashboard")


def _step_url(step: str, target: str) -> str:
    return f"{reverse(step)}?{urlencode({'next': target})}"


class StaffLoginView(auth_views.LoginView):
    """The password step; a user who still owes a second factor goes straight to it."""

    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        target = super().get_success_url()
        if identity.second_factor_pending(self.request):
            step = (
                "web:second_factor"
                if identity.has_second_factor(self.request.user)
                else "web:two_factor_enrol"
            )
            return _step_url(step, target)
        return target


def _pending_user(request: HttpRequest) -> Any:
    """The staff member at the login steps; clients never have a second factor here."""
    return request.user if identity.is_staff_member(request.user) else None


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the code from the authenticator app, or a recovery code."""
    user = _pending_user(request)
    if user is None:
        return redirect("web:login")
    if not identity.second_factor_pending(request):
        return redirect(_next_url(request))
    if not identity.has_second_factor(user):
        return redirect(_step_url("web:two_factor_enrol", _next_url(request)))
    error = ""
    if request.method == "POST":
        if identity.second_factor_verify(
            request=request, user=user, token=request.POST.get("code", "")
        ):
            return redirect(_next_url(request))
        error = (
            "Too many wrong codes in a row: wait a few seconds, then enter the current code."
            if identity.second_factor_throttled(user)
            else "That code is not right (or was already used). Try the current code."
        )
    return render(
        request,
        "web/identity/second_factor.html",
        {"error": error, "next": _next_url(request)},
        status=200 if not error else 400,
    )


@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code, confirm one code.

    Someone who already has an authenticator must prove it first, so a stolen password
    alone cannot replace it.
    """
    user = _pending_user(request)
    if user is None:
        return redirect("web:login")
    if identity.has_second_factor(user) and not identity.session_verified(user):
        return redirect(_step_url("web:second_factor", _next_url(request)))
    enrolment = identity.totp_enrolment_start(user=user)
    error = ""
    if request.method == "POST":
        codes = identity.totp_enrolment_confirm(
            request=request, user=user, token=request.POST.get("code", "")
        )
        if codes is not None:
            request.session[RECOVERY_CODES_KEY] = codes
            return redirect(_step_url("web:recovery_codes", _next_url(request)))
        error = (
            "Too many wrong codes in a row: wait a few seconds, then enter the current code."
            if identity.second_factor_throttled(user)
            else "That code is not right. Enter the six digits the app shows now."
        )
    qr = segno.make(enrolment.config_url, error="m")
    return render(
        request,
        "web/identity/enrol.html",
        {
            "qr_data_uri": qr.svg_data_uri(scale=5, border=2),
            "secret": enrolment.secret,
            "error": error,
            "next": _next_url(request),
            "required": identity.two_factor_required(user),
        },
        status=200 if not error else 400,
    )


@require_http_methods(["GET"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once (they are taken out of the session here)."""
    user = _pending_user(request)
    if user is None:
        return redirect("web:login")
    codes = request.session.pop(RECOVERY_CODES_KEY, None)
    return render(
        request,
        "web/identity/recovery_codes.html",
        {
            "codes": codes,
            "left": identity.recovery_codes_left(user),
            "next": _next_url(request),
        },
    )


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes's lockout answer: a plain page (429) saying what happened and what to do."""
    from django.conf import settings

    portal = request.path.startswith("/account/")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "web/identity/locked_out.html",
        {
            "base_template": "portal/base.html" if portal else "web/base.html",
            "minutes": minutes,
            "login_url": reverse("portal:login" if portal else "web:login"),
            "portal": portal,
        },
        status=429,
    )
