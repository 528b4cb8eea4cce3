"""The staff's waiting-list page (/waitlist/): who waits for what, open offers and until
when, and the front desk's actions: put a client on the list (/waitlist/add/, for a client
who phoned), offer free times now, book an offer for a client who phoned to accept it, take
an entry off the list (confirmed first). Staff roles only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling import services
from mesoclinic.scheduling.waitlist_selectors import waitlist_closed, waitlist_get, waitlist_open
from mesoclinic.web.calendar_views import client_options
from mesoclinic.web.http import user_site
from mesoclinic.web.permissions import staff_required

WINDOW_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


@staff_required
@require_http_methods(["GET"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    """Open entries oldest first (the order offers go in), then recently closed ones."""
    return render(
        request,
        "web/scheduling/waitlist.html",
        {"entries": list(waitlist_open()), "closed": waitlist_closed(limit=20)},
    )


# --- Adding a client ------------------------------------------------------------------------


class WaitlistAddForm(forms.Form):
    """Who waits for what, between when and when (times in the site's wall clock)."""

    client = forms.ModelChoiceField(
        Client.objects.all(),
        error_messages={"required": "Choose the client: search by name, email or phone."},
    )
    treatment = forms.ModelChoiceField(
        Treatment.objects.filter(active=True).order_by("name"),
        to_field_name="code",
        error_messages={"required": "Choose the treatment the client is waiting for."},
    )
    site = forms.ModelChoiceField(Site.objects.order_by("name"), to_field_name="code")
    window_start = forms.DateTimeField(
        label="From",
        input_formats=WINDOW_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WINDOW_FORMATS[0]),
        error_messages={"required": "Give the earliest time the client could come."},
    )
    window_end = forms.DateTimeField(
        label="To",
        input_formats=WINDOW_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WINDOW_FORMATS[0]),
        help_text="The latest start the client would take.",
        error_messages={"required": "Give the latest time the client could come."},
    )
    practitioner = forms.ModelChoiceField(
        Practitioner.objects.filter(active=True).order_by("family_name", "given_name"),
        to_field_name="code",
        required=False,
        empty_label="Any qualified practitioner",
    )

    def clean(self) -> dict[str, Any]:
        values = super().clean() or {}
        start, end = values.get("window_start"), values.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", "The window must end after it starts.")
        return values


# The service names the API's fields; the form calls them window_start and window_end.
API_FIELDS = {"from": "window_start", "to": "window_end"}


def _form_site(request: HttpRequest, data: Any) -> Site:
    """The site the window's wall-clock times are read in: the one chosen, else the user's."""
    code = (data or request.GET).get("site")
    site = Site.objects.filter(code=code).first() if code else None
    return site or user_site(request)


def _join(request: HttpRequest, form: WaitlistAddForm) -> int | None:
    """Join through the service; a refusal goes next to the field it names (or above the
    form) and its status is returned."""
    values = form.cleaned_data
    try:
        entry = services.waitlist_join(
            actor=request.user,
            client=values["client"],
            treatment=values["treatment"],
            window_start=values["window_start"],
            window_end=values["window_end"],
            practitioner=values["practitioner"],
            site=values["site"],
        )
    except DomainError as refused:
        form.add_error(API_FIELDS.get(str(refused.details.get("field"))), refused.message)
        return refused.status
    offered = " A free time was found and offered at once." if entry.status == "offered" else ""
    messages.success(request, f"{entry.client} is on the waiting list.{offered}")
    return None


@staff_required
@require_http_methods(["GET", "POST"])
def waitlist_add(request: HttpRequest) -> HttpResponse:
    """Put a client on the waiting list (a client who phoned, say): search the client, pick
    the treatment and the window; a refused window or a second entry shows why."""
    data = request.POST if request.method == "POST" else None
    site = _form_site(request, data)
    chosen = (data or request.GET).get("client")
    form = WaitlistAddForm(data, initial={"site": site.code, "client": chosen})
    query = (data or request.GET).get("q", "").strip()
    status = 200
    if data is not None and data.get("action") != "search":
        with timezone.override(site.tzinfo):
            valid = form.is_valid()
        refused = _join(request, form) if valid else 400
        if refused is None:
            return redirect("web:waitlist")
        status = refused
    context = {
        "form": form,
        "site": site,
        "query": query,
        "client_options": client_options(query, chosen),
        "chosen_client": chosen,
    }
    with timezone.override(site.tzinfo):
        return render(request, "web/scheduling/waitlist_add.html", context, status=status)


# --- The front desk's actions ---------------------------------------------------------------


@staff_required
@require_POST
def waitlist_offer_now(request: HttpRequest) -> HttpResponse:
    """Run the matching now (the worker also runs it every few seconds)."""
    made = services.waitlist_match()
    messages.success(request, f"{made} new offer{'s' if made != 1 else ''} made.")
    return redirect("web:waitlist")


@staff_required
@require_POST
def waitlist_accept_for_client(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Book an entry's open offer for the client (who said yes by phone, say)."""
    try:
        appointment = services.waitlist_accept(
            actor=request.user, entry=waitlist_get(entry_id=entry_id)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Booked: {appointment.treatment.name} for {appointment.client}.")
    return redirect("web:waitlist")


@staff_required
@require_POST
def waitlist_remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Take an entry off the list (an open offer's time is let go)."""
    try:
        entry = services.waitlist_cancel(actor=request.user, entry=waitlist_get(entry_id=entry_id))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{entry.client} is off the waiting list.")
    return redirect("web:waitlist")


urlpatterns: list[URLPattern] = [
    path("waitlist/", waitlist_page, name="waitlist"),
    path("waitlist/add/", waitlist_add, name="waitlist_add"),
    path("waitlist/offer-now/", waitlist_offer_now, name="waitlist_offer_now"),
    path("waitlist/<int:entry_id>/accept/", waitlist_accept_for_client, name="waitlist_accept"),
    path("waitlist/<int:entry_id>/remove/", waitlist_remove, name="waitlist_remove"),
]
