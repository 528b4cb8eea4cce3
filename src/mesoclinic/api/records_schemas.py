"""What the records routes take and give: the request bodies (input schemas) and the
answers shaped as JSON (records, follow-ups, assessments, batches, adverse events,
photos)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from ninja import Field

from mesoclinic.api.types import Flag, InputSchema, IsoDate, SaneDate, SaneDateTime
from mesoclinic.catalogue.models import Batch
from mesoclinic.core import clock
from mesoclinic.people.roles import may_read_notes
from mesoclinic.records import supervision
from mesoclinic.records.models import (
    AdverseEvent,
    Assessment,
    AssessmentPhoto,
    FollowUp,
    TreatmentRecord,
)
from mesoclinic.records.reactions import at_adverse_event_threshold

# --- schemas --------------------------------------------------------------------------------


class ProductIn(InputSchema):
    formulation: str = Field(min_length=1, max_length=60)
    lot: str = Field(min_length=1, max_length=60)
    volume_ml: Decimal = Field(ge=0, le=1000, max_digits=7, decimal_places=2)
    units: Decimal | None = Field(None, gt=0, le=1000, max_digits=7, decimal_places=2)
    dilution_u_per_ml: Decimal | None = Field(None, gt=0, le=1000, max_digits=7, decimal_places=2)


class ChartPointIn(InputSchema):
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    volume_ml: Decimal | None = Field(None, ge=0, le=100, max_digits=6, decimal_places=3)


MAX_POINTS = 100_000
"""Injection points in one area, at most (far above any session's)."""


class AreaIn(InputSchema):
    area: str = Field(min_length=1, max_length=60)
    technique: str
    needle_gauge: int | None = Field(None, ge=18, le=34)
    needle_length_mm: Decimal | None = Field(None, gt=0, le=50, max_digits=5, decimal_places=1)
    angle_deg: int | None = Field(None, ge=0, le=90)
    depth_mm: Decimal | None = Field(None, ge=0, le=20, max_digits=5, decimal_places=1)
    points: Annotated[int, Field(ge=0, le=MAX_POINTS)] | list[ChartPointIn] = Field(
        0, description="Number of injection points, or the charted points themselves."
    )
    volume_ml: Decimal = Field(ge=0, le=1000, max_digits=7, decimal_places=2)
    chart_map: str = Field("", pattern="^(|face|scalp|body)$")
    chart_points: list[ChartPointIn] = []


class RecordIn(InputSchema):
    products: list[ProductIn] = []
    areas: list[AreaIn] = []
    device: str | None = None
    device_settings: dict[str, Any] = Field(
        {},
        description="The device type's settings (records.device_settings): numbers in the "
        "setting's unit, plus a free-text note.",
    )
    device_reason: str = Field("", max_length=500)
    delivery: str | None = Field(
        None, max_length=20, description="freehand or device (default: device when one is recorded)"
    )
    numbing_used: Flag = False
    reactions: list[str] = []
    pain_vas: int | None = Field(None, ge=0, le=100)
    bruise_cm: Decimal | None = Field(
        None,
        gt=0,
        le=30,
        max_digits=3,
        decimal_places=1,
        description="The largest bruise across in cm; adds its size code (small < 1, medium "
        "1-3, large > 3) to the reactions.",
    )
    notes: str = Field("", max_length=5000)


class TextIn(InputSchema):
    text: str = Field(min_length=1, max_length=5000)


class FollowUpIn(InputSchema):
    outcome: str
    notes: str = Field("", max_length=5000)
    adverse_event: str | None = None


class LotIn(InputSchema):
    lot: str = Field(min_length=1, max_length=60)


class AdverseEventIn(InputSchema):
    client: str
    appointment: str | None = None
    onset: IsoDate
    ended_on: IsoDate | None = None
    description: str = Field(min_length=1, max_length=5000)
    products: list[LotIn] = []
    seriousness: list[str] = []
    outcome: str
    treatment_given: str = Field("", max_length=2000)
    other_medicines: list[str] = []


class AssessmentIn(InputSchema):
    scale: str
    components: dict[str, Any]
    rated_by: str = "practitioner"
    treatment: str | None = None
    appointment: str | None = None
    assessed_at: SaneDateTime | None = None


class BatchIn(InputSchema):
    formulation: str
    lot: str = Field(min_length=1, max_length=60)
    expires_on: SaneDate
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    received_on: SaneDate | None = None


class DiscardIn(InputSchema):
    formulation: str
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    reason: str = Field(min_length=1, max_length=300)


class ContactIn(InputSchema):
    client: str
    note: str = Field("", max_length=300)


# --- shaping answers ------------------------------------------------------------------------


def as_number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _score(assessment: Assessment) -> int | float | str:
    if assessment.score_value is None:
        return assessment.score_text
    value = assessment.score_value
    return float(value) if "." in assessment.score_text else int(value)


def record_out(record: TreatmentRecord, *, reader: Any) -> dict[str, Any]:
    """A record as JSON: products, areas with chart points, addenda, follow-ups. Notes and
    addenda text are ``null`` (``notes_hidden``) for a ``reader`` the clinic's setting
    excludes (``roles.may_read_notes``)."""
    notes_visible = may_read_notes(reader, record)
    sign_off = supervision.sign_off_of(record)
    return {
        "id": str(record.pk),
        "appointment": str(record.appointment_id),
        "client": str(record.client_id),
        "treatment": record.treatment.code,
        "practitioner": record.practitioner.code,
        "performed_at": record.performed_at,
        "status": "signed" if record.is_signed else "draft",
        "signed_at": record.signed_at,
        "signed_by": record.signed_by.get_username() if record.signed_by else None,
        "numbing_used": record.numbing_used,
        "device": record.device.code if record.device else None,
        "device_settings": record.device_settings,
        "delivery": record.delivery,
        "reactions": record.reactions,
        "bruise_cm": record.bruise_cm,
        "adverse_event_threshold": at_adverse_event_threshold(record.reactions or ()),
        "pain_vas": record.pain_vas,
        "notes": record.notes if notes_visible else None,
        "notes_hidden": not notes_visible,
        "sign_off": (
            {"status": sign_off.status, "comment": sign_off.comment}
            if sign_off is not None
            else None
        ),
        "screening": record.screening,
        "expected_side_effects": record.treatment.expected_side_effects,
        "products": [
            {
                "formulation": use.formulation.code,
                "lot": use.batch.lot,
                "expires_on": use.batch.expires_on,
                "volume_ml": as_number(use.volume_ml),
                "units": as_number(use.units),
                "dilution_u_per_ml": as_number(use.dilution_u_per_ml),
            }
            for use in record.products.all()
        ],
        "areas": [
            {
                "area": area.area,
                "technique": area.technique,
                "needle_gauge": area.needle_gauge,
                "needle_length_mm": as_number(area.needle_length_mm),
                "angle_deg": area.angle_deg,
                "depth_mm": as_number(area.depth_mm),
                "points": area.points,
                "volume_ml": as_number(area.volume_ml),
                "chart_map": area.chart_map or None,
                "chart_points": [
                    {"x": p.x, "y": p.y, "volume_ml": as_number(p.volume_ml)}
                    for p in area.chart_points.all()
                ],
            }
            for area in record.areas.all()
        ],
        "addenda": [
            {
                "id": str(a.pk),
                "text": a.text if notes_visible else None,
                "author": a.author_label,
                "created_at": a.created_at,
            }
            for a in record.addenda.all()
        ],
        "follow_ups": [follow_up_out(f) for f in record.follow_ups.all()],
    }


def follow_up_out(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "id": str(follow_up.pk),
        "record": str(follow_up.record_id),
        "client": str(follow_up.client_id),
        "kind": follow_up.kind,
        "due_at": follow_up.due_at,
        "outcome": follow_up.outcome or None,
        "notes": follow_up.notes,
        "completed_at": follow_up.completed_at,
        "completed_by": follow_up.completed_by_label or None,
    }


def assessment_out(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": str(assessment.pk),
        "scale": assessment.scale,
        "score": _score(assessment),
        "band": assessment.band or None,
        "components": assessment.components,
        "rated_by": assessment.rated_by,
        "treatment": assessment.treatment.code if assessment.treatment else None,
        "assessed_at": assessment.assessed_at,
    }


def batch_out(batch: Batch) -> dict[str, Any]:
    return {
        "id": str(batch.pk),
        "formulation": batch.formulation.code,
        "lot": batch.lot,
        "expires_on": batch.expires_on,
        "received_on": batch.received_on,
        "quantity_received": float(batch.quantity_received),
        "quantity_on_hand": float(batch.quantity_on_hand),
        "unit": batch.formulation.unit,
        "expired": batch.expired_on(clock.today()),
    }


def event_out(event: AdverseEvent) -> dict[str, Any]:
    return {
        "id": str(event.pk),
        "client": str(event.client_id),
        "appointment": str(event.appointment_id) if event.appointment_id else None,
        "onset": event.onset,
        "ended_on": event.ended_on,
        "description": event.description,
        "products": [
            {"lot": p.batch.lot, "formulation": p.batch.formulation.code}
            for p in event.products.select_related("batch__formulation")
        ],
        "seriousness": event.seriousness,
        "serious": event.is_serious,
        "outcome": event.outcome,
        "treatment_given": event.treatment_given,
        "reported_at": event.reported_at,
        "reporter": event.reporter_label,
    }


def photo_out(photo: AssessmentPhoto) -> dict[str, Any]:
    return {
        "id": str(photo.pk),
        "assessment": str(photo.assessment_id),
        "view": photo.view,
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "url": f"/api/v1/photos/{photo.pk}",
    }
