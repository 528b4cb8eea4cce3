"""The waiting list (issue 16, api-contract.md "Owner's view"): offers of free starts as
holds, oldest entry first; expired and declined offers pass on; accepting books."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client as Browser

from mesoclinic.catalogue.models import Treatment
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment, HoldStatus, SlotHold, WaitlistEntry

from .conftest import NOW, london

NINE = london("2027-03-01", "09:00")


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _client(email: str) -> Client:
    return Client.objects.get(email=email)


def _amelia() -> Client:
    return _client("amelia.hart@example.com")


def _freya() -> Client:
    return _client("freya.adeyemi@example.com")


def _book_nine(client: Client) -> Appointment:
    return services.appointment_book(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=NINE,
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )


def _join(api, client: Client, **body):
    body = {
        "client": client.pk,
        "treatment": "face-revitalise",
        "from": NINE.isoformat(),
        "to": (NINE + dt.timedelta(minutes=10)).isoformat(),
        "practitioner": "dr-patel",
    } | body
    return api.post("/waitlist", body)


def _later(monkeypatch, minutes: int) -> None:
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW + dt.timedelta(minutes=minutes))


def test_joining_when_a_start_is_free_offers_it_at_once_as_a_hold(api):
    # when
    response = _join(api, _freya())
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "offered"
    assert (body["from"], body["to"]) == (
        "2027-03-01T09:00:00+00:00",
        "2027-03-01T09:10:00+00:00",
    )
    assert body["offer"] == {
        "start": "2027-03-01T09:00:00+00:00",
        "treatment_start": "2027-03-01T09:30:00+00:00",
        "end": "2027-03-01T10:00:00+00:00",
        "practitioner": "dr-patel",
        "room": "room-1",
        "device": None,
        "expires_at": "2027-02-01T09:00:00+00:00",
    }
    # and nobody else can book that start meanwhile
    refused = api.post(
        "/appointments",
        {
            "client": _amelia().pk,
            "treatment": "face-revitalise",
            "start": NINE.isoformat(),
            "practitioner": "dr-patel",
        },
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "slot_unavailable"
    assert api.get(f"/waitlist/{body['id']}").json()["status"] == "offered"


def test_a_cancellation_is_offered_to_the_waiting_client_with_links(api):
    # given: 09:00 is booked, Freya waits for it
    booked = _book_nine(_amelia())
    body = _join(api, _freya()).json()
    assert (body["status"], body["offer"]) == ("waiting", None)
    # when: Amelia cancels and the worker's matching runs
    services.appointment_cancel(actor=None, appointment=booked)
    assert services.waitlist_match() == 1
    # then
    offered = api.get(f"/waitlist/{body['id']}").json()
    assert offered["status"] == "offered"
    assert offered["offer"]["start"] == "2027-03-01T09:00:00+00:00"
    run_pending()
    email = next(m for m in mail.outbox if "waiting list" in m.body)
    assert email.to == ["freya.adeyemi@example.com"]
    assert re.search(r"https?://\S+/waitlist/offer/\S+/accept/", email.body)
    assert re.search(r"https?://\S+/waitlist/offer/\S+/decline/", email.body)


def test_the_oldest_waiting_entry_gets_the_freed_start(api):
    booked = _book_nine(_amelia())
    first = _join(api, _freya()).json()
    others = Client.objects.exclude(pk__in=[_freya().pk, _amelia().pk]).order_by("pk")
    second = _join(api, others[0]).json()
    assert (first["status"], second["status"]) == ("waiting", "waiting")
    services.appointment_cancel(actor=None, appointment=booked)
    # when
    services.waitlist_match()
    # then
    assert api.get(f"/waitlist/{first['id']}").json()["status"] == "offered"
    assert api.get(f"/waitlist/{second['id']}").json()["status"] == "waiting"


def test_an_expired_offer_passes_to_the_next_entry(api, monkeypatch):
    # given: two clients wait for 09:00; the first is offered it
    booked = _book_nine(_amelia())
    first = _join(api, _freya()).json()
    others = Client.objects.exclude(pk__in=[_freya().pk, _amelia().pk]).order_by("pk")
    second = _join(api, others[0]).json()
    services.appointment_cancel(actor=None, appointment=booked)
    services.waitlist_match()
    # when: the offer runs out unanswered
    _later(monkeypatch, 61)
    services.waitlist_match()
    # then
    assert api.get(f"/waitlist/{first['id']}").json()["status"] == "waiting"
    passed_on = api.get(f"/waitlist/{second['id']}").json()
    assert passed_on["status"] == "offered"
    assert passed_on["offer"]["start"] == "2027-03-01T09:00:00+00:00"


def test_a_declined_offer_passes_to_the_next_entry(api):
    first = _join(api, _freya()).json()
    others = Client.objects.exclude(pk__in=[_freya().pk, _amelia().pk]).order_by("pk")
    second = _join(api, others[0]).json()
    assert second["status"] == "waiting"
    # when
    services.waitlist_decline(actor=None, entry=WaitlistEntry.objects.get(pk=first["id"]))
    # then
    assert api.get(f"/waitlist/{first['id']}").json()["status"] == "waiting"
    assert api.get(f"/waitlist/{second['id']}").json()["status"] == "offered"


def test_accepting_an_offer_books_the_appointment(api):
    entry = _join(api, _freya()).json()
    # when
    response = api.post(f"/waitlist/{entry['id']}/accept")
    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["start"]) == ("booked", "2027-03-01T09:00:00+00:00")
    assert body["client"] == str(_freya().pk)
    after = api.get(f"/waitlist/{entry['id']}").json()
    assert (after["status"], after["appointment"]) == ("accepted", body["id"])
    again = api.post(f"/waitlist/{entry['id']}/accept")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "waitlist_not_offered"


def test_accepting_a_waiting_entry_is_a_409(api):
    _book_nine(_amelia())
    entry = _join(api, _freya()).json()
    response = api.post(f"/waitlist/{entry['id']}/accept")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "waitlist_not_offered"


@pytest.mark.parametrize(
    ("window", "code"),
    [
        (("2027-01-20T09:00:00+00:00", "2027-01-25T09:00:00+00:00"), "waitlist_window_past"),
        (("2027-03-01T09:00:00+00:00", "2027-06-01T09:00:00+00:00"), "waitlist_window_too_long"),
        (("2027-03-02T09:00:00+00:00", "2027-03-01T09:00:00+00:00"), "invalid_range"),
        (("2027-03-01T09:00:00", "2027-03-02T09:00:00"), "naive_datetime"),
        (("soon", "2027-03-02T09:00:00+00:00"), "invalid_input"),
    ],
)
def test_a_bad_window_is_a_400(api, window, code):
    response = _join(api, _freya(), **{"from": window[0], "to": window[1]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert WaitlistEntry.objects.count() == 0


def test_the_maximum_window_is_configurable(api, settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "WAITLIST_MAX_DAYS": 5}
    response = _join(api, _freya(), to="2027-03-07T09:00:00+00:00")
    assert response.status_code == 400
    assert "at most 5 days" in response.json()["error"]["message"]


def test_an_unknown_entry_is_a_404(api):
    response = api.get("/waitlist/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "waitlist_not_found"


def test_the_client_accepts_through_the_emailed_link(api):
    entry = _join(api, _freya()).json()
    run_pending()
    email = next(m for m in mail.outbox if "waiting list" in m.body)
    link = re.search(r"https?://[^/\s]+(/waitlist/offer/\S+/)accept/", email.body).group(1)
    browser = Browser()
    # when
    page = browser.get(f"{link}accept/")
    assert page.status_code == 200
    assert "We're holding this time for you until 09:00" in page.content.decode().replace(
        "&#x27;", "'"
    )
    done = browser.post(f"{link}accept/")
    # then
    assert "You're booked in" in done.content.decode().replace("&#x27;", "'")
    assert WaitlistEntry.objects.get(pk=entry["id"]).status == "accepted"
    assert Appointment.objects.filter(client=_freya(), start=NINE).exists()
    assert browser.get(f"{link}accept/").status_code == 400


def test_the_client_declines_through_the_emailed_link(api):
    entry = _join(api, _freya()).json()
    run_pending()
    email = next(m for m in mail.outbox if "waiting list" in m.body)
    link = re.search(r"https?://[^/\s]+(/waitlist/offer/\S+/)decline/", email.body).group(1)
    page = Browser().post(f"{link}decline/")
    assert "we've passed this time on" in page.content.decode().replace("&#x27;", "'")
    stored = WaitlistEntry.objects.get(pk=entry["id"])
    assert stored.status == "waiting"
    assert stored.passed_starts == [NINE.isoformat()]


def test_the_worker_that_serve_starts_runs_the_matching():
    from mesoclinic.messaging.tasks import WAITLIST_MATCH_SECONDS, periodic_jobs
    from mesoclinic.scheduling.services.waitlist import waitlist_match

    assert (WAITLIST_MATCH_SECONDS, waitlist_match) in periodic_jobs()


def test_cancelling_an_entry_lets_its_offer_go(api):
    entry = _join(api, _freya()).json()
    services.waitlist_cancel(actor=None, entry=WaitlistEntry.objects.get(pk=entry["id"]))
    stored = WaitlistEntry.objects.get(pk=entry["id"])
    assert stored.status == "cancelled"
    assert stored.hold.status == HoldStatus.RELEASED


def _staff(username: str = "reception") -> Browser:
    browser = Browser()
    assert browser.login(username=username, password="mesoclinic-demo")
    return browser


def test_the_staff_page_lists_waiting_and_offered_clients_oldest_first(api):
    _book_nine(_amelia())
    others = Client.objects.exclude(pk__in=[_freya().pk, _amelia().pk]).order_by("pk")
    _join(api, others[0], practitioner=None, to="2027-03-01T12:00:00+00:00")
    _join(api, _freya())
    # when
    page = _staff().get("/waitlist/")
    # then
    body = page.content.decode()
    assert page.status_code == 200
    assert body.index(str(others[0])) < body.index(str(_freya()))
    assert "Offered Mon 1 Mar 09:00 with" in body
    assert "held until 09:00" in body
    freya_row = body[body.index(str(_freya())) :]
    assert "<td>Waiting</td>" in freya_row[: freya_row.index("</tr>")]


def test_the_front_desk_books_an_offer_for_a_client_who_phoned(api):
    entry = _join(api, _freya()).json()
    response = _staff().post(f"/waitlist/{entry['id']}/accept/")
    assert response.status_code == 302
    assert WaitlistEntry.objects.get(pk=entry["id"]).status == "accepted"
    assert Appointment.objects.filter(client=_freya(), start=NINE).exists()


def test_the_front_desk_removes_an_entry_and_its_offer_goes(api):
    entry = _join(api, _freya()).json()
    response = _staff().post(f"/waitlist/{entry['id']}/remove/")
    assert response.status_code == 302
    stored = WaitlistEntry.objects.get(pk=entry["id"])
    assert stored.status == "cancelled"
    assert stored.hold.status == HoldStatus.RELEASED
    page = _staff().get("/waitlist/").content.decode()
    assert "Nobody is waiting" in page


def test_the_staff_page_offers_free_times_now(api):
    booked = _book_nine(_amelia())
    entry = _join(api, _freya()).json()
    services.appointment_cancel(actor=None, appointment=booked)
    response = _staff().post("/waitlist/offer-now/", follow=True)
    assert "1 new offer made." in response.content.decode()
    assert WaitlistEntry.objects.get(pk=entry["id"]).status == "offered"


@pytest.mark.parametrize("made_up", ["³", "1e3", "99999999999999999999999"])
def test_a_made_up_entry_id_is_a_404_not_a_500(api, made_up):
    assert api.get(f"/waitlist/{made_up}").status_code == 404
    assert api.post(f"/waitlist/{made_up}/accept").status_code == 404


def test_a_client_already_waiting_for_the_treatment_is_a_409_and_holds_nothing_more(api):
    first = _join(api, _freya()).json()
    holds = SlotHold.objects.count()
    # when: the same client asks again, for a wider window
    again = _join(api, _freya(), to=(NINE + dt.timedelta(hours=8)).isoformat())
    # then
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "waitlist_already_waiting"
    assert again.json()["error"]["details"] == {"entry": first["id"]}
    assert WaitlistEntry.objects.filter(client=_freya()).count() == 1
    assert SlotHold.objects.count() == holds


def test_a_client_may_wait_again_once_their_entry_is_closed(api):
    first = _join(api, _freya()).json()
    services.waitlist_cancel(actor=None, entry=WaitlistEntry.objects.get(pk=first["id"]))
    # when
    again = _join(api, _freya())
    # then
    assert again.status_code == 201
