"""Public booking with two sites (issue #16 item 5): the visitor chooses the clinic; its
treatments, days and times are that clinic's."""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo

from django.test import Client as Browser

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Site
from mesoclinic.portal import booking

from .conftest import next_weekday

LONDON = zoneinfo.ZoneInfo("Europe/London")
ANSWERS = {
    "birth_date": "1990-05-17",
    "pregnant": "no",
    "breastfeeding": "no",
    "allergies": "",
    "medications": "",
}


def test_the_booking_page_offers_the_other_clinic(demo):
    # when
    london = html.unescape(Browser().get("/book/").content.decode())
    manchester = html.unescape(Browser().get("/book/", {"site": "manchester"}).content.decode())
    # then
    assert "Booking at <strong>Mesoclinic London</strong>" in london
    assert 'href="/book/?site=manchester">Mesoclinic Manchester</a>' in london
    assert "Booking at <strong>Mesoclinic Manchester</strong>" in manchester
    assert 'href="/book/?site=london">Mesoclinic London</a>' in manchester
    assert 'href="/book/scalp-hair-gun/?site=manchester"' in manchester


def test_a_clinic_lists_only_the_device_treatments_it_has_a_device_for(demo):
    # when
    manchester = Browser().get("/book/", {"site": "manchester"}).content.decode()
    london = Browser().get("/book/").content.decode()
    # then: Manchester has a mesotherapy gun and a DermaFrac, no Vital Injector or wand
    assert "/book/scalp-hair-gun/" in manchester
    assert "/book/acne-scars/" in manchester
    assert "/book/face-revitalise-injector/" not in manchester
    assert "/book/no-needle-infusion/" not in manchester
    assert "/book/face-revitalise-injector/" in london
    assert "/book/face-revitalise/" in manchester


def test_times_at_manchester_are_manchesters(demo):
    browser = Browser()
    browser.post("/book/face-revitalise/?site=manchester", ANSWERS)
    # when
    monday = browser.get(
        "/book/face-revitalise/times/", {"day": next_weekday(0).isoformat()}
    ).content.decode()
    saturday = browser.get(
        "/book/face-revitalise/times/", {"day": next_weekday(5).isoformat()}
    ).content.decode()
    # then: shut on Mondays; on Saturdays the first time is 10:00 (London opens at 09:00)
    assert "closed on Monday" in html.unescape(monday)
    first = saturday.split('name="start" value="')[1].split('"')[0]
    assert dt.datetime.fromisoformat(first).astimezone(LONDON).time() == dt.time(10)
    # and the chosen time goes on to the details at Manchester
    response = browser.post("/book/face-revitalise/times/", {"start": first})
    assert response["Location"] == "/book/face-revitalise/details/"
    details = browser.get("/book/face-revitalise/details/").content.decode()
    assert "Mesoclinic Manchester" in details


def test_manchester_slots_are_in_its_rooms_with_its_people(demo):
    slots = booking.find_slots(
        treatment=Treatment.objects.get(code="face-revitalise"),
        site=Site.objects.get(code="manchester"),
        day=next_weekday(1),
        days=5,
    )
    assert slots
    assert {slot.practitioner for slot in slots} <= {"dr-patel", "nurse-shaw"}
    saturdays = {slot.practitioner for slot in slots if slot.start.weekday() == 5}
    assert "dr-patel" in saturdays
    assert all(slot.practitioner != "dr-patel" for slot in slots if slot.start.weekday() != 5)
