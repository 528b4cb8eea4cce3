"""Public booking pages (/book/) and the client's account (/account/): thin views.

Booking steps keep their state in the session (treatment, answers, chosen time) and call
the portal services; nothing is written before the visitor confirms. Account views check
that the signed-in user is a client and only ever load that client's own rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from mesoclinic.billing.online import online_deposit_due
from mesoclinic.billing.policy import booking_policy_summary, cancellation_policy
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock, validation
from mesoclinic.core.audit import audit_read, audit_record
from mesoclinic.core.downloads import attachment
from mesoclinic.core.errors import DomainError, InvalidInput
from mesoclinic.messaging.selectors import client_messages
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.portal import booking, selectors, services
from mesoclinic.portal.export import client_data, client_data_pdf
from mesoclinic.portal.forms import ConsentForm, DetailsForm, PrescreenForm
from mesoclinic.portal.identity_views import sent_response, too_many_response
from mesoclinic.portal.models import ClientAccount
from mesoclinic.portal.prescreen import Answers, prescreen
from mesoclinic.portal.ratelimit import rate_limited
from mesoclinic.scheduling.services import hold_minutes

SESSION_KEY = "portal_booking"

View = Callable[..., HttpResponse]


# --- helpers -----------------------------------------------------------------------------


def _treatment(site_code: str | None, code: str) -> Treatment:
    site = selectors.booking_site(site_code)
    treatment = selectors.bookable_treatments(site=site).filter(code=code).first()
    if treatment is None:
        raise Http404("No such treatment")
    return treatment


def _state(request: HttpRequest, code: str) -> dict[str, Any]:
    state = request.session.get(SESSION_KEY) or {}
    return state if state.get("treatment") == code else {}


def _save_state(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[SESSION_KEY] = state


def _account(request: HttpRequest) -> ClientAccount | None:
    user = request.user
    if not user.is_authenticated:
        return None
    return ClientAccount.objects.filter(user=user).select_related("client").first()


def client_required(view: View) -> View:
    """Signed-in clients only; staff users get 403, visitors go to the client login."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.get_full_path()}")
        account = _account(request)
        if account is None:
            raise PermissionDenied("This page is for clients.")
        if account.client is None:
            return render(request, "portal/check_email.html", {"account": account})
        return view(request, account, *args, **kwargs)

    return wrapped


def _client_of(account: ClientAccount) -> Client:
    if account.client is None:
        raise PermissionDenied("Please confirm your email address first.")
    return account.client


def _times_context(request: HttpRequest, *, site: Site, treatment: Treatment) -> dict[str, Any]:
    """The day asked for (else the first with a free time), its free times and the strip."""
    today = clock.today(site.tzinfo)
    day = _chosen_day(request, today=today)
    if day is None:
        day = booking.first_free_day(treatment=treatment, site=site, today=today) or today
    slots = booking.find_slots(treatment=treatment, site=site, day=day)
    strip = booking.day_strip(site=site, today=today, day=day)
    return {"day": day, "strip": strip, "slots": _one_per_time(slots), "tz": site.tzinfo}


def _chosen_day(request: HttpRequest, *, today: dt.date) -> dt.date | None:
    """The ``day`` of the query, within today and the booking horizon; None if none asked."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return None
    return min(max(day, today), today + booking.HORIZON)


def _parse_start(value: str) -> dt.datetime | None:
    try:
        start = validation.parse_datetime(value)
    except InvalidInput:
        return None
    return start if start.tzinfo else None


# --- public booking ---------------------------------------------------------------------------


@require_http_methods(["GET"])
def book_index(request: HttpRequest) -> HttpResponse:
    """Bookable treatments of the site in plain words, with prices and course estimates."""
    site = selectors.booking_site(request.GET.get("site"))
    cards = [selectors.treatment_card(t) for t in selectors.bookable_treatments(site=site)]
    return render(
        request,
        "portal/book_index.html",
        {
            "site": site,
            "sites": selectors.booking_sites(),
            "cards": cards,
            "policy": cancellation_policy(),
            "comparison": selectors.needle_comparison(cards),
        },
    )


@require_http_methods(["GET", "POST"])
def book_treatment(request: HttpRequest, code: str) -> HttpResponse:
    """One treatment, what to expect, and the pre-screening questions with the answer."""
    site = selectors.booking_site(request.GET.get("site"))
    treatment = _treatment(site.code, code)
    state = _state(request, code)
    verdict = None
    if request.method == "POST":
        form = PrescreenForm(request.POST)
        if form.is_valid():
            answers = form.answers()
            verdict = prescreen(treatment=treatment, answers=answers, on=clock.today(site.tzinfo))
            _save_state(
                request,
                {
                    "treatment": code,
                    "site": site.code,
                    "answers": answers.as_dict(),
                    "ok": verdict.can_book,
                },
            )
            audit_record(
                actor=None,
                action="portal.prescreen",
                summary=f"{code}: {verdict.outcome}",
                data={"treatment": code, "outcome": verdict.outcome},
            )
    else:
        initial = (
            PrescreenForm.initial_from(Answers.from_dict(state["answers"]))
            if state.get("answers")
            else None
        )
        form = PrescreenForm(initial=initial)
    context = {
        "site": site,
        "card": selectors.treatment_card(treatment),
        "form": form,
        "verdict": verdict,
        "policy": cancellation_policy(),
        "consultation": selectors.consultation_treatment(),
    }
    template = (
        "portal/book_treatment.html#verdict"
        if getattr(request, "htmx", False) and verdict
        else "portal/book_treatment.html"
    )
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def book_times(request: HttpRequest, code: str) -> HttpResponse:
    """Free times, a day at a time, for a visitor who passed the pre-screening."""
    state = _state(request, code)
    if not state.get("ok"):
        return redirect("portal:book_treatment", code=code)
    site = selectors.booking_site(state.get("site"))
    treatment = _treatment(site.code, code)
    if request.method == "POST":
        start = _parse_start(request.POST.get("start", ""))
        if start is None:
            messages.error(request, "Please choose a time.")
            return redirect("portal:book_times", code=code)
        state |= {"start": start.isoformat(), "practitioner": request.POST.get("practitioner", "")}
        _save_state(request, state)
        return redirect("portal:book_details", code=code)
    return render(
        request,
        "portal/book_times.html",
        {
            "site": site,
            "card": selectors.treatment_card(treatment),
            **_times_context(request, site=site, treatment=treatment),
        },
    )


def _one_per_time(slots: list[booking.SlotOption]) -> list[booking.SlotOption]:
    seen: dict[dt.datetime, booking.SlotOption] = {}
    for slot in slots:
        seen.setdefault(slot.start, slot)
    return list(seen.values())


@require_http_methods(["GET", "POST"])
def book_details(request: HttpRequest, code: str) -> HttpResponse:
    """Who is booking: a signed-in client confirms; a visitor opens an account."""
    state = _state(request, code)
    start = _parse_start(state.get("start", "")) if state.get("ok") else None
    if start is None:
        return redirect("portal:book_treatment", code=code)
    site = selectors.booking_site(state.get("site"))
    treatment = _treatment(site.code, code)
    answers = Answers.from_dict(state["answers"])
    practitioner = Practitioner.objects.filter(code=state.get("practitioner") or "").first()
    account = _account(request)
    form = DetailsForm(request.POST or None)
    error = None
    if request.method == "POST":
        address = (
            account.email
            if account is not None and account.client is not None
            else request.POST.get("email", "")
        )
        wait = rate_limited(request, "booking", address)
        if wait is not None:
            return too_many_response(request, wait)
        try:
            if account is not None and account.client is not None:
                appointment = services.online_book(
                    account=account,
                    treatment=treatment,
                    start=start,
                    site=site,
                    practitioner=practitioner,
                    answers=answers,
                )
                request.session.pop(SESSION_KEY, None)
                return redirect("portal:book_done", appointment_id=appointment.pk)
            if form.is_valid():
                data = form.cleaned_data
                services.account_signup(
                    email=data["email"],
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    birth_date=answers.birth_date,
                    phone=data["phone"],
                    site=site,
                    pending={
                        "treatment": treatment,
                        "start": start,
                        "practitioner": practitioner,
                        "answers": answers.as_dict(),
                    },
                )
                request.session.pop(SESSION_KEY, None)
                return sent_response(request, data["email"], held=(start, site))
        except DomainError as exc:
            error = exc.message
            if exc.details.get("field") in form.fields:
                form.add_error(exc.details["field"], exc.message)
                error = None
    return render(
        request,
        "portal/book_details.html",
        {
            "site": site,
            "card": selectors.treatment_card(treatment),
            "start": start.astimezone(site.tzinfo),
            "treatment_start": (start + dt.timedelta(minutes=treatment.numbing_minutes)).astimezone(
                site.tzinfo
            ),
            "practitioner": practitioner,
            "account": account,
            "form": form,
            "error": error,
            "policy": cancellation_policy(),
            "policy_summary": booking_policy_summary(treatment),
            "deposit": cancellation_policy().deposit_for(treatment.price),
            "birth_date": answers.birth_date,
            "hold_minutes": hold_minutes(),
            "day": start.astimezone(site.tzinfo).date(),
        },
    )


@client_required
def book_done(request: HttpRequest, account: ClientAccount, appointment_id: int) -> HttpResponse:
    """Booking confirmed."""
    try:
        appointment = selectors.client_appointment(
            client=_client_of(account), appointment_id=appointment_id
        )
    except DomainError:
        raise Http404("No such appointment") from None
    tz = appointment.site.tzinfo
    return render(
        request,
        "portal/book_done.html",
        {
            "appointment": appointment,
            "start": appointment.start.astimezone(tz),
            "treatment_start": appointment.treatment_start.astimezone(tz),
            "policy": cancellation_policy(),
            "deposit_due": online_deposit_due(appointment=appointment),
        },
    )


@client_required
def account_home(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """The client's upcoming appointments, course plan, forms and messages."""
    from mesoclinic.safety.selectors import consent_list, questionnaire_latest

    client = account.client
    assert client is not None
    upcoming = list(selectors.client_upcoming(client=client))
    policy = cancellation_policy()
    now = clock.now()
    signed = {c.treatment_id for c in consent_list(client=client)}
    to_sign = {a.treatment.code: a.treatment for a in upcoming if a.treatment_id not in signed}
    audit_read(actor=request.user, action="portal.account.view", client_id=client.pk)
    return render(
        request,
        "portal/account.html",
        {
            "account": account,
            "client": client,
            "upcoming": [
                (
                    a,
                    a.start.astimezone(a.site.tzinfo),
                    policy.can_change_online(start=a.start, now=now),
                    online_deposit_due(appointment=a),
                )
                for a in upcoming
            ],
            "courses": client.courses.select_related("treatment").prefetch_related("appointments"),
            "past": selectors.client_past(client=client)[:10],
            "questionnaire": questionnaire_latest(client=client),
            "to_sign": list(to_sign.values()),
            "messages_sent": client_messages(client=client)[:10],
            "policy": policy,
        },
    )


def _own_appointment(account: ClientAccount, appointment_id: int) -> Any:
    try:
        return selectors.client_appointment(
            client=_client_of(account), appointment_id=appointment_id
        )
    except DomainError:
        raise Http404("No such appointment") from None


@client_required
@require_http_methods(["GET", "POST"])
def account_cancel(
    request: HttpRequest, account: ClientAccount, appointment_id: int
) -> HttpResponse:
    """Confirm and cancel one's own appointment (within policy)."""
    appointment = _own_appointment(account, appointment_id)
    if request.method == "POST":
        try:
            services.client_appointment_cancel(account=account, appointment=appointment)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your appointment is cancelled. We've sent you an email.")
        return redirect("portal:account")
    policy = cancellation_policy()
    return render(
        request,
        "portal/cancel.html",
        {
            "appointment": appointment,
            "start": appointment.start.astimezone(appointment.site.tzinfo),
            "allowed": policy.can_change_online(start=appointment.start, now=clock.now()),
            "policy": policy,
        },
    )


@client_required
@require_http_methods(["GET", "POST"])
def account_reschedule(
    request: HttpRequest, account: ClientAccount, appointment_id: int
) -> HttpResponse:
    """Choose a new time for one's own appointment (within policy)."""
    appointment = _own_appointment(account, appointment_id)
    site = appointment.site
    policy = cancellation_policy()
    allowed = appointment.status == "booked" and policy.can_change_online(
        start=appointment.start, now=clock.now()
    )
    error = None
    if request.method == "POST":
        start = _parse_start(request.POST.get("start", ""))
        try:
            if start is None:
                raise services.InvalidInput("invalid_start", "Please choose a time.")
            services.client_appointment_reschedule(
                account=account, appointment=appointment, start=start
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Your appointment has moved. We've sent you the new details.")
            return redirect("portal:account")
    times = _times_context(request, site=site, treatment=appointment.treatment) if allowed else {}
    return render(
        request,
        "portal/reschedule.html",
        {
            "appointment": appointment,
            "start": appointment.start.astimezone(site.tzinfo),
            "allowed": allowed,
            "error": error,
            "policy": policy,
            "site": site,
            **times,
        },
    )


@client_required
@require_http_methods(["GET", "POST"])
def account_questionnaire(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """Complete or update one's health questionnaire."""
    from mesoclinic.safety.selectors import questionnaire_latest

    client = account.client
    assert client is not None
    latest = questionnaire_latest(client=client)
    if request.method == "POST":
        form = PrescreenForm(request.POST)
        if form.is_valid():
            try:
                services.questionnaire_from_answers(
                    actor=request.user, client=client, answers=form.answers()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Thank you — your health questions are up to date.")
                return redirect("portal:account")
    else:
        initial: dict[str, Any] = {"birth_date": client.birth_date}
        if latest is not None:
            initial |= PrescreenForm.initial_from(
                Answers(
                    birth_date=client.birth_date,
                    pregnant=latest.pregnant,
                    breastfeeding=latest.breastfeeding,
                    allergies=tuple(latest.allergies),
                    conditions=frozenset(latest.conditions),
                    medications=tuple(latest.medications),
                )
            )
        form = PrescreenForm(initial=initial)
    return render(request, "portal/questionnaire.html", {"form": form, "latest": latest})


@client_required
@require_http_methods(["GET", "POST"])
def account_consent(request: HttpRequest, account: ClientAccount, code: str) -> HttpResponse:
    """Read and sign the consent form for a treatment the client is booked for."""
    from mesoclinic.safety.consent_text import default_consent_body, default_consent_title
    from mesoclinic.safety.selectors import consent_form_current

    treatment = Treatment.objects.filter(code=code).first()
    if (
        treatment is None
        or not selectors.client_upcoming(client=_client_of(account))
        .filter(treatment=treatment)
        .exists()
    ):
        raise Http404("No consent form to sign")
    current = consent_form_current(treatment=treatment)
    title = current.title if current else default_consent_title(treatment)
    body = current.body if current else default_consent_body(treatment)
    form = ConsentForm(
        request.POST or None, initial={"form_version": current.version if current else None}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.client_consent_sign(
                account=account,
                treatment=treatment,
                signed_name=data["signed_name"],
                accepted=data["accepted"] is True,
                form_version=data["form_version"],
                photo_use=data["photo_use"],
                marketing=data["marketing"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Thank you — your consent form is signed.")
            return redirect("portal:account")
    return render(
        request,
        "portal/consent.html",
        {"treatment": treatment, "title": title, "body": body, "form": form},
    )


@client_required
def account_export_json(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """All the client's data as JSON (subject access)."""
    assert account.client is not None
    data = client_data(client=account.client, account=account)
    audit_read(
        actor=request.user,
        action="client.export",
        obj=account.client,
        client_id=account.client.pk,
        summary="JSON",
    )
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    attachment(response, "my-data.json")
    return response


@client_required
def account_export_pdf(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """All the client's data as a readable PDF."""
    assert account.client is not None
    pdf = client_data_pdf(client=account.client, account=account)
    audit_read(
        actor=request.user,
        action="client.export",
        obj=account.client,
        client_id=account.client.pk,
        summary="PDF",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    attachment(response, "my-data.pdf")
    return response
