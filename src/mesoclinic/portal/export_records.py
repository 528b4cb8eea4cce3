"""The clinical part of a client's subject-access export: everything recorded about them.

UK GDPR Art. 15 gives a client a copy of all personal data held, and health records are
the heart of it: treatment sessions with the products, lots and areas used, reactions,
assessments and their photos, adverse events, prescriptions, screening overrides, toxin
history, courses, follow-ups and recall contacts. Each item carries its record id, so the
export can be checked against the FHIR ``$everything`` bundle (every resource there comes
from a record here). Photos are listed by reference and metadata, not embedded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from mesoclinic.billing.models import Quote
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.records.models import (
    AdverseEvent,
    Assessment,
    FollowUp,
    MaintenanceDecision,
    RecallContact,
    TreatmentRecord,
)
from mesoclinic.safety.models import Override, Prescription, ToxinAdministration
from mesoclinic.scheduling.models import Course


def _value(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, decimals as text, the rest as they are."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _who(person: Practitioner | None) -> dict[str, str] | None:
    return {"code": person.code, "name": person.display_name} if person else None


def _treatment_records(client: Client) -> list[dict[str, Any]]:
    records = (
        TreatmentRecord.objects.filter(client=client)
        .select_related("treatment", "practitioner", "device")
        .prefetch_related(
            "products__batch", "products__formulation", "areas__chart_points", "addenda"
        )
        .order_by("performed_at", "pk")
    )
    return [
        {
            "id": str(record.pk),
            "appointment": str(record.appointment_id) if record.appointment_id else None,
            "treatment": record.treatment.name,
            "practitioner": _who(record.practitioner),
            "performed_at": _value(record.performed_at),
            "numbing_used": record.numbing_used,
            "device": record.device.name if record.device else None,
            "device_settings": record.device_settings,
            "technique": record.get_delivery_display(),
            "reactions": record.reactions,
            "bruise_cm": _value(record.bruise_cm),
            "pain_vas": record.pain_vas,
            "notes": record.notes,
            "signed_at": _value(record.signed_at),
            "products": [
                {
                    "id": str(use.pk),
                    "formulation": use.formulation.name,
                    "lot": use.batch.lot,
                    "lot_expires_on": _value(use.batch.expires_on),
                    "volume_ml": _value(use.volume_ml),
                    "units": _value(use.units),
                    "dilution_u_per_ml": _value(use.dilution_u_per_ml),
                }
                for use in record.products.all()
            ],
            "areas": [
                {
                    "area": area.area,
                    "technique": area.get_technique_display(),
                    "needle_gauge": area.needle_gauge,
                    "needle_length_mm": _value(area.needle_length_mm),
                    "angle_deg": area.angle_deg,
                    "depth_mm": _value(area.depth_mm),
                    "points": area.points,
                    "volume_ml": _value(area.volume_ml),
                    "chart_points": len(area.chart_points.all()),
                }
                for area in record.areas.all()
            ],
            "addenda": [
                {"text": a.text, "by": a.author_label, "at": _value(a.created_at)}
                for a in record.addenda.all()
            ],
        }
        for record in records
    ]


def _assessments(client: Client) -> list[dict[str, Any]]:
    assessments = (
        Assessment.objects.filter(client=client)
        .select_related("treatment")
        .prefetch_related("photos")
        .order_by("assessed_at", "pk")
    )
    return [
        {
            "id": str(assessment.pk),
            "scale": assessment.scale,
            "score": assessment.score_text,
            "band": assessment.band,
            "components": assessment.components,
            "rated_by": assessment.rated_by,
            "treatment": assessment.treatment.name if assessment.treatment else None,
            "assessed_at": _value(assessment.assessed_at),
            "photos": [
                {
                    "id": str(photo.pk),
                    "file": photo.image.name,
                    "content_type": photo.content_type,
                    "view": photo.view,
                    "width": photo.width,
                    "height": photo.height,
                    "uploaded_at": _value(photo.uploaded_at),
                }
                for photo in assessment.photos.all()
            ],
        }
        for assessment in assessments
    ]


def _adverse_events(client: Client) -> list[dict[str, Any]]:
    events = (
        AdverseEvent.objects.filter(client=client)
        .prefetch_related("products__batch__formulation")
        .order_by("onset", "pk")
    )
    return [
        {
            "id": str(event.pk),
            "appointment": str(event.appointment_id) if event.appointment_id else None,
            "onset": _value(event.onset),
            "ended_on": _value(event.ended_on),
            "description": event.description,
            "seriousness": event.seriousness,
            "outcome": event.outcome,
            "treatment_given": event.treatment_given,
            "other_medicines": event.other_medicines,
            "reported_at": _value(event.reported_at),
            "reported_by": event.reporter_label,
            "products": [
                {
                    "formulation": product.batch.formulation.name,
                    "lot": product.batch.lot,
                    "route": product.route,
                }
                for product in event.products.all()
            ],
        }
        for event in events
    ]


def clinical_data(*, client: Client) -> dict[str, Any]:
    """The client's clinical record, JSON-ready, one list per kind of record."""
    return {
        "treatment_records": _treatment_records(client),
        "assessments": _assessments(client),
        "adverse_events": _adverse_events(client),
        "prescriptions": [
            {
                "id": str(p.pk),
                "formulation": p.formulation.name,
                "prescriber": _who(p.prescriber),
                "consultation_at": _value(p.consultation_at),
                "face_to_face": p.face_to_face,
                "notes": p.notes,
            }
            for p in Prescription.objects.filter(client=client)
            .select_related("formulation", "prescriber")
            .order_by("consultation_at", "pk")
        ],
        "screening_overrides": [
            {
                "id": str(o.pk),
                "treatment": o.treatment.name,
                "rule": o.code,
                "justification": o.justification,
                "practitioner": _who(o.practitioner),
                "created_at": _value(o.created_at),
                "expires_at": _value(o.expires_at),
            }
            for o in Override.objects.filter(client=client)
            .select_related("treatment", "practitioner")
            .order_by("created_at", "pk")
        ],
        "toxin_history": [
            {
                "id": str(t.pk),
                "administered_on": _value(t.administered_on),
                "product": t.product_name or (t.formulation.name if t.formulation else ""),
                "units": _value(t.units),
                "source": t.source,
            }
            for t in ToxinAdministration.objects.filter(client=client)
            .select_related("formulation")
            .order_by("administered_on", "pk")
        ],
        "courses": [
            {
                "id": str(c.pk),
                "treatment": c.treatment.name,
                "protocol": c.protocol.name,
                "status": c.status,
                "price": _value(c.price),
                "created_at": _value(c.created_at),
                "notes": c.notes,
            }
            for c in Course.objects.filter(client=client)
            .select_related("treatment", "protocol")
            .order_by("created_at", "pk")
        ],
        "follow_ups": [
            {
                "id": str(f.pk),
                "treatment_record": str(f.record_id),
                "kind": f.kind,
                "due_at": _value(f.due_at),
                "outcome": f.outcome,
                "notes": f.notes,
                "completed_at": _value(f.completed_at),
            }
            for f in FollowUp.objects.filter(client=client).order_by("due_at", "pk")
        ],
        "maintenance_decisions": [
            {
                "treatment": m.treatment.name,
                "assessment": str(m.assessment_id),
                "decided_at": _value(m.decided_at),
                "interval_days": m.interval_days,
                "reason": m.reason,
                "message": m.message,
            }
            for m in MaintenanceDecision.objects.filter(client=client)
            .select_related("treatment")
            .order_by("decided_at", "pk")
        ],
        "recall_contacts": [
            {"lot": r.lot, "contacted_at": _value(r.contacted_at), "note": r.note}
            for r in RecallContact.objects.filter(client=client).order_by("contacted_at", "pk")
        ],
        "quotes": [
            {
                "treatment": q.treatment.name,
                "sessions": q.sessions,
                "total": _value(q.total),
                "created_at": _value(q.created_at),
                "valid_until": _value(q.valid_until),
            }
            for q in Quote.objects.filter(client=client)
            .select_related("treatment")
            .order_by("created_at", "pk")
        ],
    }
