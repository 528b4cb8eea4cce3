"""API routes for the records domain: treatment records, signing and addenda, follow-ups,
adverse events and Yellow Card drafts, scales and assessments with photos, maintenance,
batches, stock and recall. Thin: parse, check the role, call a service or selector, audit
reads, shape the answer (the bodies and the answers' shapes are in ``records_schemas``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from mesoclinic.api.records_schemas import (
    AdverseEventIn,
    AreaIn,
    AssessmentIn,
    BatchIn,
    ContactIn,
    DiscardIn,
    FollowUpIn,
    RecordIn,
    TextIn,
    as_number,
    assessment_out,
    batch_out,
    event_out,
    follow_up_out,
    photo_out,
    record_out,
)
from mesoclinic.api.types import SaneDate
from mesoclinic.catalogue import selectors as catalogue_selectors
from mesoclinic.catalogue import services as catalogue_services
from mesoclinic.catalogue.models import Batch
from mesoclinic.core.audit import audit_read
from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.roles import Access, require
from mesoclinic.people.selectors import client_by_id
from mesoclinic.records import scales, selectors
from mesoclinic.records.errors import RecordError
from mesoclinic.records.models import Assessment, TreatmentRecord
from mesoclinic.records.services import (
    adverse_events,
    assessments,
    inputs,
    recall,
    treatment_records,
)
from mesoclinic.records.services import follow_ups as follow_up_services
from mesoclinic.scheduling.selectors import appointment_for_id

router = Router(tags=["records"])


# --- records --------------------------------------------------------------------------------


def _area_input(area: AreaIn) -> inputs.AreaInput:
    charted = list(area.chart_points)
    if isinstance(area.points, list):
        charted += area.points
        count = len(charted)
    else:
        count = area.points
    return inputs.AreaInput(
        area=area.area,
        technique=area.technique,
        points=count,
        volume_ml=area.volume_ml,
        needle_gauge=area.needle_gauge,
        needle_length_mm=area.needle_length_mm,
        angle_deg=area.angle_deg,
        depth_mm=area.depth_mm,
        chart_map=area.chart_map or ("face" if charted else ""),
        chart_points=[inputs.ChartPointInput(p.x, p.y, p.volume_ml) for p in charted],
    )


@router.post("/appointments/{appointment_id}/record", response={201: dict[str, Any]})
def record_create(
    request: HttpRequest, appointment_id: str, payload: RecordIn
) -> Status[dict[str, Any]]:
    """Record what was done in a session (replaces an unsigned draft). See the contract for
    refusals: ``batch_expired``, ``batch_mismatch``, ``batch_empty``, ``screening_unresolved``."""
    require(request.user, Access.CLINICAL)
    appointment = appointment_for_id(appointment_id)
    record = treatment_records.record_save(
        actor=request.user,
        appointment=appointment,
        products=[
            inputs.ProductInput(p.formulation, p.lot, p.volume_ml, p.units, p.dilution_u_per_ml)
            for p in payload.products
        ],
        areas=[_area_input(area) for area in payload.areas],
        numbing_used=payload.numbing_used,
        reactions=payload.reactions,
        pain_vas=payload.pain_vas,
        bruise_cm=payload.bruise_cm,
        device=payload.device,
        device_settings=payload.device_settings,
        device_reason=payload.device_reason,
        delivery=payload.delivery,
        notes=payload.notes,
    )
    return Status(201, record_out(selectors.record_get(record.pk), reader=request.user))


def _viewed(request: HttpRequest, record: TreatmentRecord) -> dict[str, Any]:
    audit_read(actor=request.user, action="record.view", obj=record, client_id=record.client_id)
    return record_out(record, reader=request.user)


@router.get("/appointments/{appointment_id}/record", response=dict[str, Any])
def record_of_appointment(request: HttpRequest, appointment_id: str) -> dict[str, Any]:
    """The record of an appointment, or 404 ``record_not_found``."""
    require(request.user, Access.CLINICAL)
    record = selectors.record_for_appointment(appointment_for_id(appointment_id))
    if record is None:
        raise NotFound("record_not_found", "This appointment has no record yet.")
    return _viewed(request, record)


@router.get("/records/{record_id}", response=dict[str, Any])
def record_detail(request: HttpRequest, record_id: str) -> dict[str, Any]:
    """One treatment record."""
    require(request.user, Access.CLINICAL)
    return _viewed(request, selectors.record_get(record_id))


@router.post("/records/{record_id}/sign", response=dict[str, Any])
def record_sign(request: HttpRequest, record_id: str) -> dict[str, Any]:
    """Sign and lock a record; stock is taken from each batch and follow-ups are opened."""
    require(request.user, Access.CLINICAL)
    record = treatment_records.record_sign(
        actor=request.user, record=selectors.record_get(record_id)
    )
    return record_out(selectors.record_get(record.pk), reader=request.user)


@router.post("/records/{record_id}/addenda", response={201: dict[str, Any]})
def addendum_create(request: HttpRequest, record_id: str, payload: TextIn) -> Status[Any]:
    """Add an addendum to a signed record (who, what, when); records are never edited."""
    require(request.user, Access.CLINICAL)
    record = selectors.record_get(record_id)
    treatment_records.addendum_add(actor=request.user, record=record, text=payload.text)
    return Status(201, record_out(selectors.record_get(record.pk), reader=request.user))


@router.get("/clients/{client_id}/records", response=list[dict[str, Any]])
def client_records(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """A client's treatment records, newest first."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    records = list(selectors.records_for_client(client))
    audit_read(actor=request.user, action="record.list", obj=client, client_id=client.pk)
    return [record_out(record, reader=request.user) for record in records]


# --- follow-ups -----------------------------------------------------------------------------


@router.get("/follow-ups", response=list[dict[str, Any]])
def follow_ups(request: HttpRequest, due_by: SaneDate | None = None) -> list[dict[str, Any]]:
    """Open side-effect follow-ups, due by the end of ``due_by`` when given."""
    require(request.user, Access.CLINICAL)
    until = (
        dt.datetime.combine(due_by + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        if due_by
        else None
    )
    rows = list(selectors.follow_ups_open(due_by=until))
    audit_read(actor=request.user, action="follow_up.list", data={"count": len(rows)})
    return [follow_up_out(f) for f in rows]


@router.post("/follow-ups/{follow_up_id}/complete", response=dict[str, Any])
def follow_up_complete(
    request: HttpRequest, follow_up_id: str, payload: FollowUpIn
) -> dict[str, Any]:
    """Record a follow-up's outcome: ``no_adverse_event``, ``expected_effects``,
    ``adverse_event`` (give its id) or ``not_reached``."""
    require(request.user, Access.CLINICAL)
    event = selectors.adverse_event_get(payload.adverse_event) if payload.adverse_event else None
    follow_up = follow_up_services.follow_up_complete(
        actor=request.user,
        follow_up=selectors.follow_up_get(follow_up_id),
        outcome=payload.outcome,
        notes=payload.notes,
        adverse_event=event,
    )
    return follow_up_out(follow_up)


# --- adverse events -------------------------------------------------------------------------


@router.post("/adverse-events", response={201: dict[str, Any]})
def adverse_event_create(request: HttpRequest, payload: AdverseEventIn) -> Status[Any]:
    """Report a suspected adverse reaction with its suspected batches."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(payload.client)
    appointment = appointment_for_id(payload.appointment) if payload.appointment else None
    event = adverse_events.adverse_event_report(
        actor=request.user,
        client=client,
        appointment=appointment,
        onset=payload.onset,
        ended_on=payload.ended_on,
        description=payload.description,
        lots=[p.lot for p in payload.products],
        seriousness=payload.seriousness,
        outcome=payload.outcome,
        treatment_given=payload.treatment_given,
        other_medicines=payload.other_medicines,
    )
    return Status(201, event_out(event))


@router.get("/adverse-events/{event_id}", response=dict[str, Any])
def adverse_event_detail(request: HttpRequest, event_id: str) -> dict[str, Any]:
    """One adverse event."""
    require(request.user, Access.CLINICAL)
    event = selectors.adverse_event_get(event_id)
    audit_read(
        actor=request.user, action="adverse_event.view", obj=event, client_id=event.client_id
    )
    return event_out(event)


@router.get("/adverse-events/{event_id}/yellow-card", response=dict[str, Any])
def yellow_card(request: HttpRequest, event_id: str) -> dict[str, Any]:
    """An MHRA Yellow Card draft: initials, age, sex and local id only (no name, no DOB)."""
    require(request.user, Access.CLINICAL)
    event = selectors.adverse_event_get(event_id)
    audit_read(
        actor=request.user, action="adverse_event.yellow_card", obj=event, client_id=event.client_id
    )
    return selectors.yellow_card_draft(event)


# --- scales, assessments, photos, maintenance -----------------------------------------------


@router.get("/scales", response=list[dict[str, Any]])
def scale_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every outcome and baseline scale with its components, ranges and bands."""
    require(request.user, Access.STAFF)
    return [scale.as_dict() for scale in scales.SCALES.values()]


@router.post("/clients/{client_id}/assessments", response={201: dict[str, Any]})
def assessment_create(
    request: HttpRequest, client_id: str, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    """Score an assessment with the scales engine; out-of-range components are 400 with the
    engine's code. An outcome of a treatment also decides the next maintenance interval."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    treatment = (
        catalogue_selectors.treatment_by_code(payload.treatment) if payload.treatment else None
    )
    appointment = appointment_for_id(payload.appointment) if payload.appointment else None
    assessment = assessments.assessment_record(
        actor=request.user,
        client=client,
        scale=payload.scale,
        components=payload.components,
        rated_by=payload.rated_by,
        treatment=treatment,
        appointment=appointment,
        assessed_at=payload.assessed_at,
    )
    return Status(201, assessment_out(assessment))


@router.get("/clients/{client_id}/assessments", response=list[dict[str, Any]])
def assessment_list(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """A client's assessments, oldest first."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    rows = list(selectors.assessments_for_client(client))
    audit_read(actor=request.user, action="assessment.list", obj=client, client_id=client.pk)
    return [assessment_out(row) for row in rows]


@router.get("/clients/{client_id}/maintenance", response=dict[str, Any])
def maintenance(request: HttpRequest, client_id: str, treatment: str) -> dict[str, Any]:
    """The next maintenance interval for a client's treatment and why (audited read)."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    decision = selectors.maintenance_interval_view(
        actor=request.user,
        client=client,
        treatment=catalogue_selectors.treatment_by_code(treatment),
    )
    return {
        "interval_days": decision.interval_days,
        "shortened": decision.shortened,
        "reason": str(decision.reason),
        "message": decision.message,
    }


def _assessment_get(assessment_id: str) -> Assessment:
    return get_by_opaque_id(
        Assessment.objects.all(), assessment_id, code="assessment_not_found", noun="assessment"
    )


@router.post("/assessments/{assessment_id}/photos", response={201: dict[str, Any]})
def photo_upload(
    request: HttpRequest,
    assessment_id: str,
    file: File[UploadedFile],
    view: Form[str] = "front",
) -> Status[dict[str, Any]]:
    """Attach a JPEG or PNG to an assessment; EXIF is stripped and the file is never public."""
    require(request.user, Access.CLINICAL)
    photo = assessments.photo_attach(
        actor=request.user, assessment=_assessment_get(assessment_id), upload=file, view=view
    )
    return Status(201, photo_out(photo))


@router.get("/photos/{photo_id}")
def photo_file(request: HttpRequest, photo_id: str) -> FileResponse:
    """The photo's bytes, for clinical staff only; every view is audited."""
    require(request.user, Access.CLINICAL)
    photo = selectors.photo_get(photo_id)
    audit_read(
        actor=request.user,
        action="photo.view",
        obj=photo,
        client_id=photo.assessment.client_id,
    )
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# --- batches, stock, recall -----------------------------------------------------------------


@router.post("/batches", response={201: dict[str, Any]})
def batch_create(request: HttpRequest, payload: BatchIn) -> Status[dict[str, Any]]:
    """Receive a batch into stock; a lot already recorded for the product is 409."""
    require(request.user, Access.ADMIN)
    batch = catalogue_services.batch_receive(
        actor=request.user,
        formulation=catalogue_selectors.formulation_by_code(payload.formulation),
        lot=payload.lot,
        expires_on=payload.expires_on,
        quantity=payload.quantity,
        received_on=payload.received_on,
    )
    return Status(201, batch_out(batch))


@router.get("/batches", response=list[dict[str, Any]])
def batch_list(request: HttpRequest, formulation: str | None = None) -> list[dict[str, Any]]:
    """Batches with quantity on hand, soonest expiry first (optionally of one formulation)."""
    require(request.user, Access.STAFF)
    product = catalogue_selectors.formulation_by_code(formulation) if formulation else None
    return [batch_out(b) for b in catalogue_selectors.batch_list(formulation=product)]


def _batch_by_lot(lot: str, formulation: str) -> Batch:
    batch = (
        catalogue_selectors.batch_list(
            formulation=catalogue_selectors.formulation_by_code(formulation)
        )
        .filter(lot=lot)
        .first()
    )
    if batch is None:
        raise NotFound("batch_not_found", f"No batch {lot!r} of {formulation}.")
    return batch


@router.post("/batches/{lot}/discard", response=dict[str, Any])
def batch_discard(request: HttpRequest, lot: str, payload: DiscardIn) -> dict[str, Any]:
    """Discard stock from a batch, with a reason; more than is on hand is 422 batch_empty."""
    require(request.user, Access.ADMIN)
    batch = _batch_by_lot(lot, payload.formulation)
    catalogue_services.stock_discard(
        actor=request.user, batch=batch, quantity=payload.quantity, reason=payload.reason
    )
    batch.refresh_from_db()
    return batch_out(batch)


@router.get("/batches/{lot}/movements", response=list[dict[str, Any]])
def batch_movements(request: HttpRequest, lot: str, formulation: str) -> list[dict[str, Any]]:
    """The stock ledger of a batch, newest first."""
    require(request.user, Access.ADMIN)
    batch = _batch_by_lot(lot, formulation)
    return [
        {
            "kind": m.kind,
            "quantity_change": float(m.quantity_change),
            "at": m.at,
            "by": m.actor_label,
            "reference": m.reference,
            "note": m.note,
        }
        for m in catalogue_selectors.stock_movements(batch=batch)
    ]


@router.get("/batches/{lot}/recipients", response=list[dict[str, Any]])
def batch_recipients(request: HttpRequest, lot: str) -> list[dict[str, Any]]:
    """Every client who received a lot (signed records; lot in any case): appointment,
    when, by whom, how much. 404 ``unknown_lot`` when no batch has that lot number."""
    require(request.user, Access.ADMIN)
    if not selectors.lot_exists(lot):
        raise NotFound(RecordError.UNKNOWN_LOT, f"No such lot: no batch has lot number {lot!r}.")
    rows = list(selectors.recall_recipients(lot))
    audit_read(
        actor=request.user, action="recall.view", summary=f"lot {lot}", data={"count": len(rows)}
    )
    return [
        {
            "client": str(use.record.client_id),
            "client_name": use.record.client.full_name,
            "appointment": str(use.record.appointment_id),
            "administered_at": use.record.performed_at,
            "practitioner": use.record.practitioner.code,
            "volume_ml": float(use.volume_ml),
            "units": as_number(use.units),
            "formulation": use.batch.formulation.code,
            "record": str(use.record_id),
            "contacted": getattr(use, "contacted", False),
        }
        for use in rows
    ]


@router.post("/batches/{lot}/contacts", response={201: dict[str, Any]})
def recall_contact(request: HttpRequest, lot: str, payload: ContactIn) -> Status[dict[str, Any]]:
    """Mark a client as contacted about a recalled lot."""
    require(request.user, Access.ADMIN)
    client = client_by_id(payload.client)
    if not selectors.lot_received_by(lot, client):
        raise InvalidInput("not_a_recipient", f"That client did not receive lot {lot}.")
    contact = recall.recall_contact_mark(
        actor=request.user, lot=lot, client=client, note=payload.note
    )
    return Status(
        201,
        {
            "lot": contact.lot,
            "client": str(contact.client_id),
            "contacted_at": contact.contacted_at,
            "by": contact.contacted_by_label,
        },
    )
