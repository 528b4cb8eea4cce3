"""The administrators' retention screen (``/retention/``): erasure requests waiting for a
decision, the report of client files due for disposal, and each client's subject-access
copy (JSON and PDF) for the administrator to send before anything is destroyed.

Nothing is destroyed from a link: carrying out an erasure and disposing of a file each have
their own confirmation page, and the services decide and audit every step.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from mesoclinic.core import clock
from mesoclinic.core.audit import audit_read
from mesoclinic.core.downloads import attachment
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.portal.export import client_data, client_data_pdf
from mesoclinic.portal.models import ClientAccount
from mesoclinic.retention import selectors, services
from mesoclinic.retention.models import RequestChannel
from mesoclinic.retention.policy import retention_policy
from mesoclinic.retention.rules import disposal_date, disposal_dates
from mesoclinic.web.permissions import admin_required

FILES_PER_PAGE = 25


class ReportDateForm(forms.Form):
    """The day the disposal report is for (today when not given)."""

    on = forms.DateField(
        label="Due on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@admin_required
def retention_home(request: HttpRequest) -> HttpResponse:
    """Waiting erasure requests, recent decisions and the disposal report (paginated)."""
    return _home(request, request_form=StaffRequestForm(), status=200)


def _home(request: HttpRequest, *, request_form: forms.Form, status: int) -> HttpResponse:
    form = ReportDateForm(request.GET or None)
    on = clock.today()
    if form.is_bound and form.is_valid() and form.cleaned_data["on"]:
        on = form.cleaned_data["on"]
    due = selectors.disposal_due(on=on) if not form.errors else []
    page = Paginator(due, FILES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "on": on,
        "page": page,
        "query": query.urlencode(),
        "pending": list(selectors.erasure_requests_pending()),
        "decided": selectors.erasure_requests_decided(),
        "policy": retention_policy(),
        "request_form": request_form,
    }
    status = 422 if form.errors else status
    return render(request, "web/retention/home.html", context, status=status)


class StaffRequestForm(forms.Form):
    """A request the client made by phone, letter or in person, recorded for them."""

    client_number = forms.IntegerField(label="Client number", min_value=1)
    note = forms.CharField(
        label="What they asked, and how (phone, letter …)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_client_number(self) -> int:
        number = self.cleaned_data["client_number"]
        if not Client.objects.filter(pk=number).exists():
            raise forms.ValidationError(f"There is no client {number}.")
        return int(number)


@admin_required
@require_POST
def erasure_record(request: HttpRequest) -> HttpResponse:
    """Record a request made outside the portal; then open it for the decision."""
    form = StaffRequestForm(request.POST)
    if form.is_valid():
        client = Client.objects.get(pk=form.cleaned_data["client_number"])
        erasure = services.erasure_request_create(
            actor=request.user,
            client=client,
            channel=RequestChannel.STAFF,
            note=form.cleaned_data["note"],
        )
        return redirect("web:erasure_decide", request_id=erasure.pk)
    return _home(request, request_form=form, status=422)


class DecisionForm(forms.Form):
    """Carry out (with a confirmation tick) or refuse (with a reason)."""

    decision = forms.ChoiceField(choices=[("carry_out", "Carry out"), ("refuse", "Refuse")])
    confirm = forms.BooleanField(
        label="I have sent the client their data if they asked for it, and understand this "
        "cannot be undone",
        required=False,
    )
    reason = forms.CharField(
        label="Reason for refusing (the client is told)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "carry_out" and not cleaned.get("confirm"):
            self.add_error("confirm", "Tick to confirm before anything is deleted.")
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why the request is refused.")
        return cleaned


@admin_required
def erasure_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """One erasure request: what carrying it out would do (the confirmation), and the
    decision, carried out by the services."""
    erasure = selectors.erasure_request_get(request_id)
    if erasure is None:
        raise Http404("No such erasure request.")
    form = DecisionForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "carry_out":
                done = services.erasure_carry_out(actor=request.user, request_id=erasure.pk)
                messages.success(
                    request,
                    f"Erasure request {done.pk} carried out: {done.get_outcome_display()}.",
                )
            else:
                services.erasure_refuse(
                    actor=request.user, request_id=erasure.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, f"Erasure request {erasure.pk} refused.")
            return redirect("web:retention")
        except DomainError as refused:
            error = refused.message
    plan = selectors.client_erasure_plan(erasure.client) if erasure.client else None
    context = {"erasure": erasure, "plan": plan, "form": form, "error": error}
    status = 422 if request.method == "POST" else 200
    return render(request, "web/retention/decide.html", context, status=status)


@admin_required
def client_disposal(request: HttpRequest, client_id: int) -> HttpResponse:
    """Confirm, then destroy a client's whole file whose retention has ended."""
    client = get_object_or_404(Client, pk=client_id)
    error = ""
    if request.method == "POST":
        try:
            deleted = services.client_dispose(actor=request.user, client_id=client.pk)
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(
                request, f"Client {client_id}'s file destroyed ({sum(deleted.values())} rows)."
            )
            return redirect("web:retention")
    policy = retention_policy()
    history = selectors.client_history(client)
    context = {
        "client": client,
        "history": history,
        "due_on": disposal_date(policy, history),
        "dates": disposal_dates(policy, history),
        "today": clock.today(),
        "error": error,
    }
    status = 409 if error else 200
    return render(request, "web/retention/dispose.html", context, status=status)


def _client_copy(request: HttpRequest, client_id: int, kind: str) -> tuple[Client, bytes]:
    client = get_object_or_404(Client, pk=client_id)
    account = ClientAccount.objects.filter(client=client).first()
    if kind == "JSON":
        body = json.dumps(client_data(client=client, account=account), indent=2).encode()
    else:
        body = client_data_pdf(client=client, account=account)
    audit_read(
        actor=request.user,
        action="client.export",
        obj=client,
        client_id=client.pk,
        summary=f"{kind}, by staff for subject access",
    )
    return client, body


@admin_required
def client_export_json(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's subject-access copy as JSON (the same document the portal gives them)."""
    client, body = _client_copy(request, client_id, "JSON")
    response = HttpResponse(body, content_type="application/json")
    return attachment(response, f"client-{client.pk}-data.json")


@admin_required
def client_export_pdf(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's subject-access copy as a readable PDF."""
    client, body = _client_copy(request, client_id, "PDF")
    response = HttpResponse(body, content_type="application/pdf")
    return attachment(response, f"client-{client.pk}-data.pdf")


urlpatterns: list[URLPattern] = [
    path("retention/", retention_home, name="retention"),
    path("retention/requests/new/", erasure_record, name="erasure_record"),
    path("retention/requests/<int:request_id>/", erasure_decide, name="erasure_decide"),
    path("retention/disposal/<int:client_id>/", client_disposal, name="client_disposal"),
    path("clients/<int:client_id>/export.json", client_export_json, name="client_export_json"),
    path("clients/<int:client_id>/export.pdf", client_export_pdf, name="client_export_pdf"),
]
