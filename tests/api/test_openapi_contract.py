"""The OpenAPI document tells the truth (issue 13, item 2)."""

from __future__ import annotations

import json
import re

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


def test_operation_ids_name_the_domain_and_the_handler(document):
    # given a domain whose routers live in a package (api/scheduling/)
    operations = {(method, path): op for method, path, op in _operations(document)}
    # then its operation ids stay those of one module per domain
    assert operations["get", "/api/v1/availability"]["operationId"] == (
        "mesoclinic_api_scheduling_availability"
    )
    assert operations["post", "/api/v1/courses/{course_id}/replan"]["operationId"] == (
        "mesoclinic_api_scheduling_course_replan"
    )
    assert operations["get", "/api/v1/clients"]["operationId"] == (
        "mesoclinic_api_clients_client_search"
    )
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))


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
    assert any(
        re.fullmatch(option.get("pattern", "$^"), "2027-03-05")
        for option in parameters["from"]["schema"].get("anyOf", [parameters["from"]["schema"]])
    )
    assert parameters["limit"]["schema"]["anyOf"][0]["maximum"] == 5000


def test_ids_in_paths_carry_their_pattern(document):
    parameters = document["paths"]["/api/v1/clients/{client_id}"]["get"]["parameters"]
    assert parameters[0]["schema"]["pattern"] == "^[0-9]{1,18}$"


def test_body_codes_and_fixed_sets_are_enums(document):
    schemas = document["components"]["schemas"]
    appointment = schemas["AppointmentIn"]["properties"]
    assert "face-revitalise" in appointment["treatment"]["enum"]
    assert re.fullmatch(appointment["start"]["pattern"], "2027-03-05T10:00:00+00:00")
    assert "adverse_event" in schemas["FollowUpIn"]["properties"]["outcome"]["enum"]
    assert schemas["ClientIn"]["additionalProperties"] is False


def test_an_unknown_body_field_is_refused(api):
    body = {"given_name": "Ada", "family_name": "L", "birth_date": "1985-12-10", "nmae": "x"}
    response = api.post("/clients", body)
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1900-01-01", True),
        ("2100-12-31", True),
        ("2024-02-29", True),
        ("2000-02-29", True),
        ("1900-02-29", False),
        ("2100-02-29", False),
        ("2027-02-30", False),
        ("2027-04-31", False),
        ("1899-12-31", False),
        ("2101-01-01", False),
        ("0878-07-13", False),
        ("20270305", False),
    ],
)
def test_a_date_pattern_accepts_exactly_the_days_the_edge_accepts(document, text, valid):
    pattern = document["components"]["schemas"]["BatchIn"]["properties"]["expires_on"]["pattern"]
    assert bool(re.fullmatch(pattern, text)) is valid
    assert "format" not in document["components"]["schemas"]["BatchIn"]["properties"]["expires_on"]


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2027-03-05T10:00:00+00:00", True),
        ("2027-03-05T10:00:00.5Z", True),
        ("2027-03-05T10:00:00-14:00", True),
        ("0514-02-20T04:50:33+00:00", False),
        ("2027-03-05T10:00:00+16:38", False),
        ("2027-03-05T10:00:00", False),
    ],
)
def test_a_date_time_pattern_needs_an_offset_within_14_hours(document, text, valid):
    pattern = document["components"]["schemas"]["AbsenceIn"]["properties"]["starts_at"]["pattern"]
    assert bool(re.fullmatch(pattern, text)) is valid


def test_rule_fields_say_what_the_server_takes(document):
    schemas = document["components"]["schemas"]
    questionnaire = schemas["QuestionnaireIn"]["properties"]
    assert "keloid_history" in questionnaire["conditions"]["items"]["enum"]
    override = schemas["OverrideIn"]
    assert "anticoagulants" in override["properties"]["code"]["enum"]
    assert "under_18" not in override["properties"]["code"]["enum"]
    assert "justification" in override["required"]
    consent = schemas["ConsentIn"]
    assert consent["properties"]["accepted"]["enum"] == [True]
    assert {"accepted", "signed_name"} <= set(consent["required"])
    assert "glogau" in schemas["AssessmentIn"]["properties"]["scale"]["enum"]


def test_a_partial_update_takes_no_nulls(document):
    for field in document["components"]["schemas"]["ClientPatch"]["properties"].values():
        assert "anyOf" not in field
        assert field.get("type") != "null"


def test_decimals_are_numbers_on_their_grid(document):
    volume = document["components"]["schemas"]["ProductIn"]["properties"]["volume_ml"]
    assert volume["anyOf"] == [
        {"maximum": 1000.0, "minimum": 0.0, "type": "number", "multipleOf": 0.01}
    ]


def test_a_room_code_is_an_enum_and_may_be_left_empty_in_a_query(document):
    room = document["components"]["schemas"]["AppointmentIn"]["properties"]["room"]
    assert room["anyOf"][0]["enum"]
    parameters = {
        p["name"]: p for p in document["paths"]["/api/v1/availability"]["get"]["parameters"]
    }
    options = parameters["site"]["schema"]["anyOf"]
    assert {"type": "string", "maxLength": 0} in options
