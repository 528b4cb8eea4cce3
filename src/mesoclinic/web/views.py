"""Staff pages: thin views over selectors; htmx requests get named fragments."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from mesoclinic.catalogue.models import Protocol
from mesoclinic.catalogue.selectors import treatment_list as treatments_selector
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_read
from mesoclinic.imports.selectors import imported_history_view
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.people.roles import sees_clinical
from mesoclinic.people.selectors import client_search, credential_statuses
from mesoclinic.people.selectors import practitioner_list as practitioners_selector
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required

CLIENTS_PER_PAGE = 25


@staff_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """Today at a glance: credentials needing attention, quick links."""
    today = clock.today()
    context = {
        "credentials": credential_statuses(on=today, within_days=60),
        "client_count": Client.objects.count(),
    }
    return render(request, "web/dashboard.html", context)


@staff_required
def client_list(request: HtmxHttpRequest) -> HttpResponse:
    """Client search with pagination; htmx requests get just the results table."""
    query = request.GET.get("q", "").strip()
    archived = request.GET.get("archived") == "1"
    clients = client_search(query=query, include_archived=archived)
    page = Paginator(clients, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    if query:
        audit_read(actor=request.user, action="client.search", summary=f"search={query[:80]!r}")
    template = "web/client_list.html#results" if request.htmx else "web/client_list.html"
    return render(request, template, {"page": page, "query": query, "archived": archived})


@staff_required
def client_detail(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """One client's page: details and (as the product grows) their clinical timeline."""
    client = get_object_or_404(Client, pk=client_id)
    audit_read(actor=request.user, action="client.view", obj=client, client_id=client.pk)
    return render(
        request,
        "web/client_detail.html",
        {
            "client": client,
            "age": client.age_on(clock.today()),
            "imported_history": _imported_history(request, client),
        },
    )


def _imported_history(request: HtmxHttpRequest, client: Client) -> list[Any]:
    """Treatments the clinic's old system recorded (imported): read, and audited, only for
    a practitioner and only when the client has any."""
    if not sees_clinical(request.user) or not client.imported_history.exists():
        return []
    return imported_history_view(actor=request.user, client=client)


@staff_required
def treatment_list(request: HtmxHttpRequest) -> HttpResponse:
    """The treatment catalogue."""
    return render(request, "web/treatment_list.html", {"treatments": treatments_selector()})


@staff_required
def treatment_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """One treatment: durations, price, scope, course protocol and formulation."""
    treatment = get_object_or_404(treatments_selector(), code=code)
    return render(
        request,
        "web/treatment_detail.html",
        {
            "treatment": treatment,
            "phases": treatment.default_protocol.phases.all(),
            "alternatives": Protocol.objects.exclude(pk=treatment.default_protocol_id).exclude(
                description=""
            ),
            "ingredients": (
                treatment.default_formulation.ingredients.all()
                if treatment.default_formulation
                else []
            ),
        },
    )


@staff_required
def practitioner_list(request: HtmxHttpRequest) -> HttpResponse:
    """Practitioners with their credentials; expired ones flagged."""
    today = clock.today()
    return render(
        request,
        "web/practitioner_list.html",
        {
            "practitioners": practitioners_selector(),
            "today": today,
            "expiring": credential_statuses(on=today, within_days=60),
        },
    )


@staff_required
def practitioner_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """One practitioner: credentials, working hours, absences."""
    practitioner = get_object_or_404(Practitioner, code=code)
    return render(
        request,
        "web/practitioner_detail.html",
        {
            "practitioner": practitioner,
            "today": clock.today(),
            "working_hours": practitioner.working_hours.select_related("site"),
            "absences": practitioner.absences.filter(ends_at__gte=clock.now()),
        },
    )
