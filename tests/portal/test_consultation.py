"""'Book a consultation first' leads to a consultation clients can book online."""

from __future__ import annotations

import datetime as dt
import html

from django.test import Client as Browser

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Site
from mesoclinic.portal import booking

from .conftest import next_weekday
from .test_booking_flow import ANSWERS

ANSWERS_BIRTH = dt.date(1990, 5, 17)


def test_a_client_told_to_consult_first_can_book_the_consultation(demo):
    body = html.unescape(
        Browser()
        .post("/book/face-revitalise/", {**ANSWERS, "conditions": ["anticoagulants"]})
        .content.decode()
    )
    assert "Please book a free consultation first." in body
    assert 'href="/book/consultation/?site=london"' in body


def test_a_pregnant_visitor_may_book_a_consultation(demo):
    browser = Browser()
    body = html.unescape(
        browser.post("/book/consultation/", {**ANSWERS, "pregnant": "yes"}).content.decode()
    )
    assert "Choose a time" in body
    assert browser.get("/book/consultation/times/").status_code == 200


def test_the_consultation_is_free_and_held_by_prescribers_only(demo):
    index = html.unescape(Browser().get("/book/").content.decode())
    assert "Consultation" in index
    consultation = Treatment.objects.get(code="consultation")
    slots = booking.find_slots(
        treatment=consultation, site=Site.objects.get(code="london"), day=next_weekday(1), days=5
    )
    assert slots
    assert {slot.practitioner for slot in slots} <= {"dr-patel", "nurse-okafor"}


def test_staff_book_a_consultation_for_a_client_without_a_questionnaire(demo, api_as):
    from mesoclinic.people.models import Client
    from mesoclinic.people.services import client_create

    new = client_create(actor=None, given_name="Rosa", family_name="Lind", birth_date=ANSWERS_BIRTH)
    day = next_weekday(2)
    response = api_as("reception").post(
        "/appointments",
        {
            "client": str(new.pk),
            "treatment": "consultation",
            "start": f"{day.isoformat()}T10:00:00+00:00",
            "practitioner": "dr-patel",
        },
    )
    assert response.status_code == 201, response.content
    refused = api_as("reception").post(
        "/appointments",
        {
            "client": str(new.pk),
            "treatment": "consultation",
            "start": f"{day.isoformat()}T14:00:00+00:00",
            "practitioner": "nurse-lewis",
        },
    )
    assert refused.status_code in (409, 422), refused.content
    assert Client.objects.filter(pk=new.pk).exists()
