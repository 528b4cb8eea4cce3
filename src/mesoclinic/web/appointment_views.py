"""Staff pages for one appointment: its page (both phases, who and where, status),
cancel, and reschedule with the free times of a chosen day offered. Thin, like every
scheduling page; rendered in the site's time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from mesoclinic.billing.selectors import no_show_fee_for
from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError, NotFound
from mesoclinic.people.models import Practitioner
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.models import Appointment, AppointmentStatus
from mesoclinic.web.calendar_views import JUST_TAKEN, _just_taken, _parse_date
from mesoclinic.web.course_views import _replan_offer
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required


def _appointment(appointment_id: int, *, viewer: Any = None) -> Appointment:
    try:
        if viewer is not None:
            return selectors.appointment_view(actor=viewer, appointment_id=appointment_id)
        return selectors.appointment_for_id(appointment_id)
    except NotFound:
        raise Http404("No such appointment.") from None


@staff_required
def appointment_detail(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """One appointment: both phases, who and where, status, and what can be done with it."""
    appointment = _appointment(appointment_id, viewer=request.user)
    with timezone.override(appointment.site.tzinfo):
        return render(
            request,
            "web/scheduling/appointment_detail.html",
            {
                "appointment": appointment,
                "can_change": appointment.status == AppointmentStatus.BOOKED,
                "has_numbing": appointment.start < appointment.treatment_start,
                "started": clock.now() >= appointment.start,
                "no_show_fee": no_show_fee_for(appointment=appointment),
            },
        )


class CancelForm(forms.Form):
    """Cancelling needs an explicit confirmation; the reason is optional."""

    confirm = forms.BooleanField(
        label="Yes, cancel this appointment",
        error_messages={"required": "Tick the box to confirm the cancellation."},
    )
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=300)


@staff_required
def appointment_cancel(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """GET asks for confirmation; POST cancels through ``appointment_cancel``."""
    appointment = _appointment(appointment_id)
    form = CancelForm(request.POST if request.method == "POST" else None)
    status = 200
    error: DomainError | None = None
    if request.method == "POST":
        if form.is_valid():
            try:
                services.appointment_cancel(
                    actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
                )
            except DomainError as refused:
                error, status = refused, refused.status
            else:
                messages.success(request, "Appointment cancelled: its time is free again.")
                offer = _replan_offer(appointment)
                if offer is not None:
                    return offer
                return redirect("web:appointment_detail", appointment_id=appointment.pk)
        else:
            status = 400
    with timezone.override(appointment.site.tzinfo):
        return render(
            request,
            "web/scheduling/appointment_cancel.html",
            {"appointment": appointment, "form": form, "error": error},
            status=status,
        )


class RescheduleForm(forms.Form):
    """A new arrival time, optionally with another practitioner."""

    start = forms.DateTimeField(
        label="New arrival time",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    practitioner = forms.ModelChoiceField(
        Practitioner.objects.filter(active=True),
        to_field_name="code",
        required=False,
        empty_label="Keep the current practitioner",
    )


@staff_required
def appointment_reschedule(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """Move an appointment: free times on a chosen day are offered; POST moves it through
    ``appointment_reschedule`` (409 shown as "just taken")."""
    appointment = _appointment(appointment_id)
    site = appointment.site
    tz = site.tzinfo
    local_start = appointment.start.astimezone(tz)
    day = _parse_date(request.GET.get("date"), local_start.date())
    form = RescheduleForm(
        request.POST if request.method == "POST" else None,
        initial={"start": local_start.replace(tzinfo=None), "practitioner": None},
    )
    status = 200
    error: DomainError | None = None
    if request.method == "POST":
        with timezone.override(tz):
            valid = form.is_valid()
        if valid:
            try:
                moved = services.appointment_reschedule(
                    actor=request.user,
                    appointment=appointment,
                    start=form.cleaned_data["start"],
                    practitioner=form.cleaned_data["practitioner"],
                )
            except DomainError as refused:
                error, status = refused, refused.status
            else:
                messages.success(
                    request,
                    f"Moved to {moved.start.astimezone(tz):%H:%M on %A %d %B} with "
                    f"{moved.practitioner.display_name}.",
                )
                offer = _replan_offer(moved)
                if offer is not None:
                    return offer
                return redirect("web:appointment_detail", appointment_id=moved.pk)
        else:
            status = 400
    suggestions: list[selectors.AvailableSlot] = []
    if day >= clock.today(tz):
        try:
            suggestions = selectors.availability_for(
                treatment=appointment.treatment, date_from=day, date_to=day, site=site, limit=40
            )
        except DomainError:
            suggestions = []
    with timezone.override(tz):
        return render(
            request,
            "web/scheduling/appointment_reschedule.html",
            {
                "appointment": appointment,
                "form": form,
                "error": error,
                "just_taken": _just_taken(error),
                "just_taken_message": JUST_TAKEN,
                "day": day,
                "previous_day": day - dt.timedelta(days=1),
                "next_day": day + dt.timedelta(days=1),
                "suggestions": suggestions,
            },
            status=status,
        )


urlpatterns: list[URLPattern] = [
    path("appointments/<int:appointment_id>/", appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:appointment_id>/cancel/", appointment_cancel, name="appointment_cancel"
    ),
    path(
        "appointments/<int:appointment_id>/reschedule/",
        appointment_reschedule,
        name="appointment_reschedule",
    ),
]
