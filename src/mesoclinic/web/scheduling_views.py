"""Staff pages for scheduling: the calendar (day and week, by practitioner or by room),
quick booking from a free slot, the appointment page with cancel and reschedule, course
planning and booking from the client page, and absences with the re-plan preview.

Thin: parse a form, call one selector or service of ``mesoclinic.scheduling``, render.
The calendar's layout (5-minute rows, lanes for overlapping numbing phases, which
15-minute cells are free to click, who is not working) is the pure
``scheduling/calendar_grid.py``, fed here from the cached site resources.
Pages are rendered in the site's time zone, so every time shown is the clinic's wall clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from mesoclinic.billing.selectors import booking_flags, no_show_fee_for
from mesoclinic.billing.services import course_quote_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock, validation
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput, NotFound
from mesoclinic.people.models import (
    Absence,
    Client,
    Practitioner,
    Room,
    Site,
)
from mesoclinic.people.roles import may_manage_calendar, sees_clinical
from mesoclinic.people.selectors import client_search
from mesoclinic.scheduling import calendar_grid as grid
from mesoclinic.scheduling import planning, selectors, services, site_resources
from mesoclinic.scheduling.busy import EPOCH
from mesoclinic.scheduling.errors import ClientBusy
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Course
from mesoclinic.web.http import HtmxHttpRequest, user_site
from mesoclinic.web.permissions import staff_required

CLIENT_OPTIONS = 10
JUST_TAKEN = (
    "Just taken: that time was booked by someone else a moment ago (or no longer fits). "
    "Nothing was booked; please pick another time."
)


def _just_taken(error: DomainError | None) -> bool:
    """Whether to say "just taken": a conflict with the calendar, except ``client_busy``,
    which is not a race but the client's own other appointment (its message names it)."""
    return isinstance(error, Conflict) and not isinstance(error, ClientBusy)


# --- Site and time helpers ------------------------------------------------------------------


def _site(request: HtmxHttpRequest, code: str | None = None) -> Site:
    """The site asked for, else the user's default site, else the first site."""
    if code:
        site = Site.objects.filter(code=code).first()
        if site is None:
            raise Http404("No such site.")
        return site
    return user_site(request)


def _parse_date(text: str | None, default: dt.date) -> dt.date:
    """A date from the query string within 1900–2100 (a malformed or far one: ``default``)."""
    try:
        return validation.parse_date(text) if text else default
    except InvalidInput:
        return default


# --- Calendar data (the layout is scheduling/calendar_grid.py) -----------------------------


def _grid_site(
    site: Site, resources: site_resources.SiteResources, days: list[dt.date]
) -> grid.SiteDay:
    """The site for the layout: its hours and the days it is closed (public holidays and
    its own closed days) from the cached resources."""
    return grid.SiteDay(
        code=site.code,
        time_zone=resources.time_zone,
        opening_hours=resources.opening_hours,
        closed_days=frozenset(selectors.closed_days_in(site, resources, days[0], days[-1])),
        lounge_places=site.numbing_lounge_capacity,
    )


def _grid_staff(resources: site_resources.SiteResources) -> list[grid.Staff]:
    """The site's practitioners from the cached resources (no query)."""
    staff = []
    for practitioner in resources.practitioners:
        credentials: list[tuple[str, dt.date | None]] = [
            ("Indemnity insurance", practitioner.insurance_expires_on)
        ]
        if practitioner.registration_body:
            credentials.insert(
                0, ("Professional registration", practitioner.registration_expires_on)
            )
        staff.append(
            grid.Staff(
                key=practitioner.code,
                title=practitioner.display_name,
                subtitle=practitioner.get_profession_display(),
                working=resources.working_hours.get(practitioner.pk, {}),
                absences=tuple(
                    grid.Away(
                        EPOCH + dt.timedelta(minutes=start), EPOCH + dt.timedelta(minutes=end)
                    )
                    for start, end in resources.absences.get(practitioner.pk, ())
                ),
                credentials=tuple(credentials),
            )
        )
    return staff


def _booking(appointment: Appointment) -> grid.Booking:
    return grid.Booking(
        ref=appointment,
        start=appointment.start,
        treatment_start=appointment.treatment_start,
        end=appointment.end,
        busy_until=appointment.busy_until,
        practitioner=appointment.practitioner.code,
        room=appointment.room.code,
        treatment_name=appointment.treatment.name,
        client_name=appointment.client.full_name,
        practitioner_name=appointment.practitioner.display_name,
        room_name=appointment.room.name,
    )


@staff_required
def calendar(request: HtmxHttpRequest) -> HttpResponse:
    """Day or week calendar of a site, by practitioner or by room; htmx navigation swaps
    just the calendar."""
    site = _site(request, request.GET.get("site"))
    tz = site.tzinfo
    today = clock.today(tz)
    day = _parse_date(request.GET.get("date"), today)
    view = "week" if request.GET.get("view") == "week" else "day"
    by = "room" if request.GET.get("by") == "room" else "practitioner"
    days = [day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=n) for n in range(7)]
    if view == "day":
        days = [day]
    step = dt.timedelta(days=7 if view == "week" else 1)
    starts_from = dt.datetime.combine(days[0], dt.time(), tzinfo=tz) - dt.timedelta(hours=12)
    starts_before = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    appointments = list(
        selectors.appointment_list(
            site=site, starts_from=starts_from, starts_before=starts_before, include_cancelled=False
        )
    )
    resources = site_resources.for_site(site)
    site_day = _grid_site(site, resources, days)
    staff = _grid_staff(resources)
    rooms = [grid.Place(room.code, room.name) for room in resources.rooms]
    bookings = [_booking(appointment) for appointment in appointments]
    context: dict[str, Any] = {
        "site": site,
        "sites": Site.objects.order_by("name"),
        "day": day,
        "days": days,
        "today": today,
        "view": view,
        "by": by,
        "previous": day - step,
        "next": day + step,
        "appointment_count": len(appointments),
    }
    if view == "day":
        context["grid"] = grid.day_grid(
            site=site_day,
            day=day,
            by=by,
            staff=staff,
            rooms=rooms,
            bookings=bookings,
            now=clock.now(),
            book_url=reverse("web:calendar_book"),
        )
    else:
        context["week"] = grid.week_rows(
            site=site_day, days=days, by=by, staff=staff, rooms=rooms, bookings=bookings
        )
    template = (
        "web/scheduling/calendar.html#calendar" if request.htmx else "web/scheduling/calendar.html"
    )
    with timezone.override(tz):
        return render(request, template, context)


# --- Quick booking --------------------------------------------------------------------------


class QuickBookForm(forms.Form):
    """Book one appointment from a free slot: who, what, when."""

    site = forms.ModelChoiceField(
        Site.objects.all(), to_field_name="code", widget=forms.HiddenInput
    )
    start = forms.DateTimeField(
        label="Arrival time",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the client arrives (numbing cream starts then, if the treatment uses it).",
    )
    treatment = forms.ModelChoiceField(
        Treatment.objects.filter(active=True).order_by("name"), to_field_name="code"
    )
    practitioner = forms.ModelChoiceField(
        Practitioner.objects.filter(active=True),
        to_field_name="code",
        required=False,
        empty_label="Any qualified practitioner",
    )
    room = forms.ModelChoiceField(
        Room.objects.filter(active=True),
        to_field_name="code",
        required=False,
        widget=forms.HiddenInput,
    )
    client = forms.ModelChoiceField(
        Client.objects.all(),
        error_messages={"required": "Choose the client: search by name, email or phone."},
    )


def client_options(query: str, chosen: str | None) -> list[Client]:
    """Clients to choose from on a booking form: the chosen one, then the search's first
    matches (the waiting-list form offers the same choices)."""
    options: list[Client] = []
    if chosen and validation.is_id(chosen):
        options += list(Client.objects.filter(pk=int(chosen)))
    if query:
        options += [c for c in client_search(query=query)[:CLIENT_OPTIONS] if c not in options]
    flags = booking_flags(c.pk for c in options)  # no-shows and unpaid fees, for the desk
    for option in options:
        option.booking_flags = flags[option.pk]  # type: ignore[attr-defined]
    return options


@staff_required
def calendar_client_options(request: HtmxHttpRequest) -> HttpResponse:
    """The client choices for a search (htmx fragment of the booking form)."""
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "web/scheduling/_client_search.html#client-options",
        {"client_options": client_options(query, request.GET.get("client")), "query": query},
    )


@staff_required
def calendar_book(request: HtmxHttpRequest) -> HttpResponse:
    """Quick booking: GET shows the form prefilled from the clicked slot; POST books through
    ``appointment_book``. A lost race is shown as "just taken" (409)."""
    data = request.POST if request.method == "POST" else None
    site = _site(request, (data or request.GET).get("site"))
    tz = site.tzinfo
    initial = {
        key: request.GET.get(key)
        for key in ("start", "practitioner", "room", "treatment", "client")
    }
    initial["site"] = site.code
    form = QuickBookForm(data, initial={k: v for k, v in initial.items() if v})
    query = (data or request.GET).get("q", "").strip()
    chosen = (data or request.GET).get("client")
    status = 200
    error: DomainError | None = None
    if data is not None and data.get("action") != "search":
        with timezone.override(tz):
            valid = form.is_valid()
        if valid:
            values = form.cleaned_data
            try:
                appointment = services.appointment_book(
                    actor=request.user,
                    client=values["client"],
                    treatment=values["treatment"],
                    start=values["start"],
                    practitioner=values["practitioner"],
                    site=values["site"],
                    room=values["room"],
                )
            except DomainError as refused:
                error, status = refused, refused.status
            else:
                screening = getattr(appointment, "screening", None) or {}
                outcome = str(screening.get("outcome", "")).replace("_", " ")
                messages.success(
                    request,
                    f"Booked {appointment.treatment.name} for {appointment.client.full_name} at "
                    f"{appointment.start.astimezone(tz):%H:%M on %A %d %B}"
                    + (f" (screening: {outcome})" if outcome else "")
                    + ".",
                )
                url = reverse("web:appointment_detail", args=[appointment.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        else:
            status = 400
    context = {
        "form": form,
        "site": site,
        "query": query,
        "client_options": client_options(query, chosen),
        "chosen_client": chosen,
        "error": error,
        "just_taken": _just_taken(error),
        "just_taken_message": JUST_TAKEN,
        "reasons": (
            error.details.get("reasons") or error.details.get("screening", {}).get("reasons", [])
        )
        if error is not None
        else [],
    }
    with timezone.override(tz):
        return render(request, "web/scheduling/book.html", context, status=status)


# --- Appointment page: cancel, reschedule ---------------------------------------------------


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


# --- Courses --------------------------------------------------------------------------------


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


# --- Absences and re-planning ---------------------------------------------------------------


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


# --- Pieces for other pages (client page, dashboard) ---------------------------------------


def client_schedule(client: Client) -> dict[str, Any]:
    """The client page's scheduling section: upcoming appointments and courses."""
    now = clock.now()
    upcoming = list(
        selectors.appointment_list(client=client, starts_from=now, include_cancelled=False)[:10]
    )
    courses = list(
        Course.objects.filter(client=client)
        .select_related("treatment", "protocol")
        .order_by("-created_at")[:5]
    )
    for course in courses:
        booked = [a for a in course.appointments.all() if a.status in ACTIVE_STATUSES]
        course.sessions_booked = len(booked)  # type: ignore[attr-defined]
        course.next_session = min(  # type: ignore[attr-defined]
            (a.start for a in booked if a.start >= now), default=None
        )
    return {"client": client, "upcoming": upcoming, "courses": courses}


def today_at_site(site: Site | None) -> dict[str, Any]:
    """The dashboard's list of today's appointments at the site."""
    if site is None:
        return {"site": None, "appointments": []}
    tz = site.tzinfo
    today = clock.today(tz)
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    appointments = list(
        selectors.appointment_list(
            site=site,
            starts_from=midnight,
            starts_before=midnight + dt.timedelta(days=1),
            include_cancelled=False,
        )
    )
    return {"site": site, "today": today, "appointments": appointments}


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar, name="calendar"),
    path("calendar/book/", calendar_book, name="calendar_book"),
    path("calendar/client-options/", calendar_client_options, name="calendar_client_options"),
    path("appointments/<int:appointment_id>/", appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:appointment_id>/cancel/", appointment_cancel, name="appointment_cancel"
    ),
    path(
        "appointments/<int:appointment_id>/reschedule/",
        appointment_reschedule,
        name="appointment_reschedule",
    ),
    path("clients/<int:client_id>/courses/plan/", course_plan, name="course_plan"),
    path("courses/<int:course_id>/", course_detail, name="course_detail"),
    path("courses/<int:course_id>/replan/", course_replan, name="course_replan"),
    path("practitioners/<slug:code>/absences/new/", absence_new, name="absence_new"),
    path("absences/<int:absence_id>/replan/", absence_replan, name="absence_replan"),
]
