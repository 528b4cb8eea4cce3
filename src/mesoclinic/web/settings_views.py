"""Clinic settings for administrators: treatments and prices, rooms and devices, opening
hours, closed days and the numbing lounge, consent-form versions and the clinic's policies;
the index also shows the last backup. Thin views over the
services of the owning apps, which validate and audit every change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from mesoclinic.catalogue import services as catalogue_services
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError
from mesoclinic.core.selectors import backup_status
from mesoclinic.people import policy as clinic_policy
from mesoclinic.people import site_settings
from mesoclinic.people.models import ClosedDay, Device, DeviceType, Room, Site
from mesoclinic.safety import selectors as safety_selectors
from mesoclinic.safety.consent_services import consent_form_publish
from mesoclinic.web.http import HtmxHttpRequest, form_refusal, user_site
from mesoclinic.web.permissions import admin_required

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@admin_required
def settings_index(request: HtmxHttpRequest) -> HttpResponse:
    """What an administrator can set up, with the site's current figures."""
    site = user_site(request)
    return render(
        request,
        "web/settings/index.html",
        {
            "site": site,
            "treatments": Treatment.objects.order_by("name"),
            "rooms": site.rooms.count(),
            "devices": site.devices.count(),
            "backups": backup_status(),
        },
    )


# --- Treatments and prices ------------------------------------------------------------------


class TreatmentForm(forms.ModelForm):
    class Meta:
        model = Treatment
        fields = list(catalogue_services.TREATMENT_SETTINGS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "what_to_expect": forms.Textarea(attrs={"rows": 4}),
            "aftercare": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "price": "Per session, in pounds.",
            "numbing_minutes": "Minutes with numbing cream before the practitioner starts.",
            "bookable_online": "Clients can book it on the public booking pages.",
        }

    KEPT_WHEN_LEFT_OUT = ("no_show_policy", "no_show_fee_percent")
    """Fields a form that does not send them leaves as they are (older forms, scripts)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.KEPT_WHEN_LEFT_OUT:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.KEPT_WHEN_LEFT_OUT:
            if cleaned.get(name) in (None, ""):
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin_required
def treatment_settings(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Change a treatment's wording, durations, price and availability."""
    treatment = get_object_or_404(Treatment, code=code)
    form = TreatmentForm(request.POST or None, instance=Treatment.objects.get(pk=treatment.pk))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = {field: form.cleaned_data[field] for field in form.changed_data}
            try:
                catalogue_services.treatment_update(
                    actor=request.user, treatment=treatment, **changes
                )
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(request, f"{treatment.name} saved.")
                return redirect("web:settings")
        else:
            status = 400
    return render(
        request,
        "web/settings/treatment.html",
        {"treatment": treatment, "form": form},
        status=status,
    )


# --- Rooms and devices ----------------------------------------------------------------------


class RoomForm(forms.Form):
    name = forms.CharField(label="Room name", max_length=100)


class DeviceForm(forms.Form):
    name = forms.CharField(label="Device name", max_length=100)
    device_type = forms.ChoiceField(label="Kind of device", choices=DeviceType.choices)
    serial_number = forms.CharField(label="Serial number", max_length=80, required=False)


@admin_required
def rooms_devices(request: HtmxHttpRequest) -> HttpResponse:
    """The site's rooms and devices: add one, or take one out of use (or back)."""
    site = user_site(request)
    room_form = RoomForm(request.POST if "add_room" in request.POST else None)
    device_form = DeviceForm(request.POST if "add_device" in request.POST else None)
    status = 200
    if request.method == "POST":
        status = _rooms_devices_post(request, site, room_form, device_form)
        if status == 302:
            return redirect("web:settings_rooms")
    return render(
        request,
        "web/settings/rooms.html",
        {
            "site": site,
            "rooms": site.rooms.all(),
            "devices": site.devices.all(),
            "room_form": room_form,
            "device_form": device_form,
        },
        status=status,
    )


def _rooms_devices_post(
    request: HtmxHttpRequest, site: Site, room_form: RoomForm, device_form: DeviceForm
) -> int:
    form: forms.Form = room_form if "add_room" in request.POST else device_form
    try:
        if "toggle_room" in request.POST or "toggle_device" in request.POST:
            _toggle(request, site)
        elif not form.is_valid():
            return 400
        elif form is room_form:
            room = site_settings.room_add(actor=request.user, site=site, **form.cleaned_data)
            messages.success(request, f"{room.name} is open for bookings.")
        else:
            device = site_settings.device_add(actor=request.user, site=site, **form.cleaned_data)
            messages.success(request, f"{device.name} can be booked.")
    except DomainError as refused:
        return form_refusal(form, refused)
    return 302


def _toggle(request: HtmxHttpRequest, site: Site) -> None:
    resource: Room | Device
    if "toggle_room" in request.POST:
        resource = get_object_or_404(Room, site=site, pk=request.POST["toggle_room"])
    else:
        resource = get_object_or_404(Device, site=site, pk=request.POST["toggle_device"])
    site_settings.resource_set_active(
        actor=request.user, resource=resource, active=not resource.active
    )
    messages.success(
        request, f"{resource.name} is {'in use' if resource.active else 'out of use'}."
    )


# --- Opening hours, closed days, numbing lounge ---------------------------------------------


class HoursForm(forms.Form):
    """A week of opening hours and the numbing lounge's seats."""

    numbing_lounge_capacity = forms.IntegerField(
        label="Numbing lounge seats", min_value=0, max_value=site_settings.MAX_LOUNGE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
        for weekday, name in enumerate(WEEKDAYS):
            self.fields[f"open_{weekday}"] = forms.BooleanField(
                label=f"Open on {name}", required=False
            )
            self.fields[f"opens_{weekday}"] = forms.TimeField(
                label="Opens", required=False, widget=time
            )
            self.fields[f"closes_{weekday}"] = forms.TimeField(
                label="Closes", required=False, widget=time
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for weekday, name in enumerate(WEEKDAYS):
            if data.get(f"open_{weekday}") and not (
                data.get(f"opens_{weekday}") and data.get(f"closes_{weekday}")
            ):
                self.add_error(f"opens_{weekday}", f"Give {name}'s opening and closing times.")
        return data

    def days(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "open": self[f"open_{weekday}"],
                "opens": self[f"opens_{weekday}"],
                "closes": self[f"closes_{weekday}"],
            }
            for weekday, name in enumerate(WEEKDAYS)
        ]


class ClosedDayForm(forms.Form):
    date = forms.DateField(label="Closed on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Reason", max_length=200, required=False)


def _hours_initial(site: Site) -> dict[str, Any]:
    initial: dict[str, Any] = {"numbing_lounge_capacity": site.numbing_lounge_capacity}
    for row in site.opening_hours.all():
        initial |= {
            f"open_{row.weekday}": True,
            f"opens_{row.weekday}": row.opens,
            f"closes_{row.weekday}": row.closes,
        }
    return initial


@admin_required
def opening_hours(request: HtmxHttpRequest) -> HttpResponse:
    """Opening hours for each weekday, the numbing lounge, and closed days."""
    site = user_site(request)
    posted = request.POST if request.method == "POST" else None
    hours_form = HoursForm(
        posted if "save_hours" in request.POST else None, initial=_hours_initial(site)
    )
    closed_form = ClosedDayForm(posted if "add_closed" in request.POST else None)
    status = 200
    if request.method == "POST":
        status = _hours_post(request, site, hours_form, closed_form)
        if status == 302:
            return redirect("web:settings_hours")
    return render(
        request,
        "web/settings/hours.html",
        {
            "site": site,
            "hours_form": hours_form,
            "closed_form": closed_form,
            "closed_days": site.closed_days.filter(date__gte=clock.today(site.tzinfo)),
        },
        status=status,
    )


def _hours_post(
    request: HtmxHttpRequest, site: Site, hours_form: HoursForm, closed_form: ClosedDayForm
) -> int:
    if "reopen" in request.POST:
        closed = get_object_or_404(ClosedDay, site=site, pk=request.POST["reopen"])
        site_settings.closed_day_remove(actor=request.user, closed=closed)
        messages.success(request, f"Open again on {closed.date:%A %-d %B}.")
        return 302
    form: forms.Form = hours_form if "save_hours" in request.POST else closed_form
    if not form.is_valid():
        return 400
    try:
        if form is closed_form:
            site_settings.closed_day_add(
                actor=request.user,
                site=site,
                day=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"Closed on {form.cleaned_data['date']:%A %-d %B}.")
        else:
            _save_hours(request, site, form.cleaned_data)
            messages.success(request, "Opening hours saved: availability follows them now.")
    except DomainError as refused:
        return form_refusal(form, refused)
    return 302


def _save_hours(request: HtmxHttpRequest, site: Site, data: dict[str, Any]) -> None:
    for weekday in range(7):
        hours = (
            (data[f"opens_{weekday}"], data[f"closes_{weekday}"])
            if data.get(f"open_{weekday}")
            else None
        )
        site_settings.opening_hours_set(actor=request.user, site=site, weekday=weekday, hours=hours)
    site_settings.lounge_capacity_set(
        actor=request.user, site=site, capacity=data["numbing_lounge_capacity"]
    )


# --- Consent-form versions ------------------------------------------------------------------


class ConsentVersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text the client reads and signs", widget=forms.Textarea(attrs={"rows": 18})
    )
    cooling_off_hours = forms.IntegerField(
        label="Cooling-off hours",
        required=False,
        min_value=0,
        max_value=24 * 30,
        help_text="Hours between signing and treatment; leave empty for the clinic's default.",
    )


@admin_required
def consent_publish(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Publish a new version of a treatment's consent form (earlier ones stay as signed)."""
    treatment = get_object_or_404(Treatment, code=code)
    current = safety_selectors.consent_form_current(treatment=treatment)
    initial = (
        {
            "title": current.title,
            "body": current.body,
            "cooling_off_hours": current.cooling_off_hours,
        }
        if current
        else {"title": f"Consent to {treatment.name}"}
    )
    form = ConsentVersionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                published = consent_form_publish(
                    actor=request.user, treatment=treatment, **form.cleaned_data
                )
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(
                    request,
                    f"Version {published.version} of the {treatment.name} consent form is now "
                    "the one clients sign.",
                )
                return redirect("web:settings")
        else:
            status = 400
    return render(
        request,
        "web/settings/consent.html",
        {"treatment": treatment, "current": current, "form": form},
        status=status,
    )


# --- Policies -------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    """One field per policy of ``people.policy.POLICIES``; the service checks the values."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for policy in clinic_policy.POLICIES:
            field: forms.Field
            if policy.kind == "flag":
                field = forms.BooleanField(required=False)
            elif policy.kind == "packages":
                field = forms.CharField(
                    required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
                )
            else:
                field = forms.CharField(max_length=60)
                field.widget.attrs["inputmode"] = "numeric"
            field.label = policy.label
            field.help_text = policy.help
            self.fields[policy.key.lower()] = field


def _policy_initial() -> dict[str, Any]:
    return {
        policy.key.lower(): clinic_policy.as_text(policy, clinic_policy.policy_value(policy.key))
        for policy in clinic_policy.POLICIES
    }


@admin_required
def policies(request: HtmxHttpRequest) -> HttpResponse:
    """The clinic's policies: notice, deposit, reminders, questionnaire, cooling-off and
    course packages."""
    form = PolicyForm(request.POST or None, initial=_policy_initial())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            submitted = {key.upper(): value for key, value in form.cleaned_data.items()}
            try:
                changed = clinic_policy.policies_save(actor=request.user, submitted=submitted)
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(
                    request,
                    f"Saved {len(changed)} change{'s' if len(changed) != 1 else ''} to the "
                    "clinic's policies."
                    if changed
                    else "Nothing changed.",
                )
                return redirect("web:settings_policies")
        else:
            status = 400
    return render(request, "web/settings/policies.html", {"form": form}, status=status)


urlpatterns = [
    path("settings/", settings_index, name="settings"),
    path("settings/treatments/<slug:code>/", treatment_settings, name="settings_treatment"),
    path("settings/rooms/", rooms_devices, name="settings_rooms"),
    path("settings/hours/", opening_hours, name="settings_hours"),
    path("settings/consent-forms/<slug:code>/", consent_publish, name="settings_consent"),
    path("settings/policies/", policies, name="settings_policies"),
]
