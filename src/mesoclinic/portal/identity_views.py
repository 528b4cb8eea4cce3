"""The portal's identity pages: sign-up, the emailed link's page, login, password reset.

Thin views over the portal services. Every public form here is rate limited (per IP and
per email address, ``portal.ratelimit``) and answers the same whether or not the address
has an account: sign-up and reset requests always end on "check your email", and a
failed login says the same for a wrong address as for a wrong password.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Site
from mesoclinic.portal import services
from mesoclinic.portal.forms import (
    CompleteSignupForm,
    LoginForm,
    NewPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from mesoclinic.portal.links import link_minutes
from mesoclinic.portal.prescreen import CONDITION_QUESTIONS, Answers
from mesoclinic.portal.ratelimit import rate_limited
from mesoclinic.scheduling.services import hold_minutes

SENT_TO_KEY = "portal_sent_to"
HELD_KEY = "portal_held"
BOOKING_KEY = "portal_booking"
"""The booking steps' session state (``views.SESSION_KEY``)."""


def too_many_response(request: HttpRequest, wait_seconds: int) -> HttpResponse:
    """429 with a plain page saying how long to wait."""
    minutes = max(1, (wait_seconds + 59) // 60)
    response = render(request, "portal/too_many.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def sent_response(
    request: HttpRequest, email: str, *, held: tuple[dt.datetime, Site] | None = None
) -> HttpResponse:
    """The same "check your email" answer whatever happened (no account enumeration).
    ``held``: the booking's start and site, whose slot is held while the email is opened."""
    request.session[SENT_TO_KEY] = email
    request.session[HELD_KEY] = (
        {"start": held[0].isoformat(), "site": held[1].code} if held is not None else None
    )
    return redirect("portal:check_email")


def check_email(request: HttpRequest) -> HttpResponse:
    """After sign-up or a reset request: look for our email (said the same either way);
    after a booking, how long its time is held."""
    held = request.session.get(HELD_KEY)
    held_start = None
    if held:
        site = Site.objects.filter(code=held.get("site", "")).first()
        start = dt.datetime.fromisoformat(held["start"])
        held_start = start.astimezone(site.tzinfo) if site else start
    minutes = link_minutes()
    return render(
        request,
        "portal/check_email.html",
        {
            "email": request.session.get(SENT_TO_KEY, ""),
            "valid_minutes": min(minutes, hold_minutes()) if held_start else minutes,
            "held_start": held_start,
        },
    )


# --- accounts -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def account_login(request: HttpRequest) -> HttpResponse:
    """Client login by email."""
    if request.method == "POST":
        wait = rate_limited(request, "login", request.POST.get("email", ""))
        if wait is not None:
            return too_many_response(request, wait)
    form = LoginForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        target = request.GET.get("next", "")
        return redirect(
            target if target.startswith("/") and not target.startswith("//") else "portal:account"
        )
    return render(request, "portal/login.html", {"form": form})


@require_POST
def account_logout(request: HttpRequest) -> HttpResponse:
    """Log out and go back to the booking pages."""
    logout(request)
    return redirect("portal:book")


@require_http_methods(["GET", "POST"])
def account_signup(request: HttpRequest) -> HttpResponse:
    """Open an account without booking: details now, the password after the email's link."""
    if request.method == "POST":
        wait = rate_limited(request, "signup", request.POST.get("email", ""))
        if wait is not None:
            return too_many_response(request, wait)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_signup(
                email=data["email"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                birth_date=data["birth_date"],
                phone=data["phone"],
            )
        except DomainError as exc:
            form.add_error(
                exc.details.get("field") if exc.details.get("field") in form.fields else None,
                exc.message,
            )
        else:
            return sent_response(request, data["email"])
    return render(request, "portal/signup.html", {"form": form})


def _link_failed(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "portal/verify_failed.html", {"message": exc.message}, status=400)


@require_http_methods(["GET", "POST"])
def account_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification email: the email's owner checks the details given at
    sign-up, chooses their password and confirms (or declines) the booking. Opening the
    link changes nothing; the form's POST uses it up."""
    try:
        signup, pending = services.signup_for_link(token=token)
    except DomainError as exc:
        return _link_failed(request, exc)
    initial = {
        "given_name": signup.given_name,
        "family_name": signup.family_name,
        "birth_date": signup.birth_date,
        "phone": signup.phone,
    }
    form = CompleteSignupForm(
        request.POST or None, initial=initial, with_booking=pending is not None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, pending = services.signup_complete(
                token=token,
                password=data["password"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                birth_date=data["birth_date"],
                phone=data["phone"],
                booking_confirmed=data.get("booking_mine") == "yes",
            )
        except DomainError as exc:
            if exc.code == "link_invalid":
                return _link_failed(request, exc)
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
            return _after_signup(request, pending)
    return render(
        request,
        "portal/verify.html",
        {
            "form": form,
            "signup": signup,
            "pending": pending,
            "answers": Answers.from_dict(pending.answers) if pending and pending.answers else None,
            "conditions": [
                text
                for code, text in CONDITION_QUESTIONS
                if pending and code in (pending.answers or {}).get("conditions", ())
            ],
            "start": pending.start.astimezone(pending.site.tzinfo) if pending else None,
            "held_until": (
                pending.hold.expires_at.astimezone(pending.site.tzinfo)
                if pending and pending.hold
                else None
            ),
        },
    )


def _after_signup(request: HttpRequest, pending: Any) -> HttpResponse:
    if pending is not None and pending.appointment_id:
        return redirect("portal:book_done", appointment_id=pending.appointment_id)
    if pending is not None and pending.failure == services.DECLINED:
        messages.success(
            request,
            "Your account is ready. We didn't book anything and discarded the health answers.",
        )
        return redirect("portal:account")
    if pending is not None and pending.failure:
        messages.error(request, f"We couldn't book that time: {pending.failure}")
        return _other_times(request, pending)
    messages.success(request, "Thank you — your email is confirmed and your account is ready.")
    return redirect("portal:account")


def _other_times(request: HttpRequest, pending: Any) -> HttpResponse:
    """Back to the times page of the day asked for, the health answers kept, so the new
    client can pick another time (the answers were screened when they were given)."""
    if not pending.answers:
        return redirect("portal:book_treatment", code=pending.treatment.code)
    request.session[BOOKING_KEY] = {
        "treatment": pending.treatment.code,
        "site": pending.site.code,
        "answers": pending.answers,
        "ok": True,
    }
    day = pending.start.astimezone(pending.site.tzinfo).date()
    return redirect(f"{reverse('portal:book_times', args=[pending.treatment.code])}?day={day}")


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password-reset link (the answer is the same for every address)."""
    if request.method == "POST":
        wait = rate_limited(request, "password_reset", request.POST.get("email", ""))
        if wait is not None:
            return too_many_response(request, wait)
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_request(email=form.cleaned_data["email"])
        except DomainError as exc:
            form.add_error("email", exc.message)
        else:
            return sent_response(request, form.cleaned_data["email"])
    return render(request, "portal/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the reset email: choose a new password (the link works once)."""
    try:
        services.password_reset_check(token=token)
    except DomainError as exc:
        return _link_failed(request, exc)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(token=token, password=form.cleaned_data["password"])
        except DomainError as exc:
            if exc.code == "link_invalid":
                return _link_failed(request, exc)
            form.add_error("password", exc.message)
        else:
            messages.success(request, "Your password is changed. Please log in with it.")
            return redirect("portal:login")
    return render(request, "portal/password_reset_confirm.html", {"form": form})
