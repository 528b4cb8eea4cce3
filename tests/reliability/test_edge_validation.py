"""Validation at the edge (issue 13, item 1): each input that gave a 500 or was stored
unchecked is now a 4xx: the envelope under /api/v1/, a plain page elsewhere."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from mesoclinic.core import validation
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.models import Client

pytestmark = pytest.mark.django_db

GOOD_CLIENT = {"given_name": "Ada", "family_name": "Lovelace", "birth_date": "1985-12-10"}


def _envelope(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)["error"]


@pytest.fixture
def staff(demo):
    browser = HttpClient(raise_request_exception=False)
    browser.force_login(get_user_model().objects.get(username="dr-patel"))
    return browser


# --- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["³", "²", "٣", "", "-1", "1.0", "9" * 19, " 1", "1\n"])
def test_an_id_is_one_to_eighteen_ascii_digits(text):
    assert not validation.is_id(text)
    with pytest.raises(InvalidInput):
        validation.parse_id(text)


def test_a_good_id_parses():
    assert validation.parse_id("9" * 18) == int("9" * 18)


@pytest.mark.parametrize("text", ["A\x05", "A\x00B", "\ud800", "A\x7f", "A\x85"])
def test_text_refuses_control_characters_and_lone_surrogates(text):
    assert validation.text_problem(text)
    assert validation.text_problem(text, multiline=True)


def test_tab_and_newline_only_in_multiline_text():
    assert validation.text_problem("a\tb\nc")
    assert validation.text_problem("a\tb\r\nc", multiline=True) is None


@pytest.mark.parametrize("phone", ["07700 900123", "+44 20 7946 0018", "+33 1 42 68 53 00"])
def test_valid_phone_numbers_pass(phone):
    assert validation.check_phone(phone) == phone


@pytest.mark.parametrize("phone", ["12", "not a phone", "0770090012345678"])
def test_invalid_phone_numbers_are_refused(phone):
    with pytest.raises(InvalidInput):
        validation.check_phone(phone)


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(1, 1, 1), False),
        (dt.date(1899, 12, 31), False),
        (dt.date(1900, 1, 1), True),
        (dt.date(2100, 12, 31), True),
        (dt.date(9999, 12, 31), False),
    ],
)
def test_dates_are_bounded_to_1900_2100(day, ok):
    assert (validation.date_problem(day) is None) == ok


def test_offsets_beyond_fourteen_hours_are_refused():
    with pytest.raises(InvalidInput):
        validation.parse_datetime("2027-01-01T10:00:00+23:59")
    assert validation.parse_datetime("2027-01-01T10:00:00+14:00").year == 2027


def test_ranges_span_at_most_two_years():
    validation.check_range(dt.date(2027, 1, 1), dt.date(2028, 12, 31))
    with pytest.raises(InvalidInput):
        validation.check_range(dt.date(2027, 1, 1), dt.date(2030, 1, 1))


# --- POST /clients ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"given_name": "A\u0005"},
        {"family_name": "B\u0000C"},
        {"given_name": "\ud800"},
        {"email": "not-an-email"},
        {"phone": "12"},
        {"birth_date": 0},
        {"birth_date": "0001-01-01"},
    ],
)
def test_post_clients_refuses_bad_fields(api, change):
    before = Client.objects.count()
    body = json.dumps({**GOOD_CLIENT, **change})
    response = api.post("/clients", raw=body)
    assert response.status_code == 400, response.content
    assert _envelope(response)["code"] in {"invalid_input", "invalid_birth_date"}
    assert Client.objects.count() == before


def test_post_clients_still_takes_good_input(api):
    body = {**GOOD_CLIENT, "email": "ada@example.com", "phone": "07700 900123"}
    response = api.post("/clients", body)
    assert response.status_code == 201, response.content


# --- the 500s of the issue --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/appointments",
        "/screenings",
        "/courses/plan",
        "/adverse-events",
        "/batches",
    ],
)
def test_a_lone_surrogate_in_a_code_field_is_a_400(api, path):
    raw = '{"treatment": "\\ud800", "client": "1", "practitioner": "\\ud800", "formulation": "\\ud800"}'
    response = api.post(path, raw=raw)
    assert response.status_code == 400
    assert _envelope(response)["code"] == "invalid_input"


@pytest.mark.parametrize(
    "path",
    [
        "/clients/³",
        "/clients/³/records",
        "/clients/³/consents",
        "/appointments/³",
        "/appointments/³.ics",
        "/records/³",
        "/courses/³",
        "/photos/³",
        "/adverse-events/³",
        "/clients/99999999999999999999999",
    ],
)
def test_a_superscript_id_is_not_found(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert _envelope(response)["code"].endswith("not_found")


def test_a_superscript_id_on_fhir_is_not_found(staff):
    assert staff.get("/fhir/r4/Patient/³/$everything").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"treatment": "face-revitalise", "from": "0001-01-01", "to": "0001-01-10"},
        {"treatment": "face-revitalise", "from": "2027-01-01", "to": "9999-12-31"},
    ],
)
def test_availability_far_dates_are_a_400(api, query):
    response = api.get("/availability", **query)
    assert response.status_code == 400


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}])
def test_calendar_feed_far_dates_are_a_400(api, query):
    code = __import__("mesoclinic.people.models", fromlist=["Practitioner"]).Practitioner
    practitioner = code.objects.order_by("pk").first().code
    response = api.get(f"/practitioners/{practitioner}/calendar.ics", **query)
    assert response.status_code == 400
    assert _envelope(response)["code"] == "invalid_range"


def test_follow_ups_due_by_far_date_is_a_400(api):
    assert api.get("/follow-ups", due_by="9999-12-31").status_code == 400


def test_a_start_in_year_9999_is_a_400(api):
    body = {"client": "1", "treatment": "face-revitalise", "practitioner": "x"}
    response = api.post("/appointments", {**body, "start": "9999-12-31T10:00:00+00:00"})
    assert response.status_code == 400


def test_a_multipart_upload_without_boundary_is_a_400(api):
    response = api.http.post(
        "/api/v1/assessments/1/photos",
        b"--x\r\n",
        content_type="multipart/form-data",
        headers=api.headers,
    )
    assert response.status_code == 400
    assert _envelope(response)["code"] == "invalid_input"


def test_a_page_form_without_boundary_is_a_plain_400(staff):
    response = staff.post("/clients/", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_booking_site_is_a_404_page(demo):
    response = HttpClient(raise_request_exception=False).get("/book/?site=unknown")
    assert response.status_code == 404


def test_a_control_character_in_a_query_is_a_plain_400(staff):
    response = staff.get("/recall/?lot=A%0AB&format=csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_control_character_in_an_api_query_is_the_envelope(api):
    response = api.get("/clients", search="A\u0000B")
    assert response.status_code == 400
    assert _envelope(response)["code"] == "invalid_input"


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "³"])
def test_the_staff_calendar_takes_a_far_date_as_today(staff, date):
    assert staff.get(f"/calendar/?date={date}").status_code == 200


def test_a_second_factor_page_with_a_bare_word_as_next_is_not_a_500(staff):
    assert staff.get("/login/code/?next=-1").status_code < 500
