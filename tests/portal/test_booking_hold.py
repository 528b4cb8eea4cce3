"""A visitor's chosen time is held while they confirm their email (issue 15, item 3):
nobody else can book it, the emailed link lasts no longer than the hold, confirming books
it, and a hold that runs out frees the time."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core import mail
from django.test import Client as Browser

from mesoclinic.core import clock
from mesoclinic.portal.models import PendingBooking, PortalLink, SignupRequest
from mesoclinic.scheduling.models import Appointment, HoldStatus, SlotHold

from .conftest import complete_signup, next_weekday, verification_link

ANSWERS = {
    "birth_date": "1990-05-17",
    "pregnant": "no",
    "breastfeeding": "no",
    "allergies": "",
    "medications": "",
}
SATURDAY = 5
"""Only one practitioner gives face treatments on Saturdays in the demo."""


def _times(browser: Browser, day: dt.date) -> list[str]:
    browser.post("/book/face-revitalise/", ANSWERS)
    body = browser.get("/book/face-revitalise/times/", {"day": day.isoformat()}).content.decode()
    return [part.split('"')[0] for part in body.split('name="start" value="')[1:]]


def _choose(browser: Browser, start: str) -> None:
    response = browser.post("/book/face-revitalise/times/", {"start": start})
    assert response["Location"] == "/book/face-revitalise/details/"


def _details(browser: Browser, email: str, capture):
    with capture(execute=True):
        return browser.post(
            "/book/face-revitalise/details/",
            {
                "given_name": "Nadia",
                "family_name": "Brook",
                "email": email,
                "phone": "",
                "policy": "on",
            },
        )


def _later(monkeypatch, minutes: int) -> None:
    moment = clock.now() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: moment)


@pytest.fixture
def held(demo, django_capture_on_commit_callbacks):
    """Visitor A chose the first Saturday time and asked to book it: ``(browser, start)``."""
    browser = Browser()
    start = _times(browser, next_weekday(SATURDAY))[0]
    _choose(browser, start)
    response = _details(browser, "nadia.brook@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302, response.content.decode()[:400]
    return browser, start


def test_the_details_page_says_how_long_the_time_will_be_held(demo):
    browser = Browser()
    _choose(browser, _times(browser, next_weekday(SATURDAY))[0])
    body = html.unescape(browser.get("/book/face-revitalise/details/").content.decode())
    assert (
        "we hold this time for you for <strong>15 minutes</strong> while you confirm by email"
        in body
    )


def test_asking_to_book_holds_the_time_and_says_for_how_long(held):
    browser, start = held
    # then: a hold blocks the slot for 15 minutes, the link dies with it
    hold = SlotHold.objects.get()
    assert (hold.status, hold.start) == (HoldStatus.HELD, dt.datetime.fromisoformat(start))
    assert hold.expires_at - hold.created_at == dt.timedelta(minutes=15)
    pending = PendingBooking.objects.get()
    assert pending.hold == hold
    assert PortalLink.objects.get(purpose="verify").expires_at == hold.expires_at
    page = html.unescape(browser.get("/book/check-email/").content.decode())
    local = hold.start.astimezone(hold.site.tzinfo)
    assert (
        f"We're holding {local:%A} {local.day} {local:%B} at {local:%H:%M} for you for 15 minutes."
        in page
    )
    assert "Open the link within 15 minutes to confirm your booking" in page
    verification_link()
    assert "The link works once, for 15 minutes." in mail.outbox[-1].body


def test_the_emailed_link_uses_the_public_address(
    demo, settings, django_capture_on_commit_callbacks
):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "PUBLIC_BASE_URL": "https://book.clinic.example"}
    browser = Browser()
    _choose(browser, _times(browser, next_weekday(SATURDAY))[0])
    _details(browser, "nadia.brook@example.com", django_capture_on_commit_callbacks)
    verification_link()
    assert "https://book.clinic.example/account/verify/" in mail.outbox[-1].body
    assert "127.0.0.1" not in mail.outbox[-1].body


def test_a_second_visitor_does_not_see_a_held_time(held):
    _, start = held
    assert start not in _times(Browser(), next_weekday(SATURDAY))


def test_a_second_visitor_cannot_book_a_held_time(held, django_capture_on_commit_callbacks):
    _, start = held
    other = Browser()
    _times(other, next_weekday(SATURDAY))
    _choose(other, start)  # a stale page still offering it
    # when
    response = _details(other, "someone.else@example.com", django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "That time is not free" in body
    assert "See other times that day" in body
    assert SignupRequest.objects.filter(email="someone.else@example.com").count() == 0
    assert SlotHold.objects.count() == 1


def test_confirming_within_the_hold_books_that_time(held, django_capture_on_commit_callbacks):
    browser, start = held
    # when
    with django_capture_on_commit_callbacks(execute=True):
        done = complete_signup(browser, verification_link())
    # then
    appointment = Appointment.objects.get(client__email="nadia.brook@example.com")
    assert done["Location"] == f"/book/done/{appointment.pk}/"
    assert appointment.start == dt.datetime.fromisoformat(start)
    hold = SlotHold.objects.get()
    assert (hold.status, hold.appointment) == (HoldStatus.CONFIRMED, appointment)


def test_declining_the_booking_lets_the_time_go(held, django_capture_on_commit_callbacks):
    browser, start = held
    with django_capture_on_commit_callbacks(execute=True):
        complete_signup(browser, verification_link(), booking_mine="no")
    assert SlotHold.objects.get().status == HoldStatus.RELEASED
    assert start in _times(Browser(), next_weekday(SATURDAY))


def test_an_expired_hold_frees_the_time_and_its_link_no_longer_works(held, monkeypatch):
    browser, start = held
    link = verification_link()
    # when: sixteen minutes later
    _later(monkeypatch, 16)
    # then
    assert start in _times(Browser(), next_weekday(SATURDAY))
    page = browser.get(link)
    assert page.status_code == 400
    assert "has already been used or has expired" in html.unescape(page.content.decode())


def test_confirming_after_the_hold_ran_out_and_the_time_was_taken_offers_other_times(
    held, monkeypatch, django_capture_on_commit_callbacks
):
    # given: A's hold ran out while they were on the link's page, and B took the time
    browser, start = held
    link = verification_link()
    page = browser.get(link)
    PortalLink.objects.filter(purpose="verify").update(
        expires_at=clock.now() + dt.timedelta(hours=1)
    )
    _later(monkeypatch, 16)
    other = Browser()
    assert start in _times(other, next_weekday(SATURDAY))
    _choose(other, start)
    _details(other, "someone.else@example.com", django_capture_on_commit_callbacks)
    assert SlotHold.objects.filter(status=HoldStatus.HELD).count() == 2  # A's ran out
    assert page.status_code == 200
    # when A confirms
    with django_capture_on_commit_callbacks(execute=True):
        response = complete_signup(browser, link)
    # then: nothing booked, a clear message, and the times of that day
    assert not Appointment.objects.filter(client__email="nadia.brook@example.com").exists()
    day = dt.datetime.fromisoformat(start).date()
    assert response["Location"] == f"/book/face-revitalise/times/?day={day.isoformat()}"
    times = browser.get(response["Location"])
    body = html.unescape(times.content.decode())
    assert "We couldn't book that time" in body
    assert "has since been taken. Please choose another time." in body
    assert 'name="start"' in body


def test_a_sign_up_for_an_existing_account_lets_the_hold_go_at_once(
    demo, django_capture_on_commit_callbacks
):
    # given an address that already has an account (from an earlier booking)
    browser = Browser()
    _choose(browser, _times(browser, next_weekday(SATURDAY))[0])
    _details(browser, "nadia.brook@example.com", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        complete_signup(browser, verification_link(), booking_mine="no")
    # when someone signs up again with it, asking for another time
    other = Browser()
    start = _times(other, next_weekday(SATURDAY))[0]
    _choose(other, start)
    response = _details(other, "nadia.brook@example.com", django_capture_on_commit_callbacks)
    # then: the same answer as ever, and the time is free again
    assert response["Location"] == "/book/check-email/"
    assert SlotHold.objects.filter(status=HoldStatus.HELD).count() == 0
    assert start in _times(Browser(), next_weekday(SATURDAY))
