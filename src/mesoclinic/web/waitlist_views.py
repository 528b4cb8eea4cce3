"""The staff's waiting-list page (/waitlist/): who waits for what, open offers and until
when, and the front desk's actions: offer free times now, book an offer for a client who
phoned to accept it, take an entry off the list (confirmed first). Staff roles only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.core.errors import DomainError
from mesoclinic.scheduling import services
from mesoclinic.scheduling.waitlist_selectors import waitlist_closed, waitlist_get, waitlist_open
from mesoclinic.web.permissions import staff_required


@staff_required
@require_http_methods(["GET"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    """Open entries oldest first (the order offers go in), then recently closed ones."""
    return render(
        request,
        "web/scheduling/waitlist.html",
        {"entries": list(waitlist_open()), "closed": waitlist_closed(limit=20)},
    )


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
    path("waitlist/offer-now/", waitlist_offer_now, name="waitlist_offer_now"),
    path("waitlist/<int:entry_id>/accept/", waitlist_accept_for_client, name="waitlist_accept"),
    path("waitlist/<int:entry_id>/remove/", waitlist_remove, name="waitlist_remove"),
]
