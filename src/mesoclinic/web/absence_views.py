"""Staff pages for a practitioner's absences: enter one, then preview and apply the
re-plan of the booked appointments it hits (an administrator, or the practitioner).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Absence, Practitioner
from mesoclinic.people.roles import may_manage_calendar
from mesoclinic.scheduling import planning, services
from mesoclinic.web.calendar_views import _site
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required


class AbsenceForm(forms.Form):
    """When a practitioner is away."""

    starts_at = forms.DateTimeField(
        label="Away from",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label="Back at",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(required=False, max_length=200)


@staff_required
def absence_new(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Enter an absence; then the re-plan preview of the appointments it hits."""
    practitioner = get_object_or_404(Practitioner, code=code)
    if not may_manage_calendar(request.user, practitioner=practitioner):
        raise PermissionDenied(
            "Only an administrator, or the practitioner themself, can change this calendar."
        )
    site = _site(request)
    form = AbsenceForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        with timezone.override(site.tzinfo):
            valid = form.is_valid()
        if valid:
            try:
                absence = services.absence_record(
                    actor=request.user,
                    practitioner=practitioner,
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as refused:
                form.add_error(None, refused.message)
                status = refused.status
            else:
                messages.success(request, "Absence recorded: availability no longer offers it.")
                return redirect("web:absence_replan", absence_id=absence.pk)
        else:
            status = 400
    return render(
        request,
        "web/scheduling/absence_form.html",
        {"practitioner": practitioner, "form": form},
        status=status,
    )


@staff_required
def absence_replan(request: HtmxHttpRequest, absence_id: int) -> HttpResponse:
    """GET previews the re-plan (moves and calls to make); POST applies it."""
    absence = get_object_or_404(Absence.objects.select_related("practitioner"), pk=absence_id)
    if not may_manage_calendar(request.user, practitioner=absence.practitioner):
        raise PermissionDenied(
            "Only an administrator, or the practitioner themself, can change this calendar."
        )
    site = _site(request)
    context: dict[str, Any] = {"absence": absence}
    if request.method == "POST":
        result = services.absence_replan_apply(actor=request.user, absence=absence)
        context["result"] = result
        messages.success(
            request,
            f"Re-plan applied: {len(result.moved)} moved, {len(result.phone)} to call.",
        )
    else:
        context["preview"] = planning.absence_replan_preview(absence=absence)
    with timezone.override(site.tzinfo):
        return render(request, "web/scheduling/absence_replan.html", context)


urlpatterns: list[URLPattern] = [
    path("practitioners/<slug:code>/absences/new/", absence_new, name="absence_new"),
    path("absences/<int:absence_id>/replan/", absence_replan, name="absence_replan"),
]
