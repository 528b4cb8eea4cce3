"""Staff pages for recording sessions: record and chart a session, sign, addenda,
follow-ups, adverse events and Yellow Card drafts. Thin: parse, check the role, call
services/selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from mesoclinic.catalogue import selectors as catalogue_selectors
from mesoclinic.catalogue.models import Formulation
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_read
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.records import charting, forms, selectors
from mesoclinic.records.device_settings import schema_for, shown_settings
from mesoclinic.records.models import (
    AdverseEventOutcome,
    Delivery,
    FollowUpOutcome,
    Reaction,
    Seriousness,
    Technique,
)
from mesoclinic.records.reactions import at_adverse_event_threshold
from mesoclinic.records.services import adverse_events, follow_ups, treatment_records
from mesoclinic.scheduling.selectors import appointment_for_id
from mesoclinic.web import supervision_views
from mesoclinic.web.http import HtmxHttpRequest, found_or_404, posted_date
from mesoclinic.web.permissions import clinical_required

# --- recording a session --------------------------------------------------------------------


def _record_form_context(appointment: Any, data: Any = None, error: DomainError | None = None):
    chart_map = charting.map_for_treatment(appointment.treatment.areas)
    day = appointment.treatment_start.astimezone(appointment.site.tzinfo).date()
    planned = appointment.formulation or appointment.treatment.default_formulation
    formulations = [planned] if planned else list(Formulation.objects.filter(active=True))
    width, height = charting.MAP_SIZES[chart_map]
    return {
        "appointment": appointment,
        "treatment": appointment.treatment,
        "planned": planned,
        "formulations": formulations,
        "batches": [
            batch
            for formulation in formulations
            for batch in catalogue_selectors.usable_batches(formulation=formulation, on=day)
        ],
        "chart_map": chart_map,
        "chart_template": f"web/records/maps/{chart_map}.svg.html",
        "chart_width": width,
        "chart_height": height,
        "area_suggestions": charting.AREA_SUGGESTIONS[chart_map],
        "techniques": Technique.choices,
        "reactions": Reaction.choices,
        **_device_context(appointment, data),
        "product_rows": _rows(
            data,
            "product",
            forms.PRODUCT_ROWS,
            ("formulation", "lot", "volume_ml", "units", "dilution_u_per_ml"),
            first={"formulation": planned.code if planned else ""},
        ),
        "area_rows": _rows(
            data,
            "area",
            forms.AREA_ROWS,
            (
                "area",
                "technique",
                "needle_gauge",
                "needle_length_mm",
                "angle_deg",
                "depth_mm",
                "points",
                "volume_ml",
                "chart",
            ),
            first={"technique": "nappage"},
        ),
        "data": data,
        "reactions_chosen": data.getlist("reactions") if data is not None else [],
        "error": error,
    }


def _device_context(appointment: Any, data: Any) -> dict[str, Any]:
    """The device choices, the technique (freehand / device) and the settings fields of the
    chosen device's type (the posted device, else the reserved one, else the treatment's)."""
    devices = list(selectors.devices_at_site(appointment.site))
    chosen = data.get("device", "") if data is not None else ""
    if data is None and appointment.device is not None:
        chosen = appointment.device.code
    by_code = {device.code: device for device in devices}
    device_type = (
        by_code[chosen].device_type if chosen in by_code else appointment.treatment.device_type
    )
    delivery = data.get("delivery", "") if data is not None else ""
    return {
        "devices": devices,
        "device_chosen": chosen,
        "deliveries": Delivery.choices,
        "delivery_chosen": delivery or (Delivery.DEVICE if chosen else Delivery.FREEHAND),
        "setting_fields": [
            {
                "key": setting.key,
                "name": forms.SETTING_PREFIX + setting.key,
                "label": setting.label,
                "unit": setting.unit,
                "range": setting.range_text,
                "value": data.get(forms.SETTING_PREFIX + setting.key, "") if data else "",
            }
            for setting in schema_for(device_type)
        ],
        "setting_note": data.get(forms.SETTING_PREFIX + "note", "") if data else "",
    }


def _rows(
    data: Any, prefix: str, count: int, fields: tuple[str, ...], *, first: dict[str, str]
) -> list[dict[str, Any]]:
    """Form rows to render: what was posted (after a refusal), else blanks."""
    rows = []
    for index in range(count):
        row: dict[str, Any] = {"index": index}
        for name in fields:
            row[name] = data.get(f"{prefix}-{index}-{name}", "") if data is not None else ""
        if data is None:
            row.update(first)
        rows.append(row)
    return rows


@clinical_required
def record_form(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """The fast record form: products and lots, areas with geometry, chart, reactions.

    Saving writes a draft (the same service as the API); "Save and sign" also signs it.
    """
    appointment = found_or_404(appointment_for_id, appointment_id)
    existing = selectors.record_for_appointment(appointment)
    if existing is not None and existing.is_signed:
        return redirect("web:record_detail", record_id=existing.pk)
    if request.method != "POST":
        audit_read(
            actor=request.user,
            action="record.form",
            obj=appointment,
            client_id=appointment.client_id,
        )
        draft = forms.post_data_of(existing) if existing is not None else None
        return render(
            request, "web/records/record_form.html", _record_form_context(appointment, data=draft)
        )
    chart_map = charting.map_for_treatment(appointment.treatment.areas)
    try:
        record = treatment_records.record_save(
            actor=request.user,
            appointment=appointment,
            **forms.record_kwargs_from_post(request.POST, chart_map=chart_map),
        )
        if request.POST.get("action") == "sign":
            treatment_records.record_sign(actor=request.user, record=record)
            messages.success(request, "Record saved and signed.")
        else:
            messages.success(request, "Draft saved. Sign it when the session is complete.")
    except DomainError as error:
        context = _record_form_context(appointment, data=request.POST, error=error)
        return render(request, "web/records/record_form.html", context, status=error.status)
    return redirect("web:record_detail", record_id=record.pk)


@clinical_required
def record_detail(request: HtmxHttpRequest, record_id: int) -> HttpResponse:
    """A record read-only: products, areas, chart, reactions, addenda, follow-ups."""
    record = found_or_404(selectors.record_get, record_id)
    audit_read(actor=request.user, action="record.view", obj=record, client_id=record.client_id)
    return render(
        request,
        "web/records/record_detail.html",
        {
            "record": record,
            "charts": charting.charts_for_record(record),
            "reaction_labels": dict(Reaction.choices),
            "device_settings": shown_settings(
                record.device.device_type if record.device else None, record.device_settings
            ),
            "adverse_event_threshold": [
                str(Reaction(code).label).lower()
                for code in at_adverse_event_threshold(record.reactions or ())
            ],
            "follow_up_outcomes": FollowUpOutcome.choices,
            **supervision_views.record_page_extras(request.user, record),
        },
    )


@clinical_required
@require_POST
def record_sign(request: HtmxHttpRequest, record_id: int) -> HttpResponse:
    """Sign and lock a draft record."""
    record = found_or_404(selectors.record_get, record_id)
    try:
        treatment_records.record_sign(actor=request.user, record=record)
        messages.success(request, "Record signed. Stock updated and follow-ups scheduled.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:record_detail", record_id=record.pk)


@clinical_required
@require_POST
def addendum_create(request: HtmxHttpRequest, record_id: int) -> HttpResponse:
    """Add an addendum to a signed record."""
    record = found_or_404(selectors.record_get, record_id)
    try:
        treatment_records.addendum_add(
            actor=request.user, record=record, text=request.POST.get("text", "")
        )
        messages.success(request, "Addendum added.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:record_detail", record_id=record.pk)


# --- follow-ups -----------------------------------------------------------------------------


@clinical_required
def follow_up_list(request: HtmxHttpRequest) -> HttpResponse:
    """Open side-effect follow-ups, overdue first."""
    rows = list(selectors.follow_ups_open().order_by("due_at"))
    audit_read(actor=request.user, action="follow_up.list", data={"count": len(rows)})
    return render(
        request,
        "web/records/follow_ups.html",
        {"follow_ups": rows, "now": clock.now(), "outcomes": FollowUpOutcome.choices},
    )


@clinical_required
@require_POST
def follow_up_complete(request: HtmxHttpRequest, follow_up_id: int) -> HttpResponse:
    """Record a follow-up's outcome."""
    follow_up = found_or_404(selectors.follow_up_get, follow_up_id)
    try:
        follow_ups.follow_up_complete(
            actor=request.user,
            follow_up=follow_up,
            outcome=request.POST.get("outcome", ""),
            notes=request.POST.get("notes", ""),
        )
        messages.success(request, "Follow-up recorded.")
    except DomainError as error:
        messages.error(request, error.message)
    if request.POST.get("outcome") == "adverse_event":
        return redirect("web:adverse_event_new", client_id=follow_up.client_id)
    return redirect(request.POST.get("next") or "web:follow_up_list")


# --- adverse events -------------------------------------------------------------------------


@clinical_required
def adverse_event_new(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Report an adverse event for a client."""
    client = get_object_or_404(Client, pk=client_id)
    lots = sorted(
        {
            use.batch.lot
            for record in selectors.records_for_client(client)
            for use in record.products.all()
        }
    )
    context: dict[str, Any] = {
        "client": client,
        "lots": lots,
        "appointments": client.appointments.order_by("-start")[:20],
        "seriousness": Seriousness.choices,
        "outcomes": AdverseEventOutcome.choices,
        "today": clock.today(),
        "data": request.POST if request.method == "POST" else None,
        "preselected": request.POST.get("appointment", request.GET.get("appointment", "")),
    }
    if request.method != "POST":
        return render(request, "web/records/adverse_event_form.html", context)
    try:
        appointment_id = request.POST.get("appointment") or None
        event = adverse_events.adverse_event_report(
            actor=request.user,
            client=client,
            appointment=found_or_404(appointment_for_id, appointment_id)
            if appointment_id
            else None,
            onset=posted_date(request.POST.get("onset", ""), "onset"),
            description=request.POST.get("description", ""),
            lots=request.POST.getlist("lots"),
            seriousness=request.POST.getlist("seriousness"),
            outcome=request.POST.get("outcome", ""),
            treatment_given=request.POST.get("treatment_given", ""),
            other_medicines=request.POST.get("other_medicines", "").splitlines(),
        )
    except DomainError as error:
        context["error"] = error
        return render(request, "web/records/adverse_event_form.html", context, status=error.status)
    messages.success(request, "Adverse event reported.")
    return redirect("web:yellow_card", event_id=event.pk)


@clinical_required
def yellow_card(request: HtmxHttpRequest, event_id: int) -> HttpResponse:
    """A printable MHRA Yellow Card draft (no name, no date of birth)."""
    event = found_or_404(selectors.adverse_event_get, event_id)
    audit_read(
        actor=request.user,
        action="adverse_event.yellow_card",
        obj=event,
        client_id=event.client_id,
    )
    return render(
        request,
        "web/records/yellow_card.html",
        {
            "event": event,
            "card": selectors.yellow_card_draft(event),
            "seriousness_labels": dict(Seriousness.choices),
        },
    )


urlpatterns: list[URLPattern] = [
    path("appointments/<int:appointment_id>/record/", record_form, name="record_form"),
    path("records/<int:record_id>/", record_detail, name="record_detail"),
    path("records/<int:record_id>/sign/", record_sign, name="record_sign"),
    path("records/<int:record_id>/addenda/", addendum_create, name="addendum_create"),
    path("follow-ups/", follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:follow_up_id>/complete/", follow_up_complete, name="follow_up_complete"),
    path(
        "clients/<int:client_id>/adverse-events/new/",
        adverse_event_new,
        name="adverse_event_new",
    ),
    path("adverse-events/<int:event_id>/yellow-card/", yellow_card, name="yellow_card"),
]
