"""The front desk puts a client who phoned on the waiting list (/waitlist/add/): the same
service as ``POST /api/v1/waitlist``, its refusals shown next to the field they name."""

from __future__ import annotations

import pytest
from django.test import Client as Browser

from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import WaitlistEntry


@pytest.fixture
def reception(demo) -> Browser:
    browser = Browser()
    assert browser.login(username="reception", password="mesoclinic-demo")
    return browser


def _freya() -> Client:
    return Client.objects.get(email="freya.adeyemi@example.com")


def _form(**fields: str) -> dict[str, str]:
    return {
        "action": "add",
        "client": str(_freya().pk),
        "treatment": "face-revitalise",
        "site": "london",
        "window_start": "2027-03-01T09:00",
        "window_end": "2027-03-01T12:00",
        "practitioner": "dr-patel",
    } | fields


def test_reception_adds_a_client_who_is_offered_a_free_start_at_once(reception):
    # when
    response = reception.post("/waitlist/add/", _form(), follow=True)
    # then
    assert response.redirect_chain == [("/waitlist/", 302)]
    entry = WaitlistEntry.objects.get(client=_freya())
    assert entry.status == "offered"
    assert entry.hold is not None
    assert entry.hold.practitioner.code == "dr-patel"
    assert entry.window_start.isoformat() == "2027-03-01T09:00:00+00:00"  # London wall clock
    page = response.content.decode()
    assert "is on the waiting list. A free time was found and offered at once." in page
    assert AuditEntry.objects.filter(action="waitlist.join", object_id=str(entry.pk)).exists()


def test_the_window_is_read_in_the_sites_wall_clock_in_summer_time(reception):
    reception.post(
        "/waitlist/add/", _form(window_start="2027-06-01T09:00", window_end="2027-06-01T12:00")
    )
    entry = WaitlistEntry.objects.get(client=_freya())
    assert entry.window_start.isoformat() == "2027-06-01T08:00:00+00:00"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        (
            {"window_end": "2027-01-20T12:00", "window_start": "2027-01-20T09:00"},
            400,
            "That window is already over",
        ),
        ({"window_end": "2027-03-01T08:00"}, 400, "The window must end after it starts."),
        ({"window_end": "2027-09-01T08:00"}, 400, "A waiting-list window may span at most"),
        ({"window_start": "next tuesday"}, 400, "Enter a valid date/time."),
        ({"client": ""}, 400, "Choose the client: search by name, email or phone."),
        ({"treatment": "no-such-thing"}, 400, "Select a valid choice."),
    ],
)
def test_a_refused_window_is_shown_next_to_its_field_and_nothing_is_added(
    reception, fields, status, message
):
    response = reception.post("/waitlist/add/", _form(**fields))
    assert response.status_code == status
    page = response.content.decode()
    assert "Not added to the waiting list." in page
    assert message in page
    assert not WaitlistEntry.objects.exists()


def test_a_client_already_waiting_is_a_409_with_the_reason(reception):
    reception.post("/waitlist/add/", _form())
    # when
    again = reception.post("/waitlist/add/", _form(window_start="2027-03-01T10:00"))
    # then
    assert again.status_code == 409
    assert "is already on the waiting list for" in again.content.decode()
    assert WaitlistEntry.objects.filter(client=_freya()).count() == 1


def test_the_client_page_link_preselects_the_client(reception):
    page = reception.get(f"/waitlist/add/?client={_freya().pk}&site=london").content.decode()
    assert f'value="{_freya().pk}" checked' in page
    assert "Freya Adeyemi" in page


def test_searching_lists_matching_clients_without_adding_anyone(reception):
    response = reception.post("/waitlist/add/", {"action": "search", "q": "Adeyemi"})
    assert response.status_code == 200
    assert "Freya Adeyemi" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_a_client_of_the_portal_cannot_open_the_form(demo):
    stranger = Browser()
    response = stranger.get("/waitlist/add/")
    assert response.status_code in (302, 403)
    assert not WaitlistEntry.objects.exists()
