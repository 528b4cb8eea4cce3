"""FHIR R4 ``Patient/$everything``: one Bundle with the client's whole record."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client as HttpClient
from tests.records.factories import book, clear_screening, receive, record_body

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.services import api_token_create


@pytest.fixture
def treated_client(demo, api_as):
    """Amelia: questionnaire, consent, a signed session, an assessment and an adverse event."""
    clear_screening(treatment="face-revitalise")
    receive("revitalise-cocktail", "FHIR-LOT-1")
    appointment = book()
    api = api_as("dr-patel")
    record = api.post(f"/appointments/{appointment.pk}/record", record_body(lot="FHIR-LOT-1"))
    assert record.status_code == 201, record.content
    api.post(f"/records/{record.json()['id']}/sign")
    client_id = str(appointment.client_id)
    api.post(
        f"/clients/{client_id}/assessments",
        {"scale": "gais", "components": {"score": 2}, "rated_by": "practitioner"},
    )
    api.post(
        "/adverse-events",
        {
            "client": client_id,
            "appointment": str(appointment.pk),
            "onset": clock.today().isoformat(),
            "description": "Bruising at two sites.",
            "products": [{"lot": "FHIR-LOT-1"}],
            "seriousness": [],
            "outcome": "recovering",
        },
    )
    return client_id


def _everything(client_id: str, token: str):
    return HttpClient().get(
        f"/fhir/r4/Patient/{client_id}/$everything", headers={"Authorization": f"Bearer {token}"}
    )


def _by_type(bundle):
    grouped: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        grouped.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return grouped


def test_everything_bundles_every_resource_type_of_the_contract(treated_client):
    # when
    response = _everything(treated_client, api_token_create(username="dr-patel"))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "searchset")
    assert bundle["total"] == 1  # the matches (the Patient), not the included resources
    grouped = _by_type(bundle)
    assert {
        "Patient",
        "Appointment",
        "Procedure",
        "MedicationAdministration",
        "Medication",
        "Consent",
        "AdverseEvent",
        "Observation",
        "Practitioner",
        "QuestionnaireResponse",
    } <= set(grouped)
    assert bundle["entry"][0]["search"]["mode"] == "match"
    assert grouped["Patient"][0]["id"] == treated_client


def test_every_reference_resolves_inside_the_bundle(treated_client):
    bundle = _everything(treated_client, api_token_create(username="dr-patel")).json()
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    references = set()

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                references.add(node["reference"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(bundle)
    assert references
    assert references <= present


def test_medication_administration_is_intradermal_with_batch(treated_client):
    grouped = _by_type(_everything(treated_client, api_token_create(username="dr-patel")).json())
    administration = grouped["MedicationAdministration"][0]
    assert administration["dosage"]["route"]["coding"][0]["code"] == "372464004"
    assert administration["dosage"]["dose"] == {
        "value": 2.5,
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    }
    procedure_ref = administration["partOf"][0]["reference"]
    assert procedure_ref == f"Procedure/{grouped['Procedure'][0]['id']}"
    medication = next(m for m in grouped["Medication"] if m["batch"]["lotNumber"] == "FHIR-LOT-1")
    assert medication["batch"]["expirationDate"]
    assert any(
        i["itemCodeableConcept"]["text"] == "Lidocaine hydrochloride"
        for i in medication["ingredient"]
    )


def test_consent_carries_the_exact_text_signed(treated_client):
    from mesoclinic.safety.models import SignedConsent

    grouped = _by_type(_everything(treated_client, api_token_create(username="dr-patel")).json())
    consent = grouped["Consent"][-1]
    signed = SignedConsent.objects.get(pk=int(consent["id"]))
    assert base64.b64decode(consent["sourceAttachment"]["data"]).decode() == signed.text
    assert consent["scope"]["coding"][0]["code"] == "treatment"


def test_practitioner_lists_registration_and_prescriber_qualifications(treated_client):
    grouped = _by_type(_everything(treated_client, api_token_create(username="dr-patel")).json())
    patel = next(p for p in grouped["Practitioner"] if p["id"] == "dr-patel")
    systems = [q.get("identifier", [{}])[0].get("system") for q in patel["qualification"]]
    assert "https://fhir.hl7.org.uk/Id/gmc-number" in systems
    assert [q["code"]["coding"][0]["code"] for q in patel["qualification"]] == [
        "registration",
        "prescriber",
    ]
    assert all("end" in q["period"] for q in patel["qualification"])


def test_observation_has_the_score_and_components(treated_client):
    grouped = _by_type(_everything(treated_client, api_token_create(username="dr-patel")).json())
    gais = next(o for o in grouped["Observation"] if o["code"]["text"] == "gais")
    assert gais["valueQuantity"] == {
        "value": 2,
        "unit": "score",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert gais["component"][0]["valueInteger"] == 2


def test_export_is_audited(treated_client):
    _everything(treated_client, api_token_create(username="dr-patel"))
    entry = AuditEntry.objects.filter(action="fhir.export").latest("id")
    assert (entry.actor_label, entry.client_id) == ("dr-patel", int(treated_client))


def test_export_needs_staff_credentials(treated_client):
    response = HttpClient().get(f"/fhir/r4/Patient/{treated_client}/$everything")
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert _everything(treated_client, "mc_wrong").status_code == 401


@pytest.mark.parametrize("client_id", ["999999", "abc"])
def test_unknown_patient_is_404(demo, client_id):
    response = _everything(client_id, api_token_create(username="dr-patel"))
    assert response.status_code == 404
    assert json.loads(response.content)["issue"][0]["code"] == "not-found"
