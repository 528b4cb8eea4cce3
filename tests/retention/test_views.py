"""The retention screen, its confirmation pages, the staff subject-access copy and the
portal's erasure page: who may use them, and what they do."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient
from tests.web.staff import staff_login

from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.retention.models import ErasureRequest, ErasureStatus, RequestChannel
from mesoclinic.retention.services import erasure_request_create
from mesoclinic.web import retention_views

from .factories import PORTAL_PASSWORD, new_client, portal_account, treated

YEAR = 366
pytestmark = pytest.mark.usefixtures("demo")


def ask(client: Client) -> ErasureRequest:
    return erasure_request_create(actor=None, client=client, channel=RequestChannel.STAFF)


@pytest.mark.parametrize("username", ["reception", "nurse-lewis"])
@pytest.mark.parametrize(
    "url",
    [
        "/retention/",
        "/retention/requests/{request}/",
        "/retention/disposal/{client}/",
        "/clients/{client}/export.json",
        "/clients/{client}/export.pdf",
    ],
)
def test_staff_who_are_not_admins_are_refused(username, url):
    client = new_client()
    request = ask(client)
    browser = staff_login(username)
    page = url.format(request=request.pk, client=client.pk)
    assert browser.get(page).status_code == 403
    assert browser.post(page, {"decision": "carry_out", "confirm": "on"}).status_code == 403
    assert Client.objects.filter(pk=client.pk).exists()


def test_anonymous_visitors_are_sent_to_the_login():
    response = HttpClient().get("/retention/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_retention_screen_lists_waiting_requests_and_due_files():
    # given a waiting request and a contact-only client last seen 3 years ago
    waiting = new_client()
    ask(waiting)
    due = new_client(created_days_ago=3 * YEAR)
    # when
    page = staff_login("admin").get("/retention/")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/retention/requests/{ErasureRequest.objects.get(client=waiting).pk}/" in html
    assert f"/retention/disposal/{due.pk}/" in html
    assert f"/clients/{due.pk}/export.json" in html
    assert f"/clients/{due.pk}/export.pdf" in html
    assert f"/retention/disposal/{waiting.pk}/" not in html


def test_the_disposal_report_is_paginated(monkeypatch):
    monkeypatch.setattr(retention_views, "FILES_PER_PAGE", 2)
    for _ in range(3):
        new_client(created_days_ago=3 * YEAR)
    browser = staff_login("admin")
    first = browser.get("/retention/")
    assert len(first.context["page"].object_list) == 2
    assert first.context["page"].has_next()
    second = browser.get("/retention/?page=2")
    assert second.context["page"].number == 2


def test_a_bad_report_date_is_a_422_with_the_message():
    page = staff_login("admin").get("/retention/?on=not-a-date")
    assert page.status_code == 422
    assert "Enter a valid date." in page.content.decode()


def test_the_decision_page_shows_the_plan_and_needs_the_confirmation_tick():
    # given a treated client's waiting request
    client = new_client()
    treated(client, days=YEAR)
    request = ask(client)
    browser = staff_login("admin")
    url = f"/retention/requests/{request.pk}/"
    # when the page is opened, then it shows what will be kept and until when
    page = browser.get(url)
    assert page.status_code == 200
    assert "NHS Records Management Code" in page.content.decode()
    # when carried out without the tick, then nothing happens
    refused = browser.post(url, {"decision": "carry_out"})
    assert refused.status_code == 422
    assert "Tick to confirm" in refused.content.decode()
    client.refresh_from_db()
    assert client.email != ""
    # when confirmed, then the client is anonymised
    done = browser.post(url, {"decision": "carry_out", "confirm": "on"})
    assert done.status_code == 302
    client.refresh_from_db()
    assert (client.email, client.phone) == ("", "")
    request.refresh_from_db()
    assert (request.status, request.outcome) == ("completed", "anonymised")
    assert request.decided_by.username == "admin"


def test_refusing_from_the_page_needs_a_reason():
    client = new_client()
    request = ask(client)
    browser = staff_login("admin")
    url = f"/retention/requests/{request.pk}/"
    assert browser.post(url, {"decision": "refuse"}).status_code == 422
    assert browser.post(url, {"decision": "refuse", "reason": "Legal hold."}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.refusal_reason) == (ErasureStatus.REFUSED, "Legal hold.")


def test_disposal_asks_first_and_refuses_a_file_still_kept():
    due = new_client(created_days_ago=3 * YEAR)
    kept = new_client()
    treated(kept, days=YEAR)
    browser = staff_login("admin")
    confirm = browser.get(f"/retention/disposal/{due.pk}/")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Client.objects.filter(pk=due.pk).exists()
    assert browser.post(f"/retention/disposal/{due.pk}/").status_code == 302
    assert not Client.objects.filter(pk=due.pk).exists()
    refused = browser.post(f"/retention/disposal/{kept.pk}/")
    assert refused.status_code == 409
    assert "must be kept until" in refused.content.decode()
    assert Client.objects.filter(pk=kept.pk).exists()


def test_an_admin_downloads_a_clients_copy_in_json_and_pdf_audited():
    client = new_client()
    browser = staff_login("admin")
    copy = browser.get(f"/clients/{client.pk}/export.json")
    assert copy.status_code == 200
    assert json.loads(copy.content)["client"]["email"] == client.email
    pdf = browser.get(f"/clients/{client.pk}/export.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    exports = AuditEntry.objects.filter(client_id=client.pk, action="client.export")
    assert sorted(exports.values_list("summary", flat=True)) == [
        "JSON, by staff for subject access",
        "PDF, by staff for subject access",
    ]


def test_a_client_asks_for_erasure_from_their_account_once():
    # given a client signed in to the portal
    client = new_client()
    account = portal_account(client)
    browser = HttpClient()
    assert browser.login(username=account.user.username, password=PORTAL_PASSWORD)
    # when they open the page and send it without the tick
    assert browser.get("/account/erase/").status_code == 200
    assert browser.post("/account/erase/", {}).status_code == 422
    assert not ErasureRequest.objects.filter(client=client).exists()
    # when they confirm (twice)
    assert (
        browser.post("/account/erase/", {"confirm": "on", "note": "Moving abroad"}).status_code
        == 302
    )
    browser.post("/account/erase/", {"confirm": "on"})
    # then one request waits, for their own client record
    request = ErasureRequest.objects.get(client=client)
    assert (request.status, request.channel, request.note) == ("pending", "portal", "Moving abroad")
    assert request.requested_by == account.user
    assert "Your request is with the clinic" in browser.get("/account/erase/").content.decode()


def test_staff_and_visitors_cannot_use_the_portal_erasure_page():
    assert staff_login("admin").get("/account/erase/").status_code == 403
    response = HttpClient().post("/account/erase/", {"confirm": "on"})
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]
    assert not ErasureRequest.objects.exists()


def test_an_admin_records_a_request_made_by_phone():
    client = new_client()
    browser = staff_login("admin")
    missing = browser.post("/retention/requests/new/", {"client_number": 99999999})
    assert missing.status_code == 422
    assert "There is no client 99999999." in missing.content.decode()
    made = browser.post(
        "/retention/requests/new/", {"client_number": client.pk, "note": "By phone, 5 Dec"}
    )
    request = ErasureRequest.objects.get(client=client)
    assert made.status_code == 302
    assert made["Location"] == f"/retention/requests/{request.pk}/"
    assert (request.channel, request.note, request.requested_by.username) == (
        "staff",
        "By phone, 5 Dec",
        "admin",
    )
    assert (
        staff_login("reception")
        .post("/retention/requests/new/", {"client_number": client.pk})
        .status_code
        == 403
    )


def test_a_decided_request_shows_what_was_done_and_no_form():
    client = new_client()
    request = ask(client)
    browser = staff_login("admin")
    url = f"/retention/requests/{request.pk}/"
    browser.post(url, {"decision": "carry_out", "confirm": "on"})
    page = browser.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"client {client.pk} (deleted)" in html
    assert "What was done" in html
    assert "Record the decision" not in html
    assert "Client deleted" in browser.get("/retention/").content.decode()


def test_erasure_requests_are_read_only_in_django_admin():
    client = new_client()
    request = ask(client)
    browser = staff_login("admin")
    page = browser.get(f"/admin/retention/erasurerequest/{request.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        browser.post(
            f"/admin/retention/erasurerequest/{request.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert ErasureRequest.objects.filter(pk=request.pk).exists()
    assert AuditEntry.objects.filter(action="admin.view", client_id=client.pk).exists()
