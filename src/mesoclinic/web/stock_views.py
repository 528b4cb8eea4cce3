"""Staff pages for batches (administrators): recall of a lot (recipients, CSV, marked
contacted) and stock (receive, a batch's ledger, discard). Thin: parse, check the role,
call services/selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from mesoclinic.catalogue import selectors as catalogue_selectors
from mesoclinic.catalogue import services as catalogue_services
from mesoclinic.catalogue.models import Batch, Formulation
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_read
from mesoclinic.core.downloads import attachment, csv_writer
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.records import forms, selectors
from mesoclinic.records.services.recall import recall_contact_mark
from mesoclinic.web.http import HtmxHttpRequest, posted_date
from mesoclinic.web.permissions import admin_required


@admin_required
def recall(request: HtmxHttpRequest) -> HttpResponse:
    """Enter a lot: every client who received it, with contact details; CSV; contacted."""
    lot = request.GET.get("lot", "").strip()
    rows = list(selectors.recall_recipients(lot)) if lot else []
    if lot:
        audit_read(
            actor=request.user,
            action="recall.view",
            summary=f"lot {lot}",
            data={"count": len(rows)},
        )
    if lot and request.GET.get("format") == "csv":
        return _recall_csv(lot, rows)
    template = "web/records/recall.html#results" if request.htmx else "web/records/recall.html"
    context = {
        "lot": lot,
        "rows": rows,
        "known": bool(lot) and selectors.lot_exists(lot),
        "drafts": list(selectors.recall_drafts(lot)) if lot else [],
    }
    return render(request, template, context)


def _recall_csv(lot: str, rows: list[Any]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    attachment(response, f"recall-{lot}.csv")
    writer = csv_writer(response)
    writer.writerow(
        [
            "client_id",
            "client",
            "email",
            "phone",
            "administered_at",
            "practitioner",
            "formulation",
            "lot",
            "volume_ml",
            "contacted",
        ]
    )
    for use in rows:
        client = use.record.client
        writer.writerow(
            [
                client.pk,
                client.full_name,
                client.email,
                client.phone,
                use.record.performed_at.isoformat(),
                use.record.practitioner.code,
                use.batch.formulation.code,
                use.batch.lot,
                use.volume_ml,
                "yes" if use.contacted else "no",
            ]
        )
    return response


@admin_required
@require_POST
def recall_contact(request: HtmxHttpRequest) -> HttpResponse:
    """Mark a recipient of a lot as contacted."""
    lot = request.POST.get("lot", "").strip()
    client = get_object_or_404(Client, pk=request.POST.get("client", "0") or 0)
    recall_contact_mark(
        actor=request.user, lot=lot, client=client, note=request.POST.get("note", "")
    )
    messages.success(request, f"{client.full_name} marked as contacted about lot {lot}.")
    return redirect(f"{reverse('web:recall')}?{urlencode({'lot': lot})}")


@admin_required
def stock(request: HtmxHttpRequest) -> HttpResponse:
    """Batches with quantity on hand and expiry; receive new stock."""
    today = clock.today()
    return render(
        request,
        "web/records/stock.html",
        {
            "batches": catalogue_selectors.batch_list(),
            "today": today,
            "soon": today + dt.timedelta(days=30),
            "formulations": Formulation.objects.filter(active=True),
        },
    )


@admin_required
@require_POST
def stock_receive(request: HtmxHttpRequest) -> HttpResponse:
    """Receive a batch into stock."""
    try:
        quantity = forms.decimal_field(request.POST, "quantity", required=True)
        assert quantity is not None
        catalogue_services.batch_receive(
            actor=request.user,
            formulation=catalogue_selectors.formulation_by_code(
                request.POST.get("formulation", "")
            ),
            lot=request.POST.get("lot", ""),
            expires_on=posted_date(request.POST.get("expires_on", ""), "expires_on"),
            quantity=quantity,
        )
        messages.success(request, "Batch received.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:stock")


@admin_required
def batch_detail(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    """One batch: its stock ledger and a discard form."""
    batch = get_object_or_404(Batch.objects.select_related("formulation"), pk=batch_id)
    return render(
        request,
        "web/records/batch_detail.html",
        {
            "batch": batch,
            "movements": catalogue_selectors.stock_movements(batch=batch),
            "today": clock.today(),
        },
    )


@admin_required
@require_POST
def batch_discard(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    """Discard stock from a batch (after a confirmation on the page)."""
    batch = get_object_or_404(Batch.objects.select_related("formulation"), pk=batch_id)
    try:
        quantity = forms.decimal_field(request.POST, "quantity", required=True)
        assert quantity is not None
        catalogue_services.stock_discard(
            actor=request.user,
            batch=batch,
            quantity=quantity,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, f"Discarded {quantity} from lot {batch.lot}.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:batch_detail", batch_id=batch.pk)


urlpatterns: list[URLPattern] = [
    path("recall/", recall, name="recall"),
    path("recall/contact/", recall_contact, name="recall_contact"),
    path("stock/", stock, name="stock"),
    path("stock/receive/", stock_receive, name="stock_receive"),
    path("stock/<int:batch_id>/", batch_detail, name="batch_detail"),
    path("stock/<int:batch_id>/discard/", batch_discard, name="batch_discard"),
]
