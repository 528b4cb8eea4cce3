"""FHIR R4 (4.0.1) resources for a client's record, as plain JSON-ready dicts.

One function per resource type; each takes model instances and returns the resource.
Standard codes (SNOMED CT, WHO ATC, UCUM, LOINC) come from :mod:`.terminology`, where each is
listed with docs/terminology.md saying where it was checked. What has no confirmed standard
code goes as text, or, for the clinic's own catalogue and scales, in a code system under the
clinic's public address.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from mesoclinic.catalogue.models import Batch, Formulation, Treatment
from mesoclinic.interop import terminology as terms
from mesoclinic.people.models import Client, Device, Practitioner
from mesoclinic.records.device_settings import NOTE, all_settings
from mesoclinic.records.models import (
    AdverseEvent,
    Assessment,
    ProductUse,
    Reaction,
    TreatmentRecord,
)
from mesoclinic.safety.models import HealthQuestionnaire, SignedConsent
from mesoclinic.scheduling.models import Appointment

Resource = dict[str, Any]

SNOMED = terms.SNOMED
UCUM = terms.UCUM
INTRADERMAL_ROUTE = terms.INTRADERMAL_ROUTE
REGISTRATION_SYSTEMS = {
    "GMC": "https://fhir.hl7.org.uk/Id/gmc-number",
    "NMC": "https://fhir.hl7.org.uk/Id/nmc-number",
    "GDC": "https://fhir.hl7.org.uk/Id/gdc-number",
    "GPhC": "https://fhir.hl7.org.uk/Id/gphc-number",
}
GENDERS = {"female": "female", "male": "male", "other": "other"}
APPOINTMENT_STATUSES = {
    "booked": "booked",
    "arrived": "arrived",
    "fulfilled": "fulfilled",
    "cancelled": "cancelled",
    "noshow": "noshow",
}
AE_OUTCOMES = {
    "recovered": "resolved",
    "recovering": "recovering",
    "continuing": "ongoing",
    "other": "unknown",
}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9\-.]")


def reference(resource_type: str, resource_id: object) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def _instant(moment: dt.datetime) -> str:
    return moment.isoformat()


_local_coding = terms.local_coding


def client_id_system() -> str:
    """The identifier system of client numbers, under the clinic's public address."""
    return f"{terms.public_base()}/fhir/Id/client"


def _decimal(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def medication_id(batch: Batch) -> str:
    """A FHIR id for a batch of a formulation (one Medication per lot)."""
    return _ID_UNSAFE.sub("-", f"{batch.formulation.code}.{batch.lot}")[:64]


def patient(client: Client) -> Resource:
    """The client as a Patient, with a local identifier."""
    telecom = [{"system": "email", "value": client.email}] if client.email else []
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    return {
        "resourceType": "Patient",
        "id": str(client.pk),
        "identifier": [{"system": client_id_system(), "value": str(client.pk)}],
        "name": [{"family": client.family_name, "given": [client.given_name]}],
        "gender": GENDERS.get(client.sex, "unknown"),
        "birthDate": client.birth_date.isoformat(),
        **({"telecom": telecom} if telecom else {}),
    }


def _qualification(
    code: str, text: str, expires_on: dt.date | None, identifier: dict[str, str] | None = None
) -> Resource:
    qualification: Resource = {
        "code": {"coding": [_local_coding("qualification", code)], "text": text}
    }
    if identifier:
        qualification["identifier"] = [identifier]
    if expires_on:
        qualification["period"] = {"end": expires_on.isoformat()}
    return qualification


def practitioner(person: Practitioner) -> Resource:
    """A practitioner with registration and prescribing qualifications (and their expiry)."""
    qualifications = []
    if person.registration_body:
        identifier = {
            "system": REGISTRATION_SYSTEMS.get(
                person.registration_body, f"{terms.public_base()}/fhir/Id/registration"
            ),
            "value": person.registration_number,
        }
        entry = _qualification(
            "registration",
            f"{person.get_profession_display()} "
            f"registered with the {person.get_registration_body_display()}",
            person.registration_expires_on,
            identifier,
        )
        entry["issuer"] = {"display": person.get_registration_body_display()}
        qualifications.append(entry)
    if person.is_prescriber:
        qualifications.append(
            _qualification(
                "prescriber", person.prescriber_qualification, person.prescriber_expires_on
            )
        )
    name: Resource = {"family": person.family_name, "given": [person.given_name]}
    if person.title:
        name["prefix"] = [person.title]
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": person.code,
        "active": person.active,
        "name": [name],
    }
    if qualifications:
        resource["qualification"] = qualifications
    return resource


def allergy_intolerances(questionnaire: HealthQuestionnaire) -> list[Resource]:
    """One AllergyIntolerance per allergy the client declared, as they wrote it."""
    return [
        {
            "resourceType": "AllergyIntolerance",
            "id": f"{questionnaire.pk}-{index}",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "code": "active",
                    }
                ]
            },
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                        "code": "unconfirmed",
                    }
                ]
            },
            "code": {"text": allergy},
            "patient": reference("Patient", questionnaire.client_id),
            "recordedDate": _instant(questionnaire.answered_at),
        }
        for index, allergy in enumerate(questionnaire.allergies, start=1)
    ]


def questionnaire_response(questionnaire: HealthQuestionnaire) -> Resource:
    """The health questionnaire's answers."""
    answers = [
        ("pregnant", [{"valueBoolean": questionnaire.pregnant}]),
        ("breastfeeding", [{"valueBoolean": questionnaire.breastfeeding}]),
        ("allergies", [{"valueString": text} for text in questionnaire.allergies]),
        (
            "conditions",
            [
                {"valueCoding": _local_coding("condition", code)}
                for code in questionnaire.conditions
            ],
        ),
        ("medications", [{"valueString": text} for text in questionnaire.medications]),
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(questionnaire.pk),
        "status": "completed",
        "subject": reference("Patient", questionnaire.client_id),
        "authored": _instant(questionnaire.answered_at),
        "item": [{"linkId": link, "answer": answer} for link, answer in answers if answer],
    }


def procedure_concept(treatment: Treatment) -> Resource:
    """What was done: the SNOMED CT procedure where one fits, then the clinic's treatment."""
    standard: list[terms.Coding] = []
    if treatment.code in terms.TOXIN_TREATMENTS:
        standard = [terms.BOTULINUM_INJECTION]
    elif treatment.needs_needle:
        standard = [terms.INTRADERMAL_INJECTION]
    return terms.concept(
        [*standard, _local_coding("treatment", treatment.code, treatment.name)], treatment.name
    )


def route(treatment: Treatment) -> Resource:
    """How the products go in: intradermal injection, or through the skin (no needle)."""
    if treatment.needs_needle:
        return terms.concept([terms.INTRADERMAL_ROUTE], "Intradermal")
    return terms.concept([terms.TRANSDERMAL_ROUTE], "Through the skin by electroporation")


def body_site(area: str) -> Resource:
    """A treated area: SNOMED CT where the area has a body-structure code, else text."""
    coding = terms.BODY_SITES.get(area)
    return terms.concept([coding] if coding else [], area.replace("-", " "))


def _reactions(reactions: list[str], bruise_cm: Decimal | None = None) -> list[Resource]:
    """Reactions as complications: SNOMED CT where confirmed, else text; a bruise's size
    code says its measured size too."""
    concepts = []
    for code in reactions:
        if code == "none":
            continue
        text = str(Reaction(code).label) if code in Reaction.values else code
        if code.startswith("bruise_") and bruise_cm is not None:
            text += f": {bruise_cm} cm"
        coding = [terms.REACTIONS[code]] if code in terms.REACTIONS else []
        concepts.append(terms.concept(coding, text))
    return concepts


def appointment(visit: Appointment) -> Resource:
    """An appointment with the client and practitioner as participants."""
    return {
        "resourceType": "Appointment",
        "id": str(visit.pk),
        "status": APPOINTMENT_STATUSES[visit.status],
        "serviceType": [procedure_concept(visit.treatment)],
        "start": _instant(visit.start),
        "end": _instant(visit.end),
        "minutesDuration": int((visit.end - visit.start).total_seconds() // 60),
        "participant": [
            {"actor": reference("Patient", visit.client_id), "status": "accepted"},
            {"actor": reference("Practitioner", visit.practitioner.code), "status": "accepted"},
        ],
    }


def procedure(record: TreatmentRecord) -> Resource:
    """A treatment session: what was done, where on the body, by whom, with what."""
    resource: Resource = {
        "resourceType": "Procedure",
        "id": str(record.pk),
        "status": "completed" if record.signed_at else "in-progress",
        "code": procedure_concept(record.treatment),
        "subject": reference("Patient", record.client_id),
        "performedDateTime": _instant(record.performed_at),
        "performer": [{"actor": reference("Practitioner", record.practitioner.code)}],
    }
    body_sites = [body_site(area.area) for area in record.areas.all()]
    if body_sites:
        resource["bodySite"] = body_sites
    complications = _reactions(list(record.reactions), record.bruise_cm)
    if complications:
        resource["complication"] = complications
    if record.device is not None:
        resource["focalDevice"] = [focal_device(record)]
    used = [reference("Medication", medication_id(use.batch)) for use in record.products.all()]
    if used:
        resource["usedReference"] = used
    notes = [record.notes] if record.notes else []
    setting_note = str((record.device_settings or {}).get(NOTE, ""))
    if record.device is not None and setting_note:
        notes.append(f"{record.device.name} settings: {setting_note}")
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    resource["extension"] = [
        {
            "url": terms.extension_url("delivery-technique"),
            "valueCoding": _local_coding(
                "delivery-technique", record.delivery, str(record.get_delivery_display())
            ),
        }
    ]
    return resource


def focal_device(record: TreatmentRecord) -> Resource:
    """The device used, with each recorded setting as an extension carrying a UCUM quantity
    (``device-setting``: the setting's code in the clinic's system and its value)."""
    assert record.device is not None
    known = all_settings()
    settings = [
        (known[key], value)
        for key, value in (record.device_settings or {}).items()
        if key in known and isinstance(value, int | float)
    ]
    element: Resource = {
        "action": terms.concept([], "Used"),
        "manipulated": reference("Device", record.device.code),
    }
    if settings:
        element["extension"] = [
            {
                "url": terms.extension_url("device-setting"),
                "extension": [
                    {
                        "url": "setting",
                        "valueCoding": _local_coding("device-setting", setting.key, setting.label),
                    },
                    {
                        "url": "value",
                        "valueQuantity": {
                            "value": value,
                            "unit": setting.unit,
                            "system": UCUM,
                            "code": setting.ucum,
                        },
                    },
                ],
            }
            for setting, value in settings
        ]
    return element


def device(item: Device) -> Resource:
    """A device of the clinic (the focal device of a procedure): name, kind, serial number."""
    resource: Resource = {
        "resourceType": "Device",
        "id": item.code,
        "status": "active" if item.active else "inactive",
        "deviceName": [{"name": item.name, "type": "user-friendly-name"}],
        "type": terms.concept([], str(item.get_device_type_display())),
    }
    if item.serial_number:
        resource["serialNumber"] = item.serial_number
    return resource


def medication(batch: Batch, formulation: Formulation) -> Resource:
    """A formulation's batch, with its ingredients, lot number and expiry."""
    return {
        "resourceType": "Medication",
        "id": medication_id(batch),
        "code": {
            "coding": [_local_coding("formulation", formulation.code, formulation.name)],
            "text": formulation.name,
        },
        "ingredient": [
            {
                "itemCodeableConcept": terms.concept(
                    [terms.INGREDIENTS[ingredient.code]]
                    if ingredient.code in terms.INGREDIENTS
                    else [],
                    ingredient.name,
                )
            }
            for ingredient in formulation.ingredients.all()
        ],
        "batch": {"lotNumber": batch.lot, "expirationDate": batch.expires_on.isoformat()},
    }


def medication_administration(use: ProductUse) -> Resource:
    """One product given in a session: intradermal route, dose in mL (and toxin units)."""
    record = use.record
    dosage: Resource = {
        "route": route(record.treatment),
        "dose": {"value": _decimal(use.volume_ml), **terms.ML},
    }
    areas = [area.area for area in record.areas.all()]
    if len(areas) == 1:
        dosage["site"] = body_site(areas[0])
    elif areas:
        dosage["site"] = {"text": ", ".join(areas)}
    if use.units is not None:
        dosage["text"] = f"{use.units} units of {use.formulation.name} (brand-specific units)"
    return {
        "resourceType": "MedicationAdministration",
        "id": str(use.pk),
        "status": "completed" if record.signed_at else "in-progress",
        "medicationReference": reference("Medication", medication_id(use.batch)),
        "subject": reference("Patient", record.client_id),
        "partOf": [reference("Procedure", record.pk)],
        "effectiveDateTime": _instant(record.performed_at),
        "performer": [{"actor": reference("Practitioner", record.practitioner.code)}],
        "dosage": dosage,
    }


def consent(signed: SignedConsent) -> Resource:
    """A signed treatment consent, carrying the exact text signed."""
    return {
        "resourceType": "Consent",
        "id": str(signed.pk),
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "treatment",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
                ]
            }
        ],
        "patient": reference("Patient", signed.client_id),
        "dateTime": _instant(signed.signed_at),
        "policyRule": {"text": f"{signed.title}, version {signed.form_version}"},
        "sourceAttachment": {
            "contentType": "text/plain; charset=utf-8",
            "title": signed.title,
            "data": base64.b64encode(signed.text.encode()).decode(),
            "creation": _instant(signed.signed_at),
        },
        "provision": {"code": [procedure_concept(signed.treatment)]},
    }


def adverse_event(event: AdverseEvent) -> Resource:
    """A suspected adverse reaction, with the suspect batches."""
    serious = bool(event.seriousness)
    resource: Resource = {
        "resourceType": "AdverseEvent",
        "id": str(event.pk),
        "actuality": "actual",
        "event": {"text": event.description},
        "subject": reference("Patient", event.client_id),
        "date": event.onset.isoformat(),
        "recordedDate": _instant(event.reported_at),
        "seriousness": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
                    "code": "serious" if serious else "non-serious",
                }
            ]
        },
        "outcome": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                    "code": AE_OUTCOMES.get(event.outcome, "unknown"),
                }
            ]
        },
        "suspectEntity": [
            {
                "instance": reference("Medication", medication_id(product.batch)),
                "causality": [{"assessment": {"text": "Suspected"}}],
            }
            for product in event.products.all()
        ],
    }
    if event.seriousness:
        resource["event"]["coding"] = [
            _local_coding("seriousness", code) for code in event.seriousness
        ]
    return resource


def _component_value(value: object) -> Resource:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float | Decimal):
        return {"valueQuantity": {"value": float(value), **terms.SCORE}}
    return {"valueString": str(value)}


def observation(assessment: Assessment) -> Resource:
    """An outcome assessment: the scale's total and every component scored."""
    value: Resource = (
        {"valueQuantity": {"value": _decimal(assessment.score_value), **terms.SCORE}}
        if assessment.score_value is not None
        else {"valueString": assessment.score_text}
    )
    resource: Resource = {
        "resourceType": "Observation",
        "id": str(assessment.pk),
        "status": "final",
        "category": [{"coding": [terms.OBSERVATION_SURVEY]}],
        "code": {"coding": [_local_coding("scale", assessment.scale)], "text": assessment.scale},
        "subject": reference("Patient", assessment.client_id),
        "effectiveDateTime": _instant(assessment.assessed_at),
        **value,
        "component": [
            {
                "code": {"coding": [_local_coding(f"scale-{assessment.scale}", key)]},
                **_component_value(component),
            }
            for key, component in sorted(assessment.components.items())
        ],
    }
    if assessment.band:
        resource["interpretation"] = [{"text": assessment.band}]
    return resource
