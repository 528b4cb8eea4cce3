from mesoclinic.core.models import AuditEntry


def test_treatments_list_every_demo_treatment_with_contract_fields(api):
    # when
    response = api.get("/treatments")
    # then
    assert response.status_code == 200
    by_code = {t["code"]: t for t in response.json()}
    # the nine of domain.md §1, the free consultation and four given with a device (issue 19)
    assert len(by_code) == 14
    assert by_code["face-revitalise-injector"]["device_type"] == "vital-injector"
    assert by_code["face-revitalise-injector"]["default_formulation"] == "polyrevitalising-complex"
    assert by_code["face-revitalise"] | {"description": ""} == {
        "code": "face-revitalise",
        "name": "Face revitalise",
        "description": "",
        "areas": ["face"],
        "treatment_minutes": 30,
        "numbing_minutes": 30,
        "price": {"amount": "300.00", "currency": "GBP"},
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": None,
        "default_protocol": "meso-standard",
        "default_formulation": "revitalise-cocktail",
        "risk_tier": "amber",
        "primary_scale": "gais",
    }
    assert by_code["mesotox"]["requires_prescriber"] is True
    assert by_code["mesotox"]["price"] == {"amount": "500.00", "currency": "GBP"}
    assert by_code["chin-jowl-fat"]["swelling_expected"] is True
    assert by_code["no-needle-infusion"]["needs_needle"] is False
    assert by_code["no-needle-infusion"]["device_type"] == "electroporation-wand"
    assert by_code["scalp-hair"]["numbing_minutes"] == 0


def test_protocols_describe_phases(api):
    response = api.get("/protocols")
    assert response.status_code == 200
    standard = next(p for p in response.json() if p["code"] == "meso-standard")
    assert [
        (ph["name"], ph["count"], ph["gap_days"], ph["tolerance_days"]) for ph in standard["phases"]
    ] == [
        ("weekly", 4, 7, 1),
        ("fortnightly", 2, 14, 2),
        ("monthly", 4, 28, 3),
        ("maintenance", None, 91, 7),
    ]


def test_practitioners_show_registration_and_prescriber(api):
    response = api.get("/practitioners")
    assert response.status_code == 200
    by_code = {p["code"]: p for p in response.json()}
    assert by_code["dr-patel"]["profession"] == "doctor"
    assert by_code["dr-patel"]["registration"]["body"] == "GMC"
    assert by_code["dr-patel"]["prescriber"] is True
    assert by_code["nurse-lewis"]["prescriber"] is False
    assert by_code["nurse-lewis"]["prescriber_expires_on"] is None
    assert by_code["therapist-ng"]["registration"] is None


def test_formulations_list_ingredients(api):
    response = api.get("/formulations")
    by_code = {f["code"]: f for f in response.json()}
    assert by_code["mesotox-blend"]["contains_toxin"] is True
    assert {"code": "lidocaine", "name": "Lidocaine hydrochloride"} in by_code[
        "revitalise-cocktail"
    ]["ingredients"]


def test_openapi_document_is_served(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/treatments" in response.json()["paths"]


def test_api_without_credentials_is_401_with_envelope(demo):
    from django.test import Client

    response = Client().get("/api/v1/treatments")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_with_unknown_token_is_401(demo):
    from django.test import Client

    response = Client().get("/api/v1/treatments", headers={"Authorization": "Bearer mc_nope"})
    assert response.status_code == 401


def test_api_accepts_a_logged_in_session(demo):
    from django.test import Client

    browser = Client()
    assert browser.login(username="reception", password="mesoclinic-demo")
    assert browser.get("/api/v1/practitioners").status_code == 200


def test_healthz_answers_ok(db):
    from django.test import Client

    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"  # the contract; worker and migrations beside it


def test_reading_reference_data_is_not_a_clinical_audit_event(api):
    before = AuditEntry.objects.count()
    api.get("/treatments")
    assert AuditEntry.objects.count() == before
