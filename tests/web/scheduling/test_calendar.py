"""The staff calendar: day and week views, by practitioner and by room, htmx navigation."""

from __future__ import annotations

from django.test import Client as HttpClient
from tests.web.scheduling.support import MONDAY, london

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services


def book(time: str, practitioner: str = "dr-patel", day: str = MONDAY):
    return services.appointment_book(
        actor=None,
        client=Client.objects.get(email="amelia.hart@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(day, time),
        practitioner=Practitioner.objects.get(code=practitioner),
    )


def test_calendar_needs_login(demo):
    response = HttpClient().get("/calendar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_day_view_shows_today_practitioner_columns_and_free_slots(browser):
    # when
    response = browser.get("/calendar/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Monday 1 February 2027" in html
    assert ">Today</span>" in html
    assert "Dr Asha Patel" in html
    assert "Grace Okafor" in html
    assert 'aria-label="Book Dr Asha Patel at 09:00"' in html
    assert (
        "/calendar/book/?site=london&amp;start=2027-02-01T09:00&amp;practitioner=dr-patel" in html
    )


def test_day_view_navigation_links_go_to_the_previous_and_next_day(browser):
    html = browser.get("/calendar/", {"date": MONDAY}).content.decode()
    assert "date=2027-01-31" in html
    assert "date=2027-02-02" in html
    assert 'rel="prev"' in html
    assert 'rel="next"' in html


def test_a_booking_shows_its_numbing_phase_apart_from_its_treatment(browser):
    # given
    appointment = book("10:00")
    # when
    html = browser.get("/calendar/", {"date": MONDAY}).content.decode()
    # then
    detail = f"/appointments/{appointment.pk}/"
    assert html.count(f'href="{detail}"') == 2
    assert 'class="sched-block phase-numbing"' in html
    assert 'class="sched-block phase-treatment"' in html
    assert "Numbing (client in the lounge)" in html
    assert 'aria-label="Book Dr Asha Patel at 10:30"' not in html
    assert 'aria-label="Book Dr Asha Patel at 10:00"' in html  # free while the client numbs


def test_past_cells_are_not_offered(browser, monkeypatch):
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: london(MONDAY, "12:07"))
    html = browser.get("/calendar/", {"date": MONDAY}).content.decode()
    assert 'aria-label="Book Dr Asha Patel at 12:00"' not in html
    assert 'aria-label="Book Dr Asha Patel at 12:15"' in html


def test_room_view_has_room_columns_and_the_numbing_lounge(browser):
    book("10:00")
    html = browser.get("/calendar/", {"date": MONDAY, "by": "room"}).content.decode()
    assert "Room 1" in html
    assert "Numbing lounge" in html
    assert "3 places" in html
    assert "Numbing · Amelia Hart" in html


def test_week_view_lists_appointments_per_day_and_closed_days(browser):
    book("10:00", day="2027-02-03")
    html = browser.get("/calendar/", {"date": MONDAY, "view": "week"}).content.decode()
    assert "Week of 1 February 2027" in html
    assert "Wed 3 Feb" in html
    assert "Sun 7 Feb" in html
    assert "Closed" in html
    assert "10:30 Face revitalise" in html


def test_a_bank_holiday_is_shown_as_closed(browser):
    html = browser.get("/calendar/", {"date": "2027-03-26"}).content.decode()  # Good Friday
    assert "is closed on Friday 26 March 2027" in html


def test_htmx_navigation_returns_only_the_calendar(browser):
    response = browser.get("/calendar/", {"date": "2027-02-02"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="calendar"')
    assert "Tuesday 2 February 2027" in html


def test_a_bad_date_falls_back_to_today(browser):
    html = browser.get("/calendar/", {"date": "not-a-date"}).content.decode()
    assert "Monday 1 February 2027" in html


def test_an_unknown_site_is_a_404(browser):
    assert browser.get("/calendar/", {"site": "nowhere"}).status_code == 404


def test_the_nav_links_to_the_calendar(browser):
    html = browser.get("/").content.decode()
    assert 'href="/calendar/"' in html
    assert ">Calendar</a>" in html


def test_the_dashboard_lists_todays_appointments(browser):
    appointment = book("10:00")
    html = browser.get("/").content.decode()
    assert "Today&#x27;s appointments at Mesoclinic London" in html or (
        "Today's appointments at Mesoclinic London" in html
    )
    assert f"/appointments/{appointment.pk}/" in html
    assert "after numbing" in html


def test_a_practitioner_off_that_day_reads_not_working_not_free(browser):
    # Grace Okafor works Tuesday to Saturday
    day = browser.get("/calendar/", {"date": MONDAY}).content.decode()
    week = browser.get("/calendar/", {"date": MONDAY, "view": "week"}).content.decode()
    assert 'aria-label="Book Grace Okafor at' not in day
    okafor = day[day.index("Grace Okafor") :]
    assert "Not working" in okafor[: okafor.index("</h2>")]
    row = week[week.index('<th scope="row">Grace Okafor</th>') :]
    first_cell = row[: row.index("</td>")]
    assert "Not working" in first_cell
    assert "Free" not in first_cell


def test_a_practitioner_with_an_expired_registration_is_not_bookable(browser):
    html = browser.get("/calendar/", {"date": MONDAY}).content.decode()
    assert 'aria-label="Book Rhys Hughes at' not in html
    assert "Professional registration expired on" in html
    assert 'aria-label="Book Megan Lewis at 09:00"' in html
