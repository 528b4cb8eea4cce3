"""The staff pages with two sites (issue #16 item 5): the calendar shows one site's people
and rooms, quick booking and course planning book at the chosen site."""

from __future__ import annotations

import datetime as dt

from django.test import Client as HttpClient
from tests.web.scheduling.support import london

from mesoclinic.scheduling.models import Course

SATURDAY, TUESDAY = "2027-02-06", "2027-02-02"


def test_the_calendar_shows_one_sites_people_and_rooms(browser):
    # when: Saturday, by practitioner, then by room
    manchester = browser.get("/calendar/", {"site": "manchester", "date": SATURDAY}).content
    london_day = browser.get("/calendar/", {"site": "london", "date": SATURDAY}).content
    rooms = browser.get(
        "/calendar/", {"site": "manchester", "date": SATURDAY, "by": "room"}
    ).content.decode()
    # then: Dr Patel is in Manchester on Saturdays, not in London
    manchester, london_day = manchester.decode(), london_day.decode()
    assert "Mesoclinic Manchester" in manchester
    assert 'aria-label="Book Dr Asha Patel at 10:00"' in manchester
    assert "Daniel Shaw" in manchester
    assert "Megan Lewis" not in manchester
    assert 'aria-label="Book Dr Asha Patel' not in london_day
    assert "Manchester room 1" in rooms
    assert "Room 1<" not in rooms
    # and the site chooser offers both
    assert '<option value="manchester" selected>' in manchester


def test_the_calendar_of_manchester_is_closed_on_mondays(browser):
    html = browser.get("/calendar/", {"site": "manchester", "date": "2027-02-01"}).content
    assert "Mesoclinic Manchester is closed on Monday 1 February 2027." in html.decode()


def test_a_manchester_receptionist_sees_manchester_first(demo):
    browser = HttpClient()
    assert browser.login(username="reception-manchester", password="mesoclinic-demo")
    html = browser.get("/calendar/", {"date": TUESDAY}).content.decode()
    assert '<option value="manchester" selected>' in html
    assert "Daniel Shaw" in html


def test_quick_booking_books_at_the_site_of_the_calendar(browser, amelia):
    # when
    response = browser.post(
        "/calendar/book/",
        {
            "site": "manchester",
            "start": f"{SATURDAY}T10:00",
            "treatment": "face-revitalise",
            "practitioner": "dr-patel",
            "client": amelia.pk,
        },
    )
    # then
    assert response.status_code == 302
    appointment = amelia.appointments.get()
    assert (appointment.site.code, appointment.room.site.code) == ("manchester", "manchester")
    assert appointment.start == london(SATURDAY, "10:00")


def test_quick_booking_at_manchester_refuses_a_day_dr_patel_is_in_london(browser, amelia):
    response = browser.post(
        "/calendar/book/",
        {
            "site": "manchester",
            "start": f"{TUESDAY}T10:00",
            "treatment": "face-revitalise",
            "practitioner": "dr-patel",
            "client": amelia.pk,
        },
    )
    assert response.status_code == 409
    assert not amelia.appointments.exists()


def test_a_course_planned_at_manchester_is_booked_there_on_dr_patels_saturdays(browser, amelia):
    plan = {
        "treatment": "face-revitalise",
        "site": "manchester",
        "start_date": TUESDAY,
        "practitioner": "dr-patel",
        "sessions": 4,
    }
    # when
    preview = browser.get(f"/clients/{amelia.pk}/courses/plan/", plan).content.decode()
    response = browser.post(f"/clients/{amelia.pk}/courses/plan/", plan)
    # then
    assert "4 sessions at Mesoclinic Manchester" in preview
    assert 'name="site" value="manchester"' in preview
    assert response.status_code == 302
    sessions = Course.objects.get(client=amelia).appointments.all()
    assert {a.site.code for a in sessions} == {"manchester"}
    assert {a.start.astimezone(a.site.tzinfo).weekday() for a in sessions} == {5}
    assert all(a.start.date() >= dt.date.fromisoformat(TUESDAY) for a in sessions)
