"""Staff pages for courses: planning and booking a whole course from the client page,
the course page, and re-planning the sessions after one that moved or was cancelled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from mesoclinic.billing.services import course_quote_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError, NotFound
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.people.roles import sees_clinical
from mesoclinic.scheduling import planning, selectors, services
from mesoclinic.scheduling.models import Appointment, AppointmentStatus
from mesoclinic.web.calendar_views import _site
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required


class CoursePlanForm(forms.Form):
    """What to plan: treatment, site, first date, optionally a practitioner and a session
    count. Without a site, the client's home site (else the user's)."""

    site = forms.ModelChoiceField(
        Site.objects.order_by("name"),
        to_field_name="code",
        required=False,
        label="Site",
        empty_label="The client's home site",
    )
    treatment = forms.ModelChoiceField(
        Treatment.objects.filter(active=True).select_related("default_protocol").order_by("name"),
        to_field_name="code",
    )
    start_date = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    practitioner = forms.ModelChoiceField(
        Practitioner.objects.filter(active=True),
        to_field_name="code",
        required=False,
        empty_label="Best of all qualified practitioners",
    )
    sessions = forms.IntegerField(
        label="Sessions (optional)",
        required=False,
        min_value=1,
        max_value=planning.MAX_COURSE_SESSIONS,
        help_text="Leave empty for the protocol's course; more adds maintenance sessions.",
    )
    preferred_practitioner = forms.ModelChoiceField(
        Practitioner.objects.filter(active=True),
        to_field_name="code",
        required=False,
        label="Preferred practitioner",
        empty_label="No preference",
        help_text="Preferred when free; another qualified one otherwise.",
    )
    time_of_day = forms.CharField(
        label="Time of day",
        required=False,
        max_length=5,
        help_text="morning, afternoon, evening, or a time such as 14:30.",
    )

    def clean_time_of_day(self) -> str:
        value = str(self.cleaned_data.get("time_of_day") or "").strip().lower()
        if value:
            try:
                planning.time_of_day_window(value)
            except DomainError as refused:
                raise forms.ValidationError(refused.message) from None
        return value


def _course_arguments(client: Client, form: CoursePlanForm) -> dict[str, Any]:
    values = form.cleaned_data
    earliest = latest = None
    if values.get("time_of_day"):
        earliest, latest = planning.time_of_day_window(values["time_of_day"])
    preferred = values.get("preferred_practitioner")
    return {
        "site": values.get("site") or client.home_site,
        "client": client,
        "treatment": values["treatment"],
        "start_date": values["start_date"],
        "practitioner": values["practitioner"],
        "sessions": values["sessions"],
        "wishes": planning.CourseWishes(
            earliest_time=earliest,
            latest_time=latest,
            preferred_practitioner=preferred.code if preferred else None,
        ),
    }


@staff_required
def course_plan(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Plan a course for a client: GET with the form's values previews the dates, times
    and price; POST books every session at once through ``course_book`` (all or nothing)."""
    client = get_object_or_404(Client.objects.select_related("home_site"), pk=client_id)
    site = client.home_site or _site(request)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = CoursePlanForm(data, initial={"start_date": clock.today(site.tzinfo)})
    if form.is_bound and form.is_valid() and form.cleaned_data.get("site"):
        site = form.cleaned_data["site"]
    plan: planning.CoursePlanResult | None = None
    error: DomainError | None = None
    status = 200
    if data is not None:
        if form.is_valid():
            arguments = _course_arguments(client, form)
            try:
                if request.method == "POST":
                    course, _ = services.course_book(actor=request.user, **arguments)
                    course_quote_record(actor=request.user, course=course)
                    messages.success(
                        request,
                        f"Course booked: {course.appointments.count()} sessions of "
                        f"{course.treatment.name}, £{course.price}.",
                    )
                    return redirect("web:course_detail", course_id=course.pk)
                plan = planning.course_plan(**arguments)
            except DomainError as refused:
                error, status = refused, refused.status
        else:
            status = 400
    rows: list[dict[str, Any]] = []
    warnings: list[tuple[str, str]] = []
    if plan is not None:
        rows = [
            {
                "session": session,
                "names": planning.slot_names(plan, session.slot) if session.slot else {},
            }
            for session in plan.sessions
        ]
        found = services.course_plan_warnings(actor=request.user, plan=plan)
        warnings = found.clinical if sees_clinical(request.user) else found.front_desk
    with timezone.override(site.tzinfo):
        return render(
            request,
            "web/scheduling/course_plan.html",
            {
                "client": client,
                "form": form,
                "plan": plan,
                "rows": rows,
                "warnings": warnings,
                "error": error,
            },
            status=status,
        )


def _replan_offer(appointment: Appointment) -> HttpResponse | None:
    """After a course session moved or was cancelled, with booked sessions after it: the
    course page, offering to re-plan them."""
    if not appointment.course_id or not appointment.session_number:
        return None
    if not Appointment.objects.filter(
        course_id=appointment.course_id,
        session_number__gt=appointment.session_number,
        status=AppointmentStatus.BOOKED,
    ).exists():
        return None
    url = reverse("web:course_detail", kwargs={"course_id": appointment.course_id})
    return redirect(f"{url}?after={appointment.session_number}")


@staff_required
def course_detail(request: HtmxHttpRequest, course_id: int) -> HttpResponse:
    """A course: its sessions (with their appointments) and price; ``?after=N`` (after a
    session moved or was cancelled) offers to re-plan the sessions after N."""
    try:
        course = selectors.course_view(actor=request.user, course_id=course_id)
    except NotFound:
        raise Http404("No such course.") from None
    sessions = selectors.course_appointments(course=course)
    site = sessions[0].site if sessions else course.client.home_site
    after = request.GET.get("after", "")
    with timezone.override(site.tzinfo if site else dt.UTC):
        return render(
            request,
            "web/scheduling/course_detail.html",
            {
                "course": course,
                "sessions": sessions,
                "after": int(after) if after.isdigit() and int(after) < 100 else None,
            },
        )


@staff_required
@require_http_methods(["GET", "POST"])
def course_replan(request: HtmxHttpRequest, course_id: int) -> HttpResponse:
    """Re-plan later sessions: GET previews the new times of the booked sessions after
    ``after``; POST moves them all (or none)."""
    try:
        course = selectors.course_view(actor=request.user, course_id=course_id)
    except NotFound:
        raise Http404("No such course.") from None
    raw = (request.POST if request.method == "POST" else request.GET).get("after", "")
    if not raw.isdigit() or int(raw) > planning.MAX_COURSE_SESSIONS:
        return redirect("web:course_detail", course_id=course.pk)
    after = int(raw)
    error: DomainError | None = None
    status = 200
    if request.method == "POST":
        try:
            moved = services.course_replan_apply(
                actor=request.user, course=course, after_session=after
            )
        except DomainError as refused:
            error, status = refused, refused.status
        else:
            messages.success(request, f"Re-planned: {len(moved)} later session(s) moved.")
            return redirect("web:course_detail", course_id=course.pk)
    replan = planning.course_replan_preview(course=course, after_session=after)
    names = (
        {code: p.display_name for code, p in replan.search.practitioners.items()}
        if replan.search
        else {}
    )
    site = replan.anchor.site if replan.anchor else course.client.home_site
    with timezone.override(site.tzinfo if site else dt.UTC):
        return render(
            request,
            "web/scheduling/course_replan.html",
            {
                "course": course,
                "after": after,
                "replan": replan,
                "rows": [
                    {
                        "appointment": appointment,
                        "slot": slot,
                        "practitioner": names.get(slot.practitioner, slot.practitioner)
                        if slot
                        else "",
                    }
                    for appointment, slot in replan.moves
                ],
                "error": error,
            },
            status=status,
        )


urlpatterns: list[URLPattern] = [
    path("clients/<int:client_id>/courses/plan/", course_plan, name="course_plan"),
    path("courses/<int:course_id>/", course_detail, name="course_detail"),
    path("courses/<int:course_id>/replan/", course_replan, name="course_replan"),
]
