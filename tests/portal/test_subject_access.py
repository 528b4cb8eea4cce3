"""The subject-access export holds the whole record: checked against the FHIR bundle.

Every resource of a client's ``Patient/$everything`` bundle comes from a record the clinic
holds; each such record must appear in the client's own export (JSON, and so the PDF).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from reportlab.platypus import Paragraph
from tests.records.factories import book, clear_screening, free_session_start, receive, record_body

from mesoclinic.core import clock
from mesoclinic.demo.records import load_records_demo
from mesoclinic.demo.scheduling import load_scheduling_demo
from mesoclinic.interop.selectors import patient_everything
from mesoclinic.people.models import Client
from mesoclinic.portal.export import client_data, client_data_pdf, client_data_story
from mesoclinic.records.models import Assessment
from mesoclinic.safety.models import Override, Prescription, ToxinAdministration


def _in_export(resource: dict, data: dict) -> bool:
    """Whether the record behind one FHIR resource is in the export ``data``."""
    kind, rid = resource["resourceType"], resource["id"]
    ids = lambda key: {item["id"] for item in data[key]}  # noqa: E731
    products = [p for r in data["treatment_records"] for p in r["products"]]
    suspects = [p for e in data["adverse_events"] for p in e["products"]]
    practitioners = {a["practitioner"]["code"] for a in data["appointments"]} | {
        r["practitioner"]["code"] for r in data["treatment_records"]
    }
    if kind == "Patient":
        return rid == data["client"]["id"]
    if kind == "Practitioner":
        return rid in practitioners
    if kind == "Medication":
        return resource["batch"]["lotNumber"] in {p["lot"] for p in products + suspects}
    if kind == "Device":
        return resource["deviceName"][0]["name"] in {r["device"] for r in data["treatment_records"]}
    if kind == "MedicationAdministration":
        return rid in {p["id"] for p in products}
    if kind == "AllergyIntolerance":
        questionnaire, index = rid.rsplit("-", 1)
        answers = {q["id"]: q["allergies"] for q in data["questionnaires"]}
        return resource["code"]["text"] == answers[questionnaire][int(index) - 1]
    key = {
        "Appointment": "appointments",
        "Procedure": "treatment_records",
        "Consent": "consents",
        "AdverseEvent": "adverse_events",
        "Observation": "assessments",
        "QuestionnaireResponse": "questionnaires",
    }[kind]
    return rid in ids(key)


@pytest.fixture
def full_history(demo, api_as, settings, tmp_path):
    """The demo's history, plus a signed session, adverse event and photo for Amelia."""
    settings.MEDIA_ROOT = tmp_path
    load_records_demo()
    load_scheduling_demo()
    clear_screening(treatment="face-revitalise")
    receive("revitalise-cocktail", "SAR-LOT-1")
    appointment = book(at=free_session_start())
    api = api_as("dr-patel")
    record = api.post(f"/appointments/{appointment.pk}/record", record_body(lot="SAR-LOT-1"))
    api.post(f"/records/{record.json()['id']}/sign")
    api.post(
        "/adverse-events",
        {
            "client": str(appointment.client_id),
            "appointment": str(appointment.pk),
            "onset": clock.today().isoformat(),
            "description": "Bruising at two sites.",
            "products": [{"lot": "SAR-LOT-1"}],
            "seriousness": [],
            "outcome": "recovering",
        },
    )
    assessment = api.post(
        f"/clients/{appointment.client_id}/assessments",
        {"scale": "gais", "components": {"score": 2}, "rated_by": "practitioner"},
    ).json()
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, "JPEG")
    upload = api.http.post(
        f"/api/v1/assessments/{assessment['id']}/photos",
        {"file": SimpleUploadedFile("face.jpg", image.getvalue(), "image/jpeg")},
        headers=api.headers,
    )
    assert upload.status_code in (200, 201), upload.content
    return appointment.client


def test_every_fhir_resource_of_every_client_is_in_their_export(full_history):
    # given
    missing = []
    kinds = set()
    # when
    for client in Client.objects.order_by("pk"):
        data = json.loads(json.dumps(client_data(client=client)))
        bundle = patient_everything(client=client, base_url="https://clinic.test/fhir/r4")
        for entry in bundle["entry"]:
            resource = entry["resource"]
            kinds.add(resource["resourceType"])
            if not _in_export(resource, data):
                missing.append(f"{client.email}: {resource['resourceType']}/{resource['id']}")
    # then
    assert missing == []
    assert kinds >= {
        "Patient",
        "Practitioner",
        "Appointment",
        "Procedure",
        "MedicationAdministration",
        "Medication",
        "Consent",
        "AdverseEvent",
        "Observation",
        "QuestionnaireResponse",
        "AllergyIntolerance",
    }


def test_the_export_carries_the_clinical_detail(full_history):
    # when
    data = client_data(client=full_history)
    # then: the session with its product, lot and area; the event; the photo by reference
    session = next(r for r in data["treatment_records"] if r["products"][0]["lot"] == "SAR-LOT-1")
    assert session["products"][0]["volume_ml"] == "2.50"
    assert session["areas"]
    assert session["practitioner"] == {"code": "dr-patel", "name": "Dr Asha Patel"}
    event = data["adverse_events"][-1]
    assert (event["description"], event["products"][0]["lot"]) == (
        "Bruising at two sites.",
        "SAR-LOT-1",
    )
    photo = next(a for a in data["assessments"] if a["photos"])["photos"][0]
    assert photo["content_type"] == "image/jpeg"
    assert photo["file"]
    assert Assessment.objects.filter(client=full_history).count() == len(data["assessments"])


def test_prescriptions_overrides_and_toxin_history_are_exported(full_history):
    # given: the demo's safety records (domain.md §9), each for some client
    for model, key in (
        (Prescription, "prescriptions"),
        (Override, "screening_overrides"),
        (ToxinAdministration, "toxin_history"),
    ):
        row = model.objects.order_by("pk").first()
        assert row is not None, model
        # when
        data = client_data(client=row.client)
        # then
        assert str(row.pk) in {item["id"] for item in data[key]}


def test_the_pdf_holds_every_section_and_field_of_the_json(full_history):
    # given
    data = client_data(client=full_history)
    # when
    story = client_data_story(client=full_history, data=data)
    pdf = client_data_pdf(client=full_history)
    # then: a heading per section and, in the paragraphs, every lot and record text
    texts = [flowable.text for flowable in story if isinstance(flowable, Paragraph)]
    headings = set(texts)
    for title in ("Treatment sessions", "Adverse events", "Prescriptions", "Screening overrides"):
        assert title in headings
    body = "\n".join(texts)
    assert "SAR-LOT-1" in body
    assert "Bruising at two sites." in body
    assert "Image/jpeg" in body or "image/jpeg" in body
    assert pdf.startswith(b"%PDF")


def test_packages_vouchers_fees_and_credit_are_in_the_export(demo):
    from mesoclinic.billing.account_services import credit_goodwill, package_sell, voucher_issue
    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.people.models import Client

    client = Client.objects.get(email="freya.adeyemi@example.com")
    face = Treatment.objects.get(code="face-revitalise")
    package_sell(actor=None, client=client, treatment=face, sessions=4, price="1000", method="card")
    credit_goodwill(actor=None, client=client, amount="25", note="Sorry for the wait")
    voucher = voucher_issue(
        actor=None, value="100", client=client, expires_on=clock.today() + dt.timedelta(days=365)
    )
    # when
    data = client_data(client=client)
    story = client_data_story(client=client, data=data)
    # then
    [package] = data["packages"]
    assert (package["treatment"], package["sessions"], package["price"]) == (
        face.name,
        4,
        "1000.00",
    )
    assert [(line["kind"], line["sessions"]) for line in package["ledger"]] == [("bought", 4)]
    assert [(e["kind"], e["amount"]) for e in data["account_entries"]] == [
        ("credit_goodwill", "25.00")
    ]
    assert [(v["code"], v["value"]) for v in data["vouchers"]] == [(voucher.code, "100.00")]
    headings = {flowable.text for flowable in story if isinstance(flowable, Paragraph)}
    assert {"Prepaid packages", "Gift vouchers", "Account: fees and credit"} <= headings
