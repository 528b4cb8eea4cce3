"""Gathers a client's whole record as FHIR resources (``Patient/$everything``)."""

from __future__ import annotations

from typing import Any

from mesoclinic.catalogue.models import Batch
from mesoclinic.interop import fhir
from mesoclinic.people.models import Client, Device, Practitioner
from mesoclinic.records.models import (
    AdverseEvent,
    AdverseEventProduct,
    Assessment,
    ProductUse,
    TreatmentRecord,
)
from mesoclinic.safety.models import HealthQuestionnaire, SignedConsent
from mesoclinic.safety.selectors import questionnaire_latest
from mesoclinic.scheduling.models import Appointment


def _clinical_resources(client: Client) -> tuple[list[fhir.Resource], set[int]]:
    """Every resource about the client, and the practitioners they reference."""
    resources: list[fhir.Resource] = []
    practitioner_ids: set[int] = set()
    questionnaire = questionnaire_latest(client=client)
    if questionnaire:
        resources += fhir.allergy_intolerances(questionnaire)
    for questionnaire_answer in HealthQuestionnaire.objects.filter(client=client):
        resources.append(fhir.questionnaire_response(questionnaire_answer))
    for visit in Appointment.objects.filter(client=client).select_related(
        "treatment", "practitioner"
    ):
        resources.append(fhir.appointment(visit))
        practitioner_ids.add(visit.practitioner_id)
    records = (
        TreatmentRecord.objects.filter(client=client)
        .select_related("treatment", "practitioner", "device")
        .prefetch_related("areas", "products__batch")
    )
    device_ids: set[int] = set()
    for record in records:
        resources.append(fhir.procedure(record))
        practitioner_ids.add(record.practitioner_id)
        if record.device_id is not None:
            device_ids.add(record.device_id)
    resources += [
        fhir.device(item) for item in Device.objects.filter(pk__in=device_ids).order_by("code")
    ]
    resources += _medication_resources(client)
    resources += [
        fhir.consent(signed)
        for signed in SignedConsent.objects.filter(client=client).select_related("treatment")
    ]
    events = AdverseEvent.objects.filter(client=client).prefetch_related(
        "products__batch__formulation"
    )
    resources += [fhir.adverse_event(event) for event in events]
    resources += [
        fhir.observation(assessment) for assessment in Assessment.objects.filter(client=client)
    ]
    return resources, practitioner_ids


def _medication_resources(client: Client) -> list[fhir.Resource]:
    uses = (
        ProductUse.objects.filter(record__client=client)
        .select_related(
            "batch__formulation", "formulation", "record__practitioner", "record__treatment"
        )
        .prefetch_related("record__areas", "batch__formulation__ingredients")
    )
    resources: list[fhir.Resource] = []
    medications: dict[str, fhir.Resource] = {}
    for use in uses:
        resources.append(fhir.medication_administration(use))
        medications.setdefault(
            fhir.medication_id(use.batch), fhir.medication(use.batch, use.batch.formulation)
        )
    suspect_batches = (
        Batch.objects.filter(
            pk__in=AdverseEventProduct.objects.filter(event__client=client).values("batch")
        )
        .select_related("formulation")
        .prefetch_related("formulation__ingredients")
    )
    for batch in suspect_batches:
        medications.setdefault(fhir.medication_id(batch), fhir.medication(batch, batch.formulation))
    return resources + list(medications.values())


def patient_everything(*, client: Client, base_url: str) -> dict[str, Any]:
    """A ``searchset`` Bundle with the Patient and everything recorded about them."""
    resources, practitioner_ids = _clinical_resources(client)
    practitioners = [
        fhir.practitioner(person)
        for person in Practitioner.objects.filter(pk__in=practitioner_ids).order_by("code")
    ]
    entries = [_entry(fhir.patient(client), base_url, "match")]
    entries += [_entry(resource, base_url, "include") for resource in resources + practitioners]
    # searchset semantics: ``total`` counts the matches (the one Patient), not the includes.
    return {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": entries}


def _entry(resource: fhir.Resource, base_url: str, mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }
