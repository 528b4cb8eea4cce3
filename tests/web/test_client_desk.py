"""Reception registers, edits and archives clients; an administrator merges duplicates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tests.web.staff import staff_login

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people import services
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment


@pytest.fixture
def desk(demo):
    return staff_login("reception")


NEW = {
    "given_name": "Priya",
    "family_name": "Shah",
    "birth_date": "1988-03-14",
    "sex": "female",
    "email": "Priya.Shah@Example.com",
    "phone": "07700 900777",
}


def test_reception_registers_a_phoned_in_client(desk):
    assert b"New client" in desk.get("/clients/").content

    response = desk.post("/clients/new/", NEW)

    client = Client.objects.get(family_name="Shah")
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client.pk}/"
    assert client.email == "priya.shah@example.com"
    assert AuditEntry.objects.filter(action="client.create", client_id=client.pk).exists()


def test_a_likely_duplicate_is_offered_before_a_second_record_is_made(desk):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    again = {**NEW, "given_name": "Amy", "family_name": "Hart", "email": amelia.email}

    response = desk.post("/clients/new/", again)

    body = response.content.decode()
    assert response.status_code == 409
    assert "This looks like a client we already have" in body
    assert f'href="/clients/{amelia.pk}/"' in body
    assert Client.objects.filter(email=amelia.email).count() == 1

    # a different person after all: reception says so and saves again
    response = desk.post("/clients/new/", {**again, "not_a_duplicate": "on"})
    assert response.status_code == 302
    assert Client.objects.filter(email=amelia.email).count() == 2


def test_same_name_and_birth_date_or_same_phone_are_duplicates(desk):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    services.client_update(actor=None, client=amelia, phone="07700 900999")
    by_name = {
        **NEW,
        "given_name": amelia.given_name.upper(),
        "family_name": amelia.family_name,
        "birth_date": amelia.birth_date.isoformat(),
    }
    by_phone = {**NEW, "phone": "+44 7700 900999"}
    assert desk.post("/clients/new/", by_name).status_code == 409
    assert desk.post("/clients/new/", by_phone).status_code == 409


def test_bad_details_are_refused_with_the_field_named_and_nothing_saved(desk):
    before = Client.objects.count()
    response = desk.post(
        "/clients/new/", {**NEW, "email": "not-an-email", "birth_date": "2999-01-01"}
    )
    assert response.status_code == 400
    assert b"Please correct the highlighted details." in response.content
    assert Client.objects.count() == before


def test_reception_edits_a_client_and_the_form_opens_filled_in(desk):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    page = desk.get(f"/clients/{amelia.pk}/edit/").content.decode()
    assert f'value="{amelia.family_name}"' in page

    response = desk.post(
        f"/clients/{amelia.pk}/edit/",
        {
            "given_name": amelia.given_name,
            "family_name": "Hart-Jones",
            "birth_date": amelia.birth_date.isoformat(),
            "sex": amelia.sex,
            "email": amelia.email,
            "phone": "020 7946 0999",
        },
    )

    amelia.refresh_from_db()
    assert response.status_code == 302
    assert (amelia.family_name, amelia.phone) == ("Hart-Jones", "020 7946 0999")
    entry = AuditEntry.objects.filter(action="client.update", client_id=amelia.pk).latest("at")
    assert entry.data["fields"] == ["family_name", "phone"]


def test_archiving_asks_first_then_hides_the_client_from_search(desk):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    confirm = desk.get(f"/clients/{amelia.pk}/archive/")
    assert b"Nothing is deleted" in confirm.content
    amelia.refresh_from_db()
    assert amelia.archived_at is None

    desk.post(f"/clients/{amelia.pk}/archive/")

    assert b"Hart, Amelia" not in desk.get("/clients/", {"q": "hart"}).content
    assert b"Hart, Amelia" in desk.get("/clients/", {"q": "hart", "archived": "1"}).content
    desk.post(f"/clients/{amelia.pk}/archive/")  # restore
    assert b"Hart, Amelia" in desk.get("/clients/", {"q": "hart"}).content


def test_only_an_administrator_merges_and_every_link_moves(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    copy = services.client_create(
        actor=None,
        given_name=amelia.given_name,
        family_name=amelia.family_name,
        birth_date=amelia.birth_date,
    )
    moved = list(Appointment.objects.filter(client=amelia).values_list("pk", flat=True))
    Appointment.objects.filter(pk__in=moved).update(client=copy)
    assert staff_login("reception").get(f"/clients/{amelia.pk}/merge/").status_code == 403

    response = staff_login("admin").post(f"/clients/{amelia.pk}/merge/", {"duplicate": copy.pk})

    copy.refresh_from_db()
    assert response.status_code == 302
    assert set(Appointment.objects.filter(pk__in=moved).values_list("client", flat=True)) <= {
        amelia.pk
    }
    assert copy.archived_at is not None
    assert AuditEntry.objects.filter(action="client.merge", client_id=amelia.pk).exists()


def test_patch_changes_only_the_fields_given(api_as):
    api = api_as("reception")
    amelia = Client.objects.get(email="amelia.hart@example.com")
    response = api.http.patch(
        f"/api/v1/clients/{amelia.pk}",
        json.dumps({"phone": "07700 900321"}),
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "07700 900321"
    assert response.json()["family_name"] == amelia.family_name


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "not-an-email"}, 400, "invalid_input"),  # refused by the schema at the edge
        (
            # well-formed, refused by a rule
            {"birth_date": (clock.today() + dt.timedelta(days=3)).isoformat()},
            422,
            "invalid_birth_date",
        ),
        ({"given_name": None}, 400, "invalid_input"),
    ],
)
def test_patch_refuses_bad_details_and_saves_nothing(api_as, body, status, code):
    api = api_as("reception")
    amelia = Client.objects.get(email="amelia.hart@example.com")
    response = api.http.patch(
        f"/api/v1/clients/{amelia.pk}",
        json.dumps({"family_name": "Changed", **body}),
        content_type="application/json",
        headers=api.headers,
    )
    amelia.refresh_from_db()
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert amelia.family_name != "Changed"
