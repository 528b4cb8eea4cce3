"""Practitioners in the clinic's settings (administrators): credentials (profession,
registration, prescribing, insurance, licence, sign-off), weekly working hours at each
site, and absences. An absence over booked appointments lists them before it is recorded
and leads to the re-plan page; nothing is cancelled silently. Thin views over
``people.practitioner_services`` and ``scheduling.services``, which check and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError
from mesoclinic.people import practitioner_services
from mesoclinic.people.models import Absence, Practitioner, Site, WorkingHours
from mesoclinic.scheduling import planning
from mesoclinic.scheduling import services as scheduling_services
from mesoclinic.web.http import HtmxHttpRequest, form_refusal, user_site
from mesoclinic.web.permissions import admin_required

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- Credentials ----------------------------------------------------------------------------


class PractitionerForm(forms.ModelForm):
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where they may be booked (with working hours there).",
    )

    class Meta:
        model = Practitioner
        fields = list(practitioner_services.PRACTITIONER_FIELDS)
        widgets = dict.fromkeys(
            (
                "registration_expires_on",
                "prescriber_expires_on",
                "insurance_expires_on",
                "licence_expires_on",
            ),
            DATE,
        )
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "registration_expires_on": "Registration valid until",
            "prescriber_qualification": "Prescribing qualification",
            "prescriber_expires_on": "Prescribing valid until",
            "insurance_expires_on": "Insurance valid until",
            "licence_expires_on": "Licence valid until",
            "active": "Active (offered for bookings)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sign_off_by = self.fields["sign_off_by"]
        assert isinstance(sign_off_by, forms.ModelChoiceField)
        sign_off_by.queryset = Practitioner.objects.exclude(pk=self.instance.pk).filter(active=True)

    def _post_clean(self) -> None:
        """The service checks across fields and saves; the form only reads the values."""


@admin_required
def practitioner_profile(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A practitioner's credentials: the screening engine uses them from the next
    request on."""
    practitioner = get_object_or_404(Practitioner, code=code)
    form = PractitionerForm(
        request.POST or None,
        instance=Practitioner.objects.get(pk=practitioner.pk),
        initial={"sites": list(practitioner.sites.all())},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            sites = data.pop("sites")
            try:
                changed = practitioner_services.practitioner_update(
                    actor=request.user, practitioner=practitioner, sites=sites, **data
                )
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(
                    request,
                    f"{practitioner.display_name} saved: bookings and screening use it now."
                    if changed
                    else "Nothing changed.",
                )
                return redirect("web:settings_practitioner", code=practitioner.code)
    return render(
        request,
        "web/settings/practitioner.html",
        {"practitioner": practitioner, "form": form},
        status=status,
    )


# --- Working hours --------------------------------------------------------------------------


class WorkingWeekForm(forms.Form):
    """A practitioner's week at one site: each day worked, from and to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
        for weekday, name in enumerate(WEEKDAYS):
            self.fields[f"works_{weekday}"] = forms.BooleanField(
                label=f"Works on {name}", required=False
            )
            self.fields[f"starts_{weekday}"] = forms.TimeField(
                label=f"{name} from", required=False, widget=time
            )
            self.fields[f"ends_{weekday}"] = forms.TimeField(
                label=f"{name} to", required=False, widget=time
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for weekday, name in enumerate(WEEKDAYS):
            if not data.get(f"works_{weekday}"):
                continue
            starts, ends = data.get(f"starts_{weekday}"), data.get(f"ends_{weekday}")
            if not (starts and ends):
                self.add_error(f"starts_{weekday}", f"Give {name}'s start and end times.")
            elif not starts < ends:
                self.add_error(f"ends_{weekday}", f"{name}: the day must end after it starts.")
        return data

    def week(self) -> dict[int, tuple[dt.time, dt.time] | None]:
        data = self.cleaned_data
        return {
            weekday: (data[f"starts_{weekday}"], data[f"ends_{weekday}"])
            if data.get(f"works_{weekday}")
            else None
            for weekday in range(7)
        }

    def days(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "works": self[f"works_{weekday}"],
                "starts": self[f"starts_{weekday}"],
                "ends": self[f"ends_{weekday}"],
            }
            for weekday, name in enumerate(WEEKDAYS)
        ]


def _week_initial(practitioner: Practitioner, site: Site) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in WorkingHours.objects.filter(practitioner=practitioner, site=site):
        initial |= {
            f"works_{row.weekday}": True,
            f"starts_{row.weekday}": row.starts,
            f"ends_{row.weekday}": row.ends,
        }
    return initial


@admin_required
def practitioner_hours(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A practitioner's weekly hours at one site (``?site=``, else the user's site)."""
    practitioner = get_object_or_404(Practitioner, code=code)
    chosen = request.GET.get("site") or request.POST.get("site")
    site = get_object_or_404(Site, code=chosen) if chosen else user_site(request)
    form = WorkingWeekForm(request.POST or None, initial=_week_initial(practitioner, site))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                practitioner_services.working_week_set(
                    actor=request.user, practitioner=practitioner, site=site, week=form.week()
                )
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(
                    request,
                    f"{practitioner.display_name}'s hours at {site.name} saved: "
                    "availability follows them now.",
                )
                url = f"{request.path}?site={site.code}"
                return redirect(url)
    return render(
        request,
        "web/settings/practitioner_hours.html",
        {
            "practitioner": practitioner,
            "site": site,
            "sites": Site.objects.order_by("name"),
            "form": form,
        },
        status=status,
    )


# --- Absences -------------------------------------------------------------------------------


class AbsenceDaysForm(forms.Form):
    """Whole days away, first to last (both included), in the site's time zone."""

    first_day = forms.DateField(label="First day away", widget=DATE)
    last_day = forms.DateField(label="Last day away", widget=DATE)
    reason = forms.CharField(
        required=False, max_length=200, help_text="e.g. annual leave, training."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The last day must be on or after the first day.")
        return data

    def days_key(self) -> str:
        """The dates the warning about booked appointments was shown for: confirming it
        records those dates only, not dates changed since."""
        return f"{self.cleaned_data['first_day']}/{self.cleaned_data['last_day']}"

    def moments(self, site: Site) -> tuple[dt.datetime, dt.datetime]:
        """From the first day's midnight to the midnight after the last day, local time."""
        first, last = self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        starts = dt.datetime.combine(first, dt.time(), tzinfo=site.tzinfo)
        ends = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=site.tzinfo)
        return starts, ends


@admin_required
def practitioner_absences(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Upcoming absences, a new one (booked appointments inside it are listed first, to
    confirm), and removing one (after confirming)."""
    practitioner = get_object_or_404(Practitioner, code=code)
    site = user_site(request)
    context: dict[str, Any] = {"practitioner": practitioner, "site": site}
    if "remove" in request.POST:
        return _remove_absence(request, practitioner)
    if "remove" in request.GET:
        context["removing"] = get_object_or_404(
            Absence, practitioner=practitioner, pk=request.GET["remove"]
        )
    form = AbsenceDaysForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            starts, ends = form.moments(site)
            booked = planning.appointments_during(
                practitioner_id=practitioner.pk, starts_at=starts, ends_at=ends
            )
            if booked and request.POST.get("confirm") != form.days_key():
                context |= {"booked": booked, "confirm": form.days_key()}
                status = 200
            else:
                try:
                    absence = scheduling_services.absence_add(
                        actor=request.user,
                        practitioner=practitioner,
                        starts_at=starts,
                        ends_at=ends,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as refused:
                    status = form_refusal(form, refused)
                else:
                    return _recorded(request, absence, booked)
    context |= {
        "form": form,
        "absences": practitioner.absences.filter(ends_at__gt=clock.now()).order_by("starts_at"),
    }
    return render(request, "web/settings/practitioner_absences.html", context, status=status)


def _recorded(request: HtmxHttpRequest, absence: Absence, booked: list[Any]) -> HttpResponse:
    if booked:
        messages.warning(
            request,
            f"Absence recorded. {len(booked)} booked appointment{'s' if len(booked) != 1 else ''}"
            " inside it stay booked: move them here.",
        )
        return redirect("web:absence_replan", absence_id=absence.pk)
    messages.success(request, "Absence recorded: availability no longer offers that time.")
    return redirect("web:settings_practitioner_absences", code=absence.practitioner.code)


def _remove_absence(request: HtmxHttpRequest, practitioner: Practitioner) -> HttpResponse:
    absence = get_object_or_404(Absence, practitioner=practitioner, pk=request.POST["remove"])
    scheduling_services.absence_remove(actor=request.user, absence=absence)
    messages.success(request, "Absence removed: that time is offered again.")
    return redirect("web:settings_practitioner_absences", code=practitioner.code)


urlpatterns = [
    path(
        "settings/practitioners/<slug:code>/",
        practitioner_profile,
        name="settings_practitioner",
    ),
    path(
        "settings/practitioners/<slug:code>/hours/",
        practitioner_hours,
        name="settings_practitioner_hours",
    ),
    path(
        "settings/practitioners/<slug:code>/absences/",
        practitioner_absences,
        name="settings_practitioner_absences",
    ),
]
