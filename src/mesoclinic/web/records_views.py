"""Staff pages for the records domain: record and chart a session, sign, addenda,
follow-ups, adverse events and Yellow Card drafts, assessments with photos and outcome
charts, batch recall and stock. Thin: parse, check the role, call services/selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from mesoclinic.catalogue import selectors as catalogue_selectors
from mesoclinic.catalogue import services as catalogue_services
from mesoclinic.catalogue.models import Batch, Formulation
from mesoclinic.core import clock, validation
from mesoclinic.core.audit import audit_read
from mesoclinic.core.downloads import attachment, csv_writer
from mesoclinic.core.errors import DomainError, InvalidInput, NotFound
from mesoclinic.people.models import Client
from mesoclinic.records import charting, charts, forms, scales, selectors
from mesoclinic.records.device_settings import schema_for, shown_settings
from mesoclinic.records.models import (
    AdverseEventOutcome,
    Delivery,
    FollowUpOutcome,
    PhotoView,
    RatedBy,
    Reaction,
    Seriousness,
    Technique,
)
from mesoclinic.records.reactions import at_adverse_event_threshold
from mesoclinic.records.services import adverse_events, assessments, follow_ups, treatment_records
from mesoclinic.records.services.recall import recall_contact_mark
from mesoclinic.reports.outcomes import people_like
from mesoclinic.scheduling.selectors import appointment_for_id
from mesoclinic.web import supervision_views
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required, clinical_required


def _found(lookup: Any, key: Any) -> Any:
    """Run a selector lookup, turning its 404 ``NotFound`` into Django's Http404 for pages."""
    try:
        return lookup(key)
    except NotFound as error:
        raise Http404(error.message) from None


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
    appointment = _found(appointment_for_id, appointment_id)
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
    record = _found(selectors.record_get, record_id)
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
    record = _found(selectors.record_get, record_id)
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
    record = _found(selectors.record_get, record_id)
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
    follow_up = _found(selectors.follow_up_get, follow_up_id)
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
            appointment=_found(appointment_for_id, appointment_id) if appointment_id else None,
            onset=_date(request.POST.get("onset", ""), "onset"),
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


def _date(raw: str, field: str) -> dt.date:
    try:
        return validation.parse_date(raw, field=field)
    except InvalidInput:
        raise InvalidInput(
            "invalid_input", "Give a date between 1900 and 2100.", details={"field": field}
        ) from None


@clinical_required
def yellow_card(request: HtmxHttpRequest, event_id: int) -> HttpResponse:
    """A printable MHRA Yellow Card draft (no name, no date of birth)."""
    event = _found(selectors.adverse_event_get, event_id)
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


# --- assessments, photos, outcomes ----------------------------------------------------------


def _components_from_post(scale: scales.ScaleDefinition, data: Any) -> dict[str, object]:
    components: dict[str, object] = {}
    for component in scale.components:
        raw = str(data.get(f"c-{component.key}", "") or "").strip()
        if component.kind is scales.ComponentKind.BOOLEAN:
            components[component.key] = raw == "on"
        elif not raw:
            continue
        elif component.kind in (scales.ComponentKind.INTEGER, scales.ComponentKind.NUMBER):
            try:
                components[component.key] = int(raw) if raw.lstrip("-").isdigit() else float(raw)
            except ValueError:
                components[component.key] = raw
        else:
            components[component.key] = raw
    return components


@clinical_required
def assessment_new(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Score an outcome scale (and attach photos); htmx swaps the components on scale change."""
    client = get_object_or_404(Client, pk=client_id)
    code = request.POST.get("scale") or request.GET.get("scale") or "gais"
    scale = scales.SCALES.get(code, scales.SCALES["gais"])
    context: dict[str, Any] = {
        "client": client,
        "scales": list(scales.SCALES.values()),
        "scale": scale,
        "treatments": catalogue_selectors.treatment_list(),
        "rated_by": RatedBy.choices,
        "views": PhotoView.choices,
        "data": request.POST if request.method == "POST" else None,
    }
    if request.htmx and request.method == "GET":
        return render(request, "web/records/assessment_form.html#components", context)
    if request.method != "POST":
        return render(request, "web/records/assessment_form.html", context)
    try:
        treatment_code = request.POST.get("treatment") or None
        assessment = assessments.assessment_record(
            actor=request.user,
            client=client,
            scale=scale.code,
            components=_components_from_post(scale, request.POST),
            rated_by=request.POST.get("rated_by", RatedBy.PRACTITIONER),
            treatment=catalogue_selectors.treatment_by_code(treatment_code)
            if treatment_code
            else None,
        )
        for upload in request.FILES.getlist("photos"):
            assessments.photo_attach(
                actor=request.user,
                assessment=assessment,
                upload=upload,
                view=request.POST.get("view", PhotoView.FRONT),
            )
    except DomainError as error:
        context["error"] = error
        return render(request, "web/records/assessment_form.html", context, status=error.status)
    band = f" ({assessment.band})" if assessment.band else ""
    messages.success(request, f"{scale.name}: {assessment.score_text}{band} saved.")
    return redirect("web:client_outcomes", client_id=client.pk)


@clinical_required
def client_outcomes(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Outcome charts per indication and before/after photos side by side."""
    client = get_object_or_404(Client, pk=client_id)
    audit_read(actor=request.user, action="outcome.view", obj=client, client_id=client.pk)
    series = selectors.outcome_series(client)
    plotted = [
        {
            "series": item,
            "svg": charts.line_chart_svg(
                title=f"{item.scale.name}"
                + (f" for {item.treatment.name}" if item.treatment else ""),
                points=item.points,
                minimum=item.scale.score_minimum,
                maximum=item.scale.score_maximum,
                lower_is_better=item.scale.direction == scales.Direction.LOWER_IS_BETTER,
            ),
            "comparison": item.treatment
            and people_like(
                client_id=client.pk,
                treatment=item.treatment,
                scale=item.scale,
            ),
        }
        for item in series
    ]
    photos = list(selectors.photos_for_client(client))
    before = _photo_choice(photos, request.GET.get("before"), default=0)
    after = _photo_choice(photos, request.GET.get("after"), default=-1)
    return render(
        request,
        "web/records/outcomes.html",
        {
            "client": client,
            "plotted": plotted,
            "assessments": selectors.assessments_for_client(client),
            "photos": photos,
            "before": before,
            "after": after if after != before else None,
            "decisions": selectors.maintenance_decisions_for_client(client),
        },
    )


def _photo_choice(photos: list[Any], wanted: str | None, *, default: int) -> Any:
    if not photos:
        return None
    chosen = next((p for p in photos if str(p.pk) == wanted), None)
    return chosen or photos[default]


@clinical_required
def photo_file(request: HtmxHttpRequest, photo_id: int) -> HttpResponse:
    """A clinical photo, for clinicians only; each view is audited; never cached publicly."""
    photo = _found(selectors.photo_get, photo_id)
    audit_read(
        actor=request.user, action="photo.view", obj=photo, client_id=photo.assessment.client_id
    )
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


# --- recall and stock -----------------------------------------------------------------------


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
            expires_on=_date(request.POST.get("expires_on", ""), "expires_on"),
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
    path("clients/<int:client_id>/assessments/new/", assessment_new, name="assessment_new"),
    path("clients/<int:client_id>/outcomes/", client_outcomes, name="client_outcomes"),
    path("photos/<int:photo_id>/", photo_file, name="photo_file"),
    path("recall/", recall, name="recall"),
    path("recall/contact/", recall_contact, name="recall_contact"),
    path("stock/", stock, name="stock"),
    path("stock/receive/", stock_receive, name="stock_receive"),
    path("stock/<int:batch_id>/", batch_detail, name="batch_detail"),
    path("stock/<int:batch_id>/discard/", batch_discard, name="batch_discard"),
]
