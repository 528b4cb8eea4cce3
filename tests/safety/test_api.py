"""The safety API of api-contract.md: questionnaires, screenings, consents, overrides, prescriptions."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety.consent_services import consent_form_publish
from mesoclinic.safety.models import (
    ConsentForm,
    HealthQuestionnaire,
    Override,
    Prescription,
    SignedConsent,
)

QUESTIONNAIRE = {
    "pregnant": False,
    "breastfeeding": False,
    "allergies": ["penicillin"],
    "conditions": ["keloid_history"],
    "medications": ["cetirizine"],
}


def client_id(email: str) -> str:
    return str(Client.objects.get(email=email).pk)


def screen(api, email, treatment, **extra):
    response = api.post(
        "/screenings", {"client": client_id(email), "treatment": treatment, **extra}
    )
    assert response.status_code == 200, response.content
    return response.json()


def codes(body):
    return [reason["code"] for reason in body["reasons"]]


def error_code(response):
    return response.json()["error"]["code"]


# --- Questionnaires ------------------------------------------------------------------------


def test_record_questionnaire_returns_201_and_is_audited(api):
    # given
    cid = client_id("lucas.byrne@example.com")
    # when
    response = api.post(f"/clients/{cid}/questionnaires", QUESTIONNAIRE)
    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["client"], body["conditions"], body["current"]) == (cid, ["keloid_history"], True)
    stored = HealthQuestionnaire.objects.get(pk=int(body["id"]))
    assert (stored.allergies, stored.medications) == (["penicillin"], ["cetirizine"])
    entry = AuditEntry.objects.filter(action="questionnaire.record").latest("id")
    assert (entry.actor_label, entry.client_id) == ("dr-patel", int(cid))


def test_new_questionnaire_supersedes_and_the_old_one_is_kept_unchanged(api):
    # given Chloe's demo questionnaire says pregnant
    cid = client_id("chloe.dawson@example.com")
    old = HealthQuestionnaire.objects.get(client_id=cid)
    # when
    response = api.post(f"/clients/{cid}/questionnaires", {**QUESTIONNAIRE, "conditions": []})
    # then
    assert response.status_code == 201
    listed = api.get(f"/clients/{cid}/questionnaires").json()
    assert [(q["id"], q["current"]) for q in listed] == [
        (response.json()["id"], True),
        (str(old.pk), False),
    ]
    old.refresh_from_db()
    assert old.pregnant is True
    assert "pregnant" not in codes(screen(api, "chloe.dawson@example.com", "face-revitalise"))


@pytest.mark.parametrize("username", ["reception", "admin"])
def test_only_practitioners_record_or_read_questionnaires(api_as, username):
    # given
    cid = client_id("evie.sinclair@example.com")
    before = HealthQuestionnaire.objects.filter(client_id=cid).count()
    # when
    written = api_as(username).post(f"/clients/{cid}/questionnaires", QUESTIONNAIRE)
    read = api_as(username).get(f"/clients/{cid}/questionnaires")
    # then
    assert (written.status_code, error_code(written)) == (403, "clinical_access_required")
    assert (read.status_code, error_code(read)) == (403, "clinical_access_required")
    assert HealthQuestionnaire.objects.filter(client_id=cid).count() == before


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"conditions": ["keloid_history", "vampirism"]}, 400, "unknown_condition"),
        ({"answered_at": "last tuesday"}, 400, "invalid_input"),
        ({"answered_at": "2026-01-01T10:00:00"}, 400, "naive_datetime"),
        ({"answered_at": "2999-01-01T10:00:00+00:00"}, 400, "invalid_date"),
        ({"isotretinoin_last_taken_on": "2026-02-30"}, 400, "invalid_input"),
        ({"pregnant": None}, 400, "invalid_input"),
        ({"allergies": "lidocaine"}, 400, "invalid_input"),
    ],
)
def test_bad_questionnaire_is_refused_and_writes_nothing(api, change, status, code):
    # given
    cid = client_id("evie.sinclair@example.com")
    # when
    response = api.post(f"/clients/{cid}/questionnaires", {**QUESTIONNAIRE, **change})
    # then
    assert (response.status_code, error_code(response)) == (status, code)
    assert not HealthQuestionnaire.objects.filter(client_id=cid).exists()


def test_unknown_condition_error_lists_the_unknown_codes(api):
    response = api.post(
        f"/clients/{client_id('evie.sinclair@example.com')}/questionnaires",
        {**QUESTIONNAIRE, "conditions": ["vampirism"]},
    )
    assert response.json()["error"]["details"]["unknown"] == ["vampirism"]


def test_questionnaire_for_unknown_client_is_404(api):
    response = api.post("/clients/999999/questionnaires", QUESTIONNAIRE)
    assert (response.status_code, error_code(response)) == (404, "client_not_found")


# --- Screening -----------------------------------------------------------------------------


def test_screening_pregnant_client_is_refused_with_contract_shape(api):
    # when
    body = screen(api, "chloe.dawson@example.com", "face-revitalise", practitioner="dr-patel")
    # then
    assert body["outcome"] == "refused"
    assert codes(body) == ["pregnant", "consent_missing"]
    first = body["reasons"][0]
    assert (first["severity"], first["source"]) == (
        "refuse",
        "Product SPC / manufacturer's instructions",
    )
    assert "must not be booked or given" in first["message"]


def test_screening_therapist_for_needle_is_practitioner_not_qualified(api):
    body = screen(api, "amelia.hart@example.com", "face-revitalise", practitioner="therapist-ng")
    assert (body["outcome"], codes(body)) == ("refused", ["practitioner_not_qualified"])


def test_screening_nurse_hughes_has_an_expired_registration(api):
    body = screen(api, "amelia.hart@example.com", "under-eye", practitioner="nurse-hughes")
    assert body["outcome"] == "refused"
    assert codes(body)[0] == "practitioner_registration_expired"


def test_screening_mesotox_needs_prescriber_until_a_prescription_is_recorded(api_as):
    # given
    doctor = api_as("dr-patel")
    before = screen(doctor, "freya.adeyemi@example.com", "mesotox", practitioner="dr-patel")
    # when
    response = doctor.post(
        f"/clients/{client_id('freya.adeyemi@example.com')}/prescriptions",
        {
            "prescriber": "dr-patel",
            "formulation": "mesotox-blend",
            "consultation_at": (clock.now() - dt.timedelta(hours=1)).isoformat(),
        },
    )
    after = screen(doctor, "freya.adeyemi@example.com", "mesotox", practitioner="dr-patel")
    # then
    assert response.status_code == 201
    assert before["outcome"] == "needs_prescriber"
    assert "prescriber_consultation_required" in codes(before)
    assert "prescriber_consultation_required" not in codes(after)
    assert after["outcome"] == "allowed_with_warnings"


def test_screening_toxin_sixty_days_ago_is_toxin_interval(api):
    body = screen(api, "james.whitaker@example.com", "mesotox", practitioner="dr-patel")
    assert (body["outcome"], codes(body)) == ("needs_override", ["toxin_interval"])


def test_screening_on_a_date_after_the_toxin_interval_has_no_toxin_interval(api):
    on = (clock.today() + dt.timedelta(days=24)).isoformat()
    body = screen(api, "james.whitaker@example.com", "mesotox", practitioner="dr-patel", on=on)
    assert "toxin_interval" not in codes(body)


def test_recorded_toxin_history_triggers_toxin_interval(api_as):
    # given
    doctor = api_as("dr-patel")
    cid = client_id("sophie.carter@example.com")
    # when
    response = doctor.post(
        f"/clients/{cid}/toxin-history",
        {
            "administered_on": (clock.today() - dt.timedelta(days=83)).isoformat(),
            "product_name": "Bocouture 20 U",
        },
    )
    body = screen(doctor, "sophie.carter@example.com", "mesotox", practitioner="dr-patel")
    # then
    assert response.status_code == 201
    assert codes(body) == ["toxin_interval"]
    assert [t["product_name"] for t in doctor.get(f"/clients/{cid}/toxin-history").json()] == [
        "Bocouture 20 U"
    ]


def test_screening_explicit_formulation_is_screened(api):
    body = screen(api, "priya.raman@example.com", "under-eye", formulation="revitalise-cocktail")
    assert codes(body)[0] == "ingredient_allergy"


def test_screening_is_audited(api):
    # when
    screen(api, "isla.murray@example.com", "pigmentation", on="2027-03-05")
    # then
    entry = AuditEntry.objects.filter(action="screening.run").latest("id")
    assert entry.client_id == int(client_id("isla.murray@example.com"))
    assert (entry.data["on"], entry.data["outcome"]) == ("2027-03-05", "refused")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"client": "999999"}, 404, "client_not_found"),
        ({"client": "not-an-id"}, 404, "client_not_found"),
        ({"treatment": "botox-party"}, 400, "unknown_treatment"),
        ({"practitioner": "dr-who"}, 400, "unknown_practitioner"),
        ({"formulation": "snake-oil"}, 400, "unknown_formulation"),
        ({"on": "2027-02-30"}, 400, "invalid_input"),
        ({"on": "next week"}, 400, "invalid_input"),
        ({"at": "2027-03-05T10:00:00"}, 400, "naive_datetime"),
        ({"treatment": None}, 400, "invalid_input"),
    ],
)
def test_bad_screening_input_gets_the_error_envelope(api, change, status, code):
    # given
    body = {"client": client_id("amelia.hart@example.com"), "treatment": "face-revitalise"}
    # when
    response = api.post("/screenings", {**body, **change})
    # then
    assert (response.status_code, error_code(response)) == (status, code)


def test_screening_malformed_json_is_400(api):
    response = api.post("/screenings", raw="{not json")
    assert response.status_code == 400


def test_screening_needs_authentication(demo):
    from django.test import Client as HttpClient

    response = HttpClient().post("/api/v1/screenings", {}, content_type="application/json")
    assert (response.status_code, error_code(response)) == (401, "unauthenticated")


# --- Consent -------------------------------------------------------------------------------


def test_sign_consent_returns_201_with_form_version_and_is_audited(api):
    # given
    cid = client_id("zara.qureshi@example.com")
    # when
    response = api.post(
        f"/clients/{cid}/consents",
        {
            "treatment": "face-revitalise",
            "signed_name": "Zara Qureshi",
            "accepted": True,
            "photo_use": True,
        },
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["treatment"], body["form_version"]) == ("face-revitalise", 1)
    assert (body["photo_use"], body["marketing"]) == (True, False)
    assert "purple dots" in body["text"]
    entry = AuditEntry.objects.filter(action="consent.sign", client_id=int(cid)).latest("id")
    assert (entry.actor_label, entry.data["form_version"]) == ("dr-patel", 1)
    assert "consent_missing" not in codes(
        screen(api, "zara.qureshi@example.com", "face-revitalise")
    )


@pytest.mark.parametrize("accepted", [False, None, "true", 1, "yes"])
def test_consent_not_accepted_is_422_and_signs_nothing(api, accepted):
    # given
    cid = client_id("zara.qureshi@example.com")
    body = {"treatment": "face-revitalise", "signed_name": "Zara Qureshi", "accepted": accepted}
    # when
    response = api.post(f"/clients/{cid}/consents", body)
    # then
    assert (response.status_code, error_code(response)) == (422, "consent_not_accepted")
    assert not SignedConsent.objects.filter(
        client_id=cid, treatment__code="face-revitalise"
    ).exists()


def test_consent_without_accepted_is_422(api):
    response = api.post(
        f"/clients/{client_id('zara.qureshi@example.com')}/consents",
        {"treatment": "face-revitalise", "signed_name": "Zara Qureshi"},
    )
    assert (response.status_code, error_code(response)) == (422, "consent_not_accepted")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"signed_name": "   "}, 400, "invalid_input"),
        ({"treatment": "nope"}, 400, "unknown_treatment"),
        ({"signature_kind": "drawn", "signature_data": "<script>"}, 400, "invalid_signature"),
        ({"signature_kind": "scribbled"}, 400, "invalid_input"),
        ({"form_version": 7}, 422, "consent_form_changed"),
    ],
)
def test_bad_consent_input_is_refused(api, change, status, code):
    body = {"treatment": "face-revitalise", "signed_name": "Zara Qureshi", "accepted": True}
    response = api.post(
        f"/clients/{client_id('zara.qureshi@example.com')}/consents", {**body, **change}
    )
    assert (response.status_code, error_code(response)) == (status, code)


def test_drawn_signature_is_stored_as_path_data(api):
    response = api.post(
        f"/clients/{client_id('zara.qureshi@example.com')}/consents",
        {
            "treatment": "under-eye",
            "signed_name": "Zara Qureshi",
            "accepted": True,
            "signature_kind": "drawn",
            "signature_data": "M10 20 L30 40 L50.5 45 M60 20 L70 25",
        },
    )
    assert response.status_code == 201
    consent = SignedConsent.objects.get(pk=int(response.json()["id"]))
    assert (consent.signature_kind, consent.signature_data) == (
        "drawn",
        "M10 20 L30 40 L50.5 45 M60 20 L70 25",
    )


def test_signed_consent_text_is_unchanged_after_the_form_changes(api):
    # given Amelia signed face-revitalise v1 when the demo loaded
    consent = SignedConsent.objects.get(
        client__email="amelia.hart@example.com", treatment__code="face-revitalise"
    )
    signed_text = consent.text
    form = ConsentForm.objects.get(treatment__code="face-revitalise", version=1)
    # when an administrator edits v1 in place and a v2 is published
    ConsentForm.objects.filter(pk=form.pk).update(body="Edited wording.")
    consent_form_publish(
        actor=None, treatment=form.treatment, title="Consent v2", body="New wording v2."
    )
    # then
    consent.refresh_from_db()
    assert consent.text == signed_text
    assert "purple dots" in consent.text
    listed = api.get(f"/clients/{client_id('amelia.hart@example.com')}/consents").json()
    assert [c["text"] for c in listed if c["treatment"] == "face-revitalise"] == [signed_text]
    assert "consent_missing" in codes(screen(api, "amelia.hart@example.com", "face-revitalise"))
    again = api.post(
        f"/clients/{client_id('amelia.hart@example.com')}/consents",
        {"treatment": "face-revitalise", "signed_name": "Amelia Hart", "accepted": True},
    )
    assert (again.json()["form_version"], again.json()["text"]) == (2, "New wording v2.")


def test_consent_forms_lists_the_current_form_per_treatment(api):
    forms = api.get("/consent-forms").json()
    assert len(forms) == 13  # one per treatment but the consultation, four with a device
    mesotox = api.get("/consent-forms", treatment="mesotox").json()
    assert [(f["treatment"], f["version"]) for f in mesotox] == [("mesotox", 1)]
    assert "botulinum toxin" in mesotox[0]["body"]


# --- Overrides -----------------------------------------------------------------------------


def override(api, email="ruby.kowalski@example.com", **change):
    body = {
        "treatment": "face-revitalise",
        "code": "autoimmune_disease",
        "justification": "Well controlled on current treatment; rheumatologist agrees.",
        **change,
    }
    return api.post(f"/clients/{client_id(email)}/overrides", body)


def test_practitioner_override_clears_only_that_reason(api_as):
    # given Ruby has an autoimmune disease
    doctor = api_as("dr-patel")
    before = screen(doctor, "ruby.kowalski@example.com", "face-revitalise")
    # when
    response = override(doctor)
    # then
    assert response.status_code == 201
    assert (response.json()["practitioner"], response.json()["active"]) == ("dr-patel", True)
    after = screen(doctor, "ruby.kowalski@example.com", "face-revitalise")
    other = screen(doctor, "ruby.kowalski@example.com", "pigmentation")
    assert before["outcome"] == "needs_override"
    assert "autoimmune_disease" not in codes(after)
    assert [r["code"] for r in after["overridden"]] == ["autoimmune_disease"]
    assert "autoimmune_disease" in codes(other)
    entry = AuditEntry.objects.filter(action="override.record").latest("id")
    assert (entry.actor_label, entry.data["code"]) == ("dr-patel", "autoimmune_disease")


def test_override_expires_after_the_configured_days(api_as, settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "OVERRIDE_VALID_DAYS": 30}
    response = override(api_as("nurse-lewis"))
    stored = Override.objects.get(pk=int(response.json()["id"]))
    assert stored.expires_at - stored.created_at == dt.timedelta(days=30)


@pytest.mark.parametrize("code", ["pregnant", "under_18", "ingredient_allergy", "consent_missing"])
def test_non_override_codes_are_not_overridable(api_as, code):
    response = override(api_as("dr-patel"), code=code)
    assert (response.status_code, error_code(response)) == (422, "not_overridable")
    assert not Override.objects.filter(code=code).exists()


@pytest.mark.parametrize("justification", ["", "   \n "])
def test_override_needs_a_justification(api_as, justification):
    response = override(api_as("dr-patel"), justification=justification)
    assert (response.status_code, error_code(response)) == (400, "invalid_input")


def test_override_unknown_code_is_400(api_as):
    response = override(api_as("dr-patel"), code="feeling_lucky")
    assert (response.status_code, error_code(response)) == (400, "unknown_reason_code")


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("reception", "clinical_access_required"),
        ("admin", "clinical_access_required"),
        ("therapist-ng", "not_a_clinician"),
        ("nurse-hughes", "not_a_clinician"),
    ],
)
def test_only_a_registered_clinician_may_override(api_as, username, code):
    response = override(api_as(username))
    assert (response.status_code, error_code(response)) == (403, code)
    assert not Override.objects.filter(code="autoimmune_disease").exists()


def test_list_overrides(api):
    listed = api.get(f"/clients/{client_id('olivia.brennan@example.com')}/overrides").json()
    assert [(o["code"], o["practitioner"], o["active"]) for o in listed] == [
        ("anticoagulants", "dr-patel", True)
    ]


# --- Prescriptions -------------------------------------------------------------------------


def prescribe(api, prescriber="dr-patel", consultation_at=None, **change):
    moment = consultation_at or (clock.now() - dt.timedelta(hours=1)).isoformat()
    body = {"prescriber": prescriber, "formulation": "mesotox-blend", "consultation_at": moment}
    return api.post(
        f"/clients/{client_id('amelia.hart@example.com')}/prescriptions", {**body, **change}
    )


def test_prescription_returns_201_and_is_audited(api_as):
    response = prescribe(api_as("nurse-okafor"), prescriber="nurse-okafor")
    assert response.status_code == 201
    assert (response.json()["prescriber"], response.json()["face_to_face"]) == (
        "nurse-okafor",
        True,
    )
    assert AuditEntry.objects.filter(action="prescription.record").latest("id").actor_label == (
        "nurse-okafor"
    )


@pytest.mark.parametrize("prescriber", ["nurse-lewis", "nurse-hughes", "therapist-ng"])
def test_non_prescriber_is_not_a_prescriber(api_as, prescriber):
    response = prescribe(api_as(prescriber), prescriber=prescriber)
    assert (response.status_code, error_code(response)) == (422, "not_a_prescriber")
    assert not Prescription.objects.filter(client__email="amelia.hart@example.com").exists()


@pytest.mark.parametrize("username", ["therapist-ng", "nurse-lewis", "nurse-okafor"])
def test_nobody_records_a_prescription_in_a_prescribers_name(api_as, username):
    # when a practitioner names Dr Patel as the prescriber
    response = prescribe(api_as(username), prescriber="dr-patel")
    # then
    assert (response.status_code, error_code(response)) == (403, "not_own_prescription")
    assert not Prescription.objects.filter(client__email="amelia.hart@example.com").exists()


def test_a_prescriber_records_in_their_own_name_by_default(api):
    body = {
        "formulation": "mesotox-blend",
        "consultation_at": (clock.now() - dt.timedelta(hours=1)).isoformat(),
    }
    response = api.post(f"/clients/{client_id('amelia.hart@example.com')}/prescriptions", body)
    assert (response.status_code, response.json()["prescriber"]) == (201, "dr-patel")


def test_prescriber_qualification_is_checked_on_the_consultation_date(api):
    # given dr-patel's prescribing qualification expired 10 days ago
    Practitioner.objects.filter(code="dr-patel").update(
        prescriber_expires_on=clock.today() - dt.timedelta(days=10)
    )
    # when
    recent = prescribe(api)
    earlier = prescribe(api, consultation_at=(clock.now() - dt.timedelta(days=20)).isoformat())
    # then
    assert (recent.status_code, error_code(recent)) == (422, "not_a_prescriber")
    assert earlier.status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"prescriber": "dr-who"}, 400, "unknown_practitioner"),
        ({"formulation": "snake-oil"}, 400, "unknown_formulation"),
        ({"consultation_at": "2999-01-01T10:00:00+00:00"}, 400, "invalid_date"),
        ({"consultation_at": "yesterday"}, 400, "invalid_input"),
        ({"consultation_at": "2026-01-01T10:00:00"}, 400, "naive_datetime"),
    ],
)
def test_bad_prescription_input_is_400(api, change, status, code):
    response = prescribe(api, **change)
    assert (response.status_code, error_code(response)) == (status, code)


@pytest.mark.parametrize("username", ["reception", "admin"])
def test_reception_and_managers_may_not_record_a_prescription(api_as, username):
    response = prescribe(api_as(username))
    assert (response.status_code, error_code(response)) == (403, "clinical_access_required")


def test_list_prescriptions(api):
    listed = api.get(f"/clients/{client_id('sophie.carter@example.com')}/prescriptions").json()
    assert [(p["prescriber"], p["formulation"]) for p in listed] == [("dr-patel", "mesotox-blend")]
