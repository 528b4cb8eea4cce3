"""iCalendar feeds: a practitioner's calendar is valid RFC 5545 with the right instants."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services

from .conftest import london


def _book(
    day: str, time: str, practitioner: str = "dr-patel", email: str = "amelia.hart@example.com"
):
    return services.appointment_book(
        actor=None,
        client=Client.objects.get(email=email),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(day, time),
        practitioner=Practitioner.objects.get(code=practitioner),
    )


def test_the_practitioner_feed_holds_their_appointments_in_utc(api):
    # given: one appointment in winter, one in summer time, one for someone else
    winter = _book("2027-03-01", "14:00")
    summer = _book("2027-04-06", "14:00")
    _book("2027-03-01", "14:00", "nurse-lewis", "freya.adeyemi@example.com")
    # when
    response = api.get("/practitioners/dr-patel/calendar.ics")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert "VERSION:2.0" in text
    assert "PRODID:" in text
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["uid"]) for event in events] == [
        f"staff-appointment-{winter.pk}@mesoclinic.invalid",
        f"staff-appointment-{summer.pk}@mesoclinic.invalid",
    ]
    # the practitioner's part: 14:30 London = 14:30Z in March, 13:30Z in April
    assert "DTSTART:20270301T143000Z" in text
    assert "DTSTART:20270406T133000Z" in text
    assert events[1].decoded("dtend") == dt.datetime(2027, 4, 6, 14, 0, tzinfo=dt.UTC)
    assert "Client arrives 14:00 for numbing cream." in str(events[1]["description"])
    assert "pregnan" not in text.lower()


def test_cancelled_appointments_stay_in_the_feed_as_cancelled(api):
    appointment = _book("2027-03-01", "10:00")
    services.appointment_cancel(actor=None, appointment=appointment, reason="")
    text = api.get("/practitioners/dr-patel/calendar.ics").content.decode()
    assert "STATUS:CANCELLED" in text


def test_every_line_is_folded_to_75_octets(api):
    _book("2027-03-01", "10:00")
    content = api.get("/practitioners/dr-patel/calendar.ics").content
    assert all(len(line) <= 75 for line in content.split(b"\r\n"))


def test_calendar_bad_input(api):
    assert api.get("/practitioners/dr-who/calendar.ics").status_code == 400
    response = api.get(
        "/practitioners/dr-patel/calendar.ics", **{"from": "2027-03-05", "to": "2027-03-01"}
    )
    assert response.status_code == 400
    assert (
        api.get("/practitioners/dr-patel/calendar.ics", **{"from": "yesterday"}).status_code == 400
    )
