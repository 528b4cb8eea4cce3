"""A device session in FHIR: ``Procedure.focalDevice`` names the Device (in the bundle) and
carries each recorded setting as an extension with a UCUM quantity; every procedure says
whether it was freehand or by device (issue #19, item 2)."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from fhir.resources.R4B.bundle import Bundle
from tests.records.factories import book, clear_screening, receive, record_body

from mesoclinic.interop import terminology
from mesoclinic.interop.selectors import patient_everything
from mesoclinic.people.models import Device

SETTINGS = {"needle_depth_mm": 0.6, "volume_per_shot_ml": 0.02, "suction_kpa": 30, "note": "5-pin"}


@pytest.fixture
def injector_bundle(demo, api_as):
    clear_screening(treatment="face-revitalise")
    receive("revitalise-cocktail", "FHIR-VI-1")
    appointment = book()
    appointment.device = Device.objects.get(code="vital-injector")
    appointment.save(update_fields=["device"])
    body = record_body(lot="FHIR-VI-1", device_settings=SETTINGS)
    body["areas"][0]["technique"] = "device"
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)
    assert response.status_code == 201, response.content
    return patient_everything(client=appointment.client, base_url="http://127.0.0.1:8000/fhir/r4")


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_procedure_names_the_device_and_its_settings_with_ucum_units(injector_bundle):
    # given
    procedure = _resources(injector_bundle, "Procedure")[0]
    # then
    focal = procedure["focalDevice"][0]
    assert focal["manipulated"] == {"reference": "Device/vital-injector"}
    values = {
        ext["extension"][0]["valueCoding"]["code"]: ext["extension"][1]["valueQuantity"]
        for ext in focal["extension"]
    }
    assert values == {
        "needle_depth_mm": {"value": 0.6, "unit": "mm", "system": terminology.UCUM, "code": "mm"},
        "volume_per_shot_ml": {
            "value": 0.02,
            "unit": "mL",
            "system": terminology.UCUM,
            "code": "mL",
        },
        "suction_kpa": {"value": 30, "unit": "kPa", "system": terminology.UCUM, "code": "kPa"},
    }
    assert {"text": "Vital Injector settings: 5-pin"} in procedure["note"]
    assert procedure["extension"][0]["valueCoding"]["code"] == "device"


def test_the_device_is_in_the_bundle_and_the_bundle_parses(injector_bundle):
    devices = _resources(injector_bundle, "Device")
    assert [d["id"] for d in devices] == ["vital-injector"]
    assert devices[0]["deviceName"][0]["name"] == "Vital Injector"
    Bundle.model_validate(injector_bundle)


def test_the_setting_and_technique_codes_resolve_in_the_clinics_code_systems(injector_bundle):
    procedure = _resources(injector_bundle, "Procedure")[0]
    codings = [procedure["extension"][0]["valueCoding"]] + [
        ext["extension"][0]["valueCoding"] for ext in procedure["focalDevice"][0]["extension"]
    ]
    http = HttpClient()
    for coding in codings:
        system = http.get(coding["system"].removeprefix("http://127.0.0.1:8000")).json()
        assert coding["code"] in {c["code"] for c in system["concept"]}
