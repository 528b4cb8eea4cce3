"""Staff pages for scheduling: the calendar (day and week, by practitioner or by room),
quick booking from a free slot, the appointment page with cancel and reschedule, course
planning and booking from the client page, and absences with the re-plan preview.

Thin: parse a form, call one selector or service of ``mesoclinic.scheduling``, render.
Only the calendar's layout (5-minute rows, lanes for overlapping numbing phases, which
15-minute cells are free to click) is worked out here, because it is presentation.
Pages are rendered in the site's time zone, so every time shown is the clinic's wall clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock, validation
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput, NotFound
from mesoclinic.people.models import (
    Absence,
    Client,
    OpeningHours,
    Practitioner,
    Room,
    Site,
    WorkingHours,
)
from mesoclinic.people.roles import may_manage_calendar
from mesoclinic.people.selectors import client_search
from mesoclinic.scheduling import planning, selectors, services
from mesoclinic.scheduling.errors import ClientBusy
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Course
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required

ROW_MINUTES = 5
CELL_MINUTES = 15
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
    profile = getattr(request.user, "staff_profile", None)
    site = (profile.default_site if profile else None) or Site.objects.order_by("pk").first()
    if site is None:
        raise Http404("No site is set up yet.")
    return site


def _parse_date(text: str | None, default: dt.date) -> dt.date:
    """A date from the query string within 1900–2100 (a malformed or far one: ``default``)."""
    try:
        return validation.parse_date(text) if text else default
    except InvalidInput:
        return default


def _local_minute(moment: dt.datetime, tz: dt.tzinfo) -> tuple[dt.date, int]:
    local = moment.astimezone(tz)
    return local.date(), local.hour * 60 + local.minute


def _minute_of(value: dt.time) -> int:
    return value.hour * 60 + value.minute


# --- Calendar layout ------------------------------------------------------------------------


@dataclass
class Block:
    """One thing drawn in the day grid: a phase of an appointment or a free cell."""

    kind: str  # "treatment" | "numbing" | "free" | "absence"
    first_row: int
    last_row: int  # exclusive
    track: int
    label: str
    appointment: Appointment | None = None
    start: dt.datetime | None = None
    url: str = ""


@dataclass
class Column:
    """A practitioner, a room or the numbing lounge, with its grid tracks."""

    key: str
    title: str
    subtitle: str
    first_track: int
    tracks: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class DayGrid:
    """The day view: rows of ``ROW_MINUTES`` from opening to closing, columns of tracks."""

    day: dt.date
    opens: int
    closes: int
    columns: list[Column]
    times: list[tuple[int, str]]  # (grid row, "09:15")
    track_sizes: list[str]

    @property
    def rows(self) -> int:
        return (self.closes - self.opens) // ROW_MINUTES

    @property
    def template_columns(self) -> str:
        return " ".join(["4.5rem", *self.track_sizes])


def _lanes(intervals: list[tuple[int, int]]) -> tuple[list[int], int]:
    """Greedy interval partitioning: a lane per interval so that no two in a lane overlap."""
    order = sorted(range(len(intervals)), key=lambda index: intervals[index])
    lane_ends: list[int] = []
    lanes = [0] * len(intervals)
    for index in order:
        start, end = intervals[index]
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                lanes[index] = lane
                lane_ends[lane] = end
                break
        else:
            lanes[index] = len(lane_ends)
            lane_ends.append(end)
    return lanes, max(1, len(lane_ends))


def _opening(site: Site, day: dt.date, closed: set[dt.date]) -> tuple[int, int] | None:
    if day in closed:
        return None
    hours = list(OpeningHours.objects.filter(site=site, weekday=day.weekday()))
    if not hours:
        return None
    return min(_minute_of(h.opens) for h in hours), max(_minute_of(h.closes) for h in hours)


def _describe(appointment: Appointment) -> str:
    return (
        f"{appointment.treatment.name} · {appointment.client.full_name} · "
        f"{appointment.practitioner.display_name} · {appointment.room.name}"
    )


def _day_grid(
    *,
    site: Site,
    day: dt.date,
    by: str,
    appointments: list[Appointment],
    closed: set[dt.date],
    now: dt.datetime,
) -> DayGrid | None:
    """Lay out one day; ``None`` when the site is closed."""
    opening = _opening(site, day, closed)
    if opening is None:
        return None
    opens, closes = opening
    tz = site.tzinfo

    def row(minute: int) -> int:
        return 2 + (min(max(minute, opens), closes) - opens) // ROW_MINUTES

    def span(start: dt.datetime, end: dt.datetime) -> tuple[int, int] | None:
        start_day, start_minute = _local_minute(start, tz)
        end_day, end_minute = _local_minute(end, tz)
        if start_day != day:
            start_minute = opens
        if end_day != day:
            end_minute = closes
        first, last = row(start_minute), row(end_minute + ROW_MINUTES - 1)
        return (first, last) if first < last else None

    columns: list[Column] = []
    track = 2
    track_sizes: list[str] = []
    if by == "room":
        rooms = list(Room.objects.filter(site=site, active=True).order_by("code"))
        for room in rooms:
            column = Column(f"room-{room.code}", room.name, "", track, 1)
            for appointment in appointments:
                if appointment.room_id != room.pk:
                    continue
                placed = span(appointment.treatment_start, appointment.busy_until)
                if placed:
                    column.blocks.append(
                        Block("treatment", *placed, track, _describe(appointment), appointment)
                    )
            column.blocks += _free_blocks(
                site=site,
                day=day,
                opens=opens,
                closes=closes,
                busy=[
                    (a.treatment_start, a.busy_until) for a in appointments if a.room_id == room.pk
                ],
                working=[(opens, closes)],
                track=track,
                now=now,
                link={"room": room.code},
                who=room.name,
            )
            columns.append(column)
            track_sizes.append("minmax(7rem, 1fr)")
            track += 1
        numbing = [a for a in appointments if a.start < a.treatment_start]
        spans = [span(a.start, a.treatment_start) for a in numbing]
        placed_numbing = [(a, s) for a, s in zip(numbing, spans, strict=True) if s]
        lanes, count = _lanes([s for _, s in placed_numbing])
        lounge = Column(
            "lounge",
            "Numbing lounge",
            f"{site.numbing_lounge_capacity} places",
            track,
            count,
        )
        for (appointment, (first, last)), lane in zip(placed_numbing, lanes, strict=True):
            lounge.blocks.append(
                Block(
                    "numbing",
                    first,
                    last,
                    track + lane,
                    f"Numbing · {appointment.client.full_name} · {appointment.treatment.name}",
                    appointment,
                )
            )
        columns.append(lounge)
        track_sizes += ["minmax(3.5rem, 1fr)"] * count
    else:
        practitioners = selectors.site_practitioners(site=site)
        weekday = day.weekday()
        hours: dict[int, list[tuple[int, int]]] = {}
        for working in WorkingHours.objects.filter(site=site, weekday=weekday):
            hours.setdefault(working.practitioner_id, []).append(
                (_minute_of(working.starts), _minute_of(working.ends))
            )
        day_start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
        day_end = day_start + dt.timedelta(days=1)
        absences: dict[int, list[Absence]] = {}
        for absence in Absence.objects.filter(
            practitioner__in=practitioners, starts_at__lt=day_end, ends_at__gt=day_start
        ):
            absences.setdefault(absence.practitioner_id, []).append(absence)
        for practitioner in practitioners:
            own = [a for a in appointments if a.practitioner_id == practitioner.pk]
            numbing = [a for a in own if a.start < a.treatment_start]
            spans = [span(a.start, a.treatment_start) for a in numbing]
            placed_numbing = [(a, s) for a, s in zip(numbing, spans, strict=True) if s]
            lanes, count = _lanes([s for _, s in placed_numbing])
            column = Column(
                practitioner.code,
                practitioner.display_name,
                practitioner.get_profession_display(),
                track,
                count + 1,
            )
            for (appointment, (first, last)), lane in zip(placed_numbing, lanes, strict=True):
                column.blocks.append(
                    Block(
                        "numbing",
                        first,
                        last,
                        track + lane,
                        f"Numbing (client in the lounge) · {_describe(appointment)}",
                        appointment,
                    )
                )
            main = track + count
            for appointment in own:
                placed = span(appointment.treatment_start, appointment.end)
                if placed:
                    column.blocks.append(
                        Block("treatment", *placed, main, _describe(appointment), appointment)
                    )
            away = absences.get(practitioner.pk, [])
            for absence in away:
                placed = span(absence.starts_at, absence.ends_at)
                if placed:
                    column.blocks.append(
                        Block("absence", *placed, main, f"Away: {absence.reason or 'absence'}")
                    )
            column.blocks += _free_blocks(
                site=site,
                day=day,
                opens=opens,
                closes=closes,
                busy=[(a.treatment_start, a.busy_until) for a in own]
                + [(a.starts_at, a.ends_at) for a in away],
                working=hours.get(practitioner.pk, []),
                track=main,
                now=now,
                link={"practitioner": practitioner.code},
                who=practitioner.display_name,
            )
            columns.append(column)
            track_sizes += ["1.1rem"] * count + ["minmax(7rem, 1fr)"]
            track += count + 1
    for column in columns:
        column.blocks.sort(key=lambda block: (block.first_row, block.track))
    times = [
        (row(minute), f"{minute // 60:02d}:{minute % 60:02d}")
        for minute in range(opens, closes, CELL_MINUTES)
    ]
    return DayGrid(day, opens, closes, columns, times, track_sizes)


def _free_blocks(
    *,
    site: Site,
    day: dt.date,
    opens: int,
    closes: int,
    busy: list[tuple[dt.datetime, dt.datetime]],
    working: list[tuple[int, int]],
    track: int,
    now: dt.datetime,
    link: dict[str, str],
    who: str,
) -> list[Block]:
    """15-minute cells inside working hours, not in the past and clear of ``busy``: each
    is a link to the quick-booking form (whether a treatment fits is the service's call)."""
    tz = site.tzinfo
    blocks: list[Block] = []
    book = reverse("web:calendar_book")
    for minute in range(opens, closes, CELL_MINUTES):
        if not any(low <= minute and minute + CELL_MINUTES <= high for low, high in working):
            continue
        start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
        end = start + dt.timedelta(minutes=CELL_MINUTES)
        if start < now or any(low < end and start < high for low, high in busy):
            continue
        first = 2 + (minute - opens) // ROW_MINUTES
        query = "&".join(
            [f"site={site.code}", f"start={start:%Y-%m-%dT%H:%M}"]
            + [f"{key}={value}" for key, value in link.items()]
        )
        blocks.append(
            Block(
                "free",
                first,
                first + CELL_MINUTES // ROW_MINUTES,
                track,
                f"Book {who} at {start:%H:%M}",
                start=start,
                url=f"{book}?{query}",
            )
        )
    return blocks


@dataclass
class WeekRow:
    """A practitioner's or room's week: per day, the appointments (or ``None`` if closed)."""

    title: str
    days: list[list[Appointment] | None]


def _week_rows(
    *,
    site: Site,
    days: list[dt.date],
    by: str,
    appointments: list[Appointment],
    closed: set[dt.date],
) -> list[WeekRow]:
    tz = site.tzinfo
    open_weekdays = set(OpeningHours.objects.filter(site=site).values_list("weekday", flat=True))
    is_open = [day.weekday() in open_weekdays and day not in closed for day in days]
    resources: list[tuple[int, str]]
    if by == "room":
        resources = [
            (r.pk, r.name) for r in Room.objects.filter(site=site, active=True).order_by("code")
        ]
    else:
        resources = [(p.pk, p.display_name) for p in selectors.site_practitioners(site=site)]
    rows = []
    for pk, title in resources:
        cells: list[list[Appointment] | None] = []
        for day, open_day in zip(days, is_open, strict=True):
            if not open_day:
                cells.append(None)
                continue
            cells.append(
                [
                    a
                    for a in appointments
                    if (a.room_id if by == "room" else a.practitioner_id) == pk
                    and a.start.astimezone(tz).date() == day
                ]
            )
        rows.append(WeekRow(title, cells))
    return rows


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
    closed = selectors.site_closed_days(site=site, date_from=days[0], date_to=days[-1])
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
        context["grid"] = _day_grid(
            site=site, day=day, by=by, appointments=appointments, closed=closed, now=clock.now()
        )
    else:
        context["week"] = _week_rows(
            site=site, days=days, by=by, appointments=appointments, closed=closed
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


def _client_options(query: str, chosen: str | None) -> list[Client]:
    options: list[Client] = []
    if chosen and validation.is_id(chosen):
        options += list(Client.objects.filter(pk=int(chosen)))
    if query:
        options += [c for c in client_search(query=query)[:CLIENT_OPTIONS] if c not in options]
    return options


@staff_required
def calendar_client_options(request: HtmxHttpRequest) -> HttpResponse:
    """The client choices for a search (htmx fragment of the booking form)."""
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "web/scheduling/book.html#client-options",
        {"client_options": _client_options(query, request.GET.get("client")), "query": query},
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
        "client_options": _client_options(query, chosen),
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
        empty_label="Keep the practitioner if free, else any qualified",
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
    """What to plan: treatment, first date, optionally a practitioner and a session count."""

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


def _course_arguments(client: Client, form: CoursePlanForm) -> dict[str, Any]:
    values = form.cleaned_data
    return {
        "client": client,
        "treatment": values["treatment"],
        "start_date": values["start_date"],
        "practitioner": values["practitioner"],
        "sessions": values["sessions"],
    }


@staff_required
def course_plan(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Plan a course for a client: GET with the form's values previews the dates, times
    and price; POST books every session at once through ``course_book`` (all or nothing)."""
    client = get_object_or_404(Client.objects.select_related("home_site"), pk=client_id)
    site = client.home_site or _site(request)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = CoursePlanForm(data, initial={"start_date": clock.today(site.tzinfo)})
    plan: planning.CoursePlanResult | None = None
    error: DomainError | None = None
    status = 200
    if data is not None:
        if form.is_valid():
            arguments = _course_arguments(client, form)
            try:
                if request.method == "POST":
                    course, _ = services.course_book(actor=request.user, **arguments)
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
    with timezone.override(site.tzinfo):
        return render(
            request,
            "web/scheduling/course_plan.html",
            {"client": client, "form": form, "plan": plan, "error": error},
            status=status,
        )


@staff_required
def course_detail(request: HtmxHttpRequest, course_id: int) -> HttpResponse:
    """A course: its sessions (with their appointments) and price."""
    try:
        course = selectors.course_view(actor=request.user, course_id=course_id)
    except NotFound:
        raise Http404("No such course.") from None
    sessions = selectors.course_appointments(course=course)
    site = sessions[0].site if sessions else course.client.home_site
    with timezone.override(site.tzinfo if site else dt.UTC):
        return render(
            request,
            "web/scheduling/course_detail.html",
            {"course": course, "sessions": sessions},
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
    path("practitioners/<slug:code>/absences/new/", absence_new, name="absence_new"),
    path("absences/<int:absence_id>/replan/", absence_replan, name="absence_replan"),
]
