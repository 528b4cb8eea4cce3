"""Staff calendar pages: the day and week calendar of a site (by practitioner or by
room) and quick booking from a free slot.

Thin: parse a form, call one selector or service of ``mesoclinic.scheduling``, render.
The calendar's layout (5-minute rows, lanes for overlapping numbing phases, which
15-minute cells are free to click, who is not working) is the pure
``scheduling/calendar_grid.py``, fed here from the cached site resources.
Pages are rendered in the site's time zone, so every time shown is the clinic's wall clock.

The other scheduling pages (``appointment_views``, ``course_views``, ``absence_views``)
share the site and date helpers and the "just taken" wording defined here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from mesoclinic.billing.selectors import booking_flags
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock, validation
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.people.selectors import client_search
from mesoclinic.scheduling import calendar_grid as grid
from mesoclinic.scheduling import selectors, services, site_resources
from mesoclinic.scheduling.busy import EPOCH
from mesoclinic.scheduling.errors import ClientBusy
from mesoclinic.scheduling.models import Appointment
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


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar, name="calendar"),
    path("calendar/book/", calendar_book, name="calendar_book"),
    path("calendar/client-options/", calendar_client_options, name="calendar_client_options"),
]
