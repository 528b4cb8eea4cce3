"""Structured device settings and the technique (freehand / device) on the treatment record
(issue #19, item 2): a schema per device type, checked on every write, shown on the record
page, kept through a draft's edit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from tests.records.factories import record_body

from mesoclinic.people.models import Device
from mesoclinic.records.device_settings import (
    SCHEMAS,
    DeviceSettingError,
    shown_settings,
    validate_device_settings,
)
from mesoclinic.records.models import TreatmentRecord

INJECTOR_SETTINGS = {
    "needle_depth_mm": 0.6,
    "volume_per_shot_ml": 0.02,
    "suction_kpa": 30,
    "shots": 240,
    "note": "5-needle head",
}


@pytest.fixture
def injector_appointment(appointment):
    """The face-revitalise appointment with the Vital Injector reserved."""
    appointment.device = Device.objects.get(code="vital-injector")
    appointment.save(update_fields=["device"])
    return appointment


def _injector_body(**settings):
    body = record_body(device_settings=settings)
    body["areas"][0]["technique"] = "device"
    return body


# --- the pure schema ------------------------------------------------------------------------


def test_every_device_type_has_a_schema_with_units_and_ranges():
    from mesoclinic.people.models import DeviceType

    assert set(SCHEMAS) == set(DeviceType.values)
    for settings in SCHEMAS.values():
        assert settings
        for setting in settings:
            assert setting.unit
            assert setting.ucum
            assert setting.minimum < setting.maximum


def test_settings_are_normalised_to_numbers_and_blanks_dropped():
    clean = validate_device_settings(
        "collagen-pin", {"needle_depth_mm": "1.5", "speed_hz": "120", "passes": "3", "note": " "}
    )
    assert clean == {"needle_depth_mm": 1.5, "speed_hz": 120, "passes": 3}


@pytest.mark.parametrize(
    ("device_type", "given", "code", "invalid"),
    [
        ("vital-injector", {"speed_hz": 100}, "unknown_device_setting", True),
        ("dermafrac", {"vacuum_kpa": "strong"}, "invalid_device_setting", True),
        ("microneedling-roller", {"passes": 2.5}, "invalid_device_setting", True),
        ("microneedling-roller", {"needle_depth_mm": 5}, "device_setting_out_of_range", False),
        ("electroporation-wand", {"voltage_v": 0}, "device_setting_out_of_range", False),
        (None, {"needle_depth_mm": 1}, "device_required", False),
    ],
)
def test_the_schema_refuses_with_a_code(device_type, given, code, invalid):
    with pytest.raises(DeviceSettingError) as caught:
        validate_device_settings(device_type, given)
    assert caught.value.code == code
    assert caught.value.invalid is invalid


def test_shown_settings_follow_the_schema_order_with_units():
    shown = shown_settings("vital-injector", {"note": "x", "suction_kpa": 30, "needle_depth_mm": 1})
    assert [(s.label, s.value, s.unit) for s in shown] == [
        ("Needle depth", "1", "mm"),
        ("Suction", "30", "kPa"),
        ("Note", "x", ""),
    ]


# --- through the API --------------------------------------------------------------------------


def test_a_vital_injector_record_keeps_its_settings_and_device_technique(
    injector_appointment, fresh_batch, api_as
):
    # when
    response = api_as("dr-patel").post(
        f"/appointments/{injector_appointment.pk}/record", _injector_body(**INJECTOR_SETTINGS)
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["device"] == "vital-injector"
    assert body["delivery"] == "device"
    assert body["device_settings"] == INJECTOR_SETTINGS
    record = TreatmentRecord.objects.get()
    assert record.device_settings["needle_depth_mm"] == 0.6
    assert Decimal(str(record.device_settings["volume_per_shot_ml"])) == Decimal("0.02")


@pytest.mark.parametrize(
    ("given", "status", "code", "field"),
    [
        ({"vacuum_kpa": 20}, 400, "unknown_device_setting", "device_settings.vacuum_kpa"),
        ({"suction_kpa": "high"}, 400, "invalid_device_setting", "device_settings.suction_kpa"),
        (
            {"needle_depth_mm": 6},
            422,
            "device_setting_out_of_range",
            "device_settings.needle_depth_mm",
        ),
    ],
)
def test_a_bad_setting_is_refused_and_nothing_written(
    injector_appointment, fresh_batch, api_as, given, status, code, field
):
    # when
    response = api_as("dr-patel").post(
        f"/appointments/{injector_appointment.pk}/record", _injector_body(**given)
    )
    # then
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["details"]["field"] == field
    assert not TreatmentRecord.objects.exists()


def test_out_of_range_names_the_range_and_unit(injector_appointment, fresh_batch, api_as):
    response = api_as("dr-patel").post(
        f"/appointments/{injector_appointment.pk}/record", _injector_body(needle_depth_mm=6)
    )
    error = response.json()["error"]
    details = error["details"]
    assert (details["minimum"], details["maximum"], details["unit"]) == ("0.1", "4.0", "mm")
    assert "0.1–4.0 mm" in error["message"]


def test_settings_without_a_device_are_refused(appointment, fresh_batch, api_as):
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record",
        record_body(device_settings={"needle_depth_mm": 1}),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "device_required"


def test_a_freehand_session_is_recorded_as_freehand(appointment, fresh_batch, api_as):
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())
    assert response.status_code == 201
    assert response.json()["delivery"] == "freehand"
    assert response.json()["device"] is None


@pytest.mark.parametrize(
    ("delivery", "technique", "status", "code"),
    [
        ("device", "nappage", 422, "device_required"),
        ("freehand", "device", 422, "delivery_mismatch"),
        ("by-robot", "nappage", 400, "unknown_delivery"),
    ],
)
def test_the_technique_must_agree_with_the_device_and_areas(
    appointment, fresh_batch, api_as, delivery, technique, status, code
):
    body = record_body(delivery=delivery)
    body["areas"][0]["technique"] = technique
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not TreatmentRecord.objects.exists()


def test_freehand_technique_with_a_reserved_device_is_kept(
    injector_appointment, fresh_batch, api_as
):
    # the injector was reserved but the practitioner injected by hand
    response = api_as("dr-patel").post(
        f"/appointments/{injector_appointment.pk}/record", record_body(delivery="freehand")
    )
    assert response.status_code == 201
    assert response.json()["delivery"] == "freehand"


# --- the web form and the record page ---------------------------------------------------------


@pytest.fixture
def doctor(demo):
    browser = HttpClient()
    assert browser.login(username="dr-patel", password="mesoclinic-demo")
    return browser


def _form(**extra):
    return {
        "product-0-formulation": "revitalise-cocktail",
        "product-0-lot": "T-REV-FRESH",
        "product-0-volume_ml": "2",
        "area-0-area": "forehead",
        "area-0-technique": "device",
        "area-0-points": "200",
        "area-0-volume_ml": "2",
        "device": "vital-injector",
        "delivery": "device",
        "action": "draft",
        **extra,
    }


def test_the_form_offers_the_reserved_device_type_settings_with_units(
    injector_appointment, fresh_batch, doctor
):
    page = doctor.get(f"/appointments/{injector_appointment.pk}/record/").content.decode()
    assert '<option value="vital-injector" selected>' in page
    assert 'name="setting-suction_kpa"' in page
    assert "Suction (kPa)" in page
    assert "5–80 kPa" in page
    assert 'name="setting-speed_hz"' not in page  # a Collagen PIN setting


def test_the_form_saves_settings_and_the_record_page_shows_them(
    injector_appointment, fresh_batch, doctor
):
    # when
    response = doctor.post(
        f"/appointments/{injector_appointment.pk}/record/",
        _form(**{"setting-needle_depth_mm": "0.8", "setting-suction_kpa": "25"}),
    )
    # then
    record = TreatmentRecord.objects.get()
    assert response.status_code == 302
    assert record.device_settings == {"needle_depth_mm": 0.8, "suction_kpa": 25}
    page = doctor.get(f"/records/{record.pk}/").content.decode()
    assert "Needle depth: 0.8 mm" in page
    assert "Suction: 25 kPa" in page
    assert "<dt>Technique</dt><dd>Device</dd>" in page
    # and editing the draft starts from the saved settings
    form = doctor.get(f"/appointments/{injector_appointment.pk}/record/").content.decode()
    assert 'name="setting-suction_kpa" inputmode="decimal" value="25"' in form


def test_the_form_shows_an_out_of_range_setting_next_to_the_form(
    injector_appointment, fresh_batch, doctor
):
    response = doctor.post(
        f"/appointments/{injector_appointment.pk}/record/",
        _form(**{"setting-needle_depth_mm": "7"}),
    )
    assert response.status_code == 422
    assert b"device_setting_out_of_range" in response.content
    assert b'value="7"' in response.content
    assert not TreatmentRecord.objects.exists()
