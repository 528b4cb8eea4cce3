import datetime as dt

import pytest

from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client


def test_create_client_returns_201_with_id(api):
    # when
    response = api.post(
        "/clients",
        {
            "given_name": " Jo ",
            "family_name": "Bloggs",
            "birth_date": "1990-05-01",
            "email": "Jo@Example.com",
        },
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["given_name"] == "Jo"
    assert body["email"] == "jo@example.com"
    client = Client.objects.get(pk=int(body["id"]))
    assert client.birth_date == dt.date(1990, 5, 1)
    assert AuditEntry.objects.filter(action="client.create", client_id=client.pk).count() == 1


def test_get_client_by_id_is_audited(api):
    client = Client.objects.get(email="amelia.hart@example.com")
    response = api.get(f"/clients/{client.pk}")
    assert response.status_code == 200
    assert response.json()["family_name"] == "Hart"
    entry = AuditEntry.objects.filter(action="client.view").latest("id")
    assert (entry.actor_label, entry.client_id) == ("dr-patel", client.pk)


def test_search_clients_matches_every_word(api):
    response = api.get("/clients", search="amelia hart")
    assert [c["email"] for c in response.json()] == ["amelia.hart@example.com"]
    assert api.get("/clients", search="nobody-called-this").json() == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"given_name": "A", "family_name": "B", "birth_date": "2999-01-01"}, "invalid_birth_date"),
        ({"given_name": "A", "family_name": "B", "birth_date": "1990-02-30"}, "invalid_input"),
        ({"given_name": "A", "family_name": "B", "birth_date": "yesterday"}, "invalid_input"),
        ({"given_name": "A", "birth_date": "1990-01-01"}, "invalid_input"),
        ({"given_name": "   ", "family_name": "B", "birth_date": "1990-01-01"}, "invalid_input"),
        (
            {"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "sex": "x"},
            "invalid_input",
        ),
    ],
)
def test_bad_client_input_is_400_and_writes_nothing(api, body, code):
    # given
    before = Client.objects.count()
    # when
    response = api.post("/clients", body)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert Client.objects.count() == before


def test_malformed_json_is_400_with_envelope(api):
    response = api.post("/clients", raw="{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("client_id", ["999999", "abc", "-1"])
def test_unknown_client_is_404(api, client_id):
    response = api.get(f"/clients/{client_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "client_not_found"


def test_a_session_without_a_staff_role_is_not_api_authentication(demo):
    from django.contrib.auth import get_user_model
    from django.test import Client as HttpClient

    get_user_model().objects.create_user("visitor", password="x-long-password-1")
    browser = HttpClient()
    browser.login(username="visitor", password="x-long-password-1")
    response = browser.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_busy_database_is_a_503_that_says_nothing_was_saved(api, monkeypatch):
    # given a database that stays locked past its busy timeout
    from django.db import OperationalError

    from mesoclinic.people import services

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "client_create", locked)
    # when
    response = api.post(
        "/clients", {"given_name": "A", "family_name": "B", "birth_date": "1990-01-01"}
    )
    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "database_busy"


def test_a_birth_date_after_today_is_a_rule_refusal(api):
    # given: a well-formed date inside the years the edge accepts, but after today
    from mesoclinic.core import clock

    tomorrow = clock.today() + dt.timedelta(days=1)
    body = {"given_name": "A", "family_name": "B", "birth_date": tomorrow.isoformat()}

    # when
    response = api.post("/clients", body)

    # then: 422 (a 2999 birth date stays a 400: outside 1900-2100)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_birth_date")
    assert not Client.objects.filter(given_name="A", family_name="B").exists()
