"""The OpenAPI document tells the truth (issue 13, item 2)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture
def document(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_every_operation_lists_its_error_answers_with_the_envelope(document):
    for method, path, operation in _operations(document):
        expected = {"400", "401", "403", "404", "414"}
        if method != "get":
            expected |= {"409", "422", "503"}
        assert expected <= set(operation["responses"]), (method, path)
        for status in expected:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == ENVELOPE


def test_the_envelope_schema_requires_code_message_and_details(document):
    error = document["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
    assert error["required"] == ["code", "message", "details"]


def test_every_json_request_body_has_an_example(document):
    for method, path, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body:
            assert "example" in body["application/json"], (method, path)


def test_calendar_files_and_photos_declare_their_media_types(document):
    ics = document["paths"]["/api/v1/appointments/{appointment_id}.ics"]["get"]
    assert list(ics["responses"]["200"]["content"]) == ["text/calendar"]
    feed = document["paths"]["/api/v1/practitioners/{code}/calendar.ics"]["get"]
    assert list(feed["responses"]["200"]["content"]) == ["text/calendar"]
    photo = document["paths"]["/api/v1/photos/{photo_id}"]["get"]
    assert "image/jpeg" in photo["responses"]["200"]["content"]


def test_availability_parameters_are_required_and_codes_are_enums(document):
    parameters = {
        p["name"]: p for p in document["paths"]["/api/v1/availability"]["get"]["parameters"]
    }
    assert all(parameters[name]["required"] for name in ("treatment", "from", "to"))
    assert "face-revitalise" in parameters["treatment"]["schema"]["enum"]
    assert parameters["from"]["schema"]["format"] == "date"
    assert parameters["limit"]["schema"]["anyOf"][0]["maximum"] == 5000


def test_ids_in_paths_carry_their_pattern(document):
    parameters = document["paths"]["/api/v1/clients/{client_id}"]["get"]["parameters"]
    assert parameters[0]["schema"]["pattern"] == "^[0-9]{1,18}$"


def test_body_codes_and_fixed_sets_are_enums(document):
    schemas = document["components"]["schemas"]
    appointment = schemas["AppointmentIn"]["properties"]
    assert "face-revitalise" in appointment["treatment"]["enum"]
    assert appointment["start"]["format"] == "date-time"
    assert "adverse_event" in schemas["FollowUpIn"]["properties"]["outcome"]["enum"]
    assert schemas["ClientIn"]["additionalProperties"] is False


def test_an_unknown_body_field_is_refused(api):
    body = {"given_name": "Ada", "family_name": "L", "birth_date": "1985-12-10", "nmae": "x"}
    response = api.post("/clients", body)
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "invalid_input"
